"""The command path's reads by key on a SQLite file: concurrent ones share one hop to the
reader's thread, and each sees what was committed before it (speed: bench_burst)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.models import ChatKind, ChatRef
from storage.database import Database
from storage.plugin import SqlStorage


async def test_concurrent_chat_reads_run_in_a_few_groups_and_see_new_chats(tmp_path: Path):
    storage = SqlStorage(Database(f"sqlite:///{tmp_path / 'cw.db'}"))
    try:
        await storage.upgrade()
        chats = storage.chats
        refs = [ChatRef("telegram", str(900_000 + n)) for n in range(300)]
        assert await chats.find(refs[0]) is None
        # new chats, written by the grouped writer, are read back at once
        made = await asyncio.gather(
            *(chats.get_or_create(ref, kind=ChatKind.PRIVATE, language_hint="de") for ref in refs)
        )
        reader = chats._reader
        assert reader is not None
        hops: list[int] = []
        query = reader._query
        reader._query = lambda batch: hops.append(len(batch)) or query(batch)  # type: ignore[method-assign]
        found = await asyncio.gather(*(chats.find(ref) for ref in refs))
        assert [c.id for c in found if c is not None] == [c.id for c in made]
        assert all(c is not None and c.language_hint == "de" for c in found)
        # 300 reads, not 300 hops (nor 600, with the pool's rollback after each)
        assert sum(hops) == 300 and len(hops) <= 5, hops
        assert await chats.list_subscriptions(made[0].id) == []
    finally:
        await storage.close()
