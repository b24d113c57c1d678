"""Admin actions are recorded and listed newest first, on both databases."""

from __future__ import annotations

from storage.plugin import SqlStorage


async def test_audit_records_and_lists_newest_first(storage: SqlStorage):
    first = await storage.audit.record(
        platform="telegram", user_id="42", user_name="alice", action="breaking", target="@news"
    )
    second = await storage.audit.record(
        platform="discord", user_id="7", action="post", target="123", detail={"article": 5}
    )
    entries = await storage.audit.recent(limit=10)
    assert [e.id for e in entries] == [second, first]
    assert entries[0].detail == {"article": 5}
    assert entries[1].user_name == "alice"
    assert entries[1].at.tzinfo is not None
    assert len(await storage.audit.recent(limit=1)) == 1
