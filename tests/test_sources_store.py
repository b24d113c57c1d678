"""Source health in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.plugin import SqlStorage

T0 = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)


async def test_ensure_is_idempotent_and_refreshes_the_target(storage: SqlStorage) -> None:
    store = storage.sources
    assert await store.get("wire") is None
    await store.ensure("wire", name="Wire", kind="rss", url="http://127.0.0.1/a.xml")
    await store.ensure("wire", name="Wire", kind="rss", url="http://127.0.0.1/a.xml")
    await store.ensure("wire", name="The Wire", kind="rss", url="http://127.0.0.1/b.xml")
    [health] = await store.all()
    assert (health.key, health.name, health.kind) == ("wire", "The Wire", "rss")
    assert health.url == "http://127.0.0.1/b.xml"
    assert health.status == "never" and health.items_seen == 0


async def test_failures_count_up_and_a_success_resets_them(storage: SqlStorage) -> None:
    store = storage.sources
    await store.ensure("wire", name="Wire", kind="rss", url=None)
    await store.record_success("wire", at=T0, items=5, etag='"e1"', last_modified="Mon")
    assert await store.record_failure("wire", at=T0 + timedelta(minutes=5), error="HTTP 500") == 1
    assert await store.record_failure("wire", at=T0 + timedelta(minutes=9), error="timed out") == 2
    retry = T0 + timedelta(minutes=30)
    await store.set_retry_at("wire", retry)
    failing = await store.get("wire")
    assert failing is not None
    assert failing.status == "failing"
    assert failing.consecutive_failures == 2
    assert failing.last_error == "timed out"
    assert failing.last_error_at == T0 + timedelta(minutes=9)
    assert failing.retry_at == retry
    assert failing.last_success_at == T0
    assert failing.items_seen == 5

    later = T0 + timedelta(hours=1)
    await store.record_success("wire", at=later, items=3)  # a 304 keeps the validators
    healthy = await store.get("wire")
    assert healthy is not None
    assert healthy.status == "ok"
    assert healthy.consecutive_failures == 0
    assert healthy.retry_at is None
    assert healthy.items_seen == 8
    assert (healthy.etag, healthy.last_modified) == ('"e1"', "Mon")
    assert healthy.last_success_at == later and healthy.last_polled_at == later
    assert healthy.last_error == "timed out"  # history stays visible


async def test_all_lists_sources_by_key(storage: SqlStorage) -> None:
    for key in ("zeta", "alpha", "mid"):
        await storage.sources.ensure(key, name=key.title(), kind="folder", url=f"/srv/{key}")
    assert [h.key for h in await storage.sources.all()] == ["alpha", "mid", "zeta"]


async def test_folder_file_memory(storage: SqlStorage) -> None:
    store = storage.sources
    assert await store.known_files("inbox") == {}
    await store.remember_files("inbox", {"a.md": (10, 111), "sub/b.md": (20, 222)}, at=T0)
    await store.remember_files("inbox", {"a.md": (12, 333)}, at=T0)  # a new version
    await store.remember_files("other", {"a.md": (1, 1)}, at=T0)
    assert await store.known_files("inbox") == {"a.md": (12, 333), "sub/b.md": (20, 222)}
    await store.forget_files("inbox", ["sub/b.md", "never-there.md"])
    assert await store.known_files("inbox") == {"a.md": (12, 333)}
    assert await store.known_files("other") == {"a.md": (1, 1)}
    many = {f"f{n}.md": (n, n) for n in range(1200)}  # more than one batch
    await store.remember_files("bulk", many, at=T0)
    assert await store.known_files("bulk") == many
