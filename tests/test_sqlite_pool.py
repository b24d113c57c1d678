"""SQLite keeps its connections open between calls, safely: across event loops, with no
transaction left behind, beside the batch writer (speed is measured in bench_archive)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert, text

from bot.models import Article, ChatRef, Sentiment
from storage.archive import _LATEST, _LATEST_TAG
from storage.database import Database
from storage.plugin import SqlStorage
from storage.tables import ChatRow

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _article(n: int) -> Article:
    return Article(
        source_key="wire",
        source_name="Wire",
        title=f"Bitcoin miners report {n}",
        url=f"https://wire.example/{n}",
        published_at=T0 + timedelta(minutes=n),
        tags=("BTC",),
        external_id=str(n),
    )


async def _save(storage: SqlStorage, n: int) -> None:
    await storage.archive.save(
        _article(n), identity=f"wire:{n}", origin="test", story_window=timedelta(hours=1)
    )


def _count_connects(db: Database) -> list[int]:
    opened: list[int] = []
    event.listen(db.engine.sync_engine, "connect", lambda *_: opened.append(1))
    return opened


async def test_repeated_reads_reuse_one_connection(tmp_path: Path):
    storage = SqlStorage(Database(f"sqlite:///{tmp_path / 'cw.db'}"))
    try:
        await storage.upgrade()
        await _save(storage, 1)
        opened = _count_connects(storage.db)
        for _ in range(20):
            assert [a.title for a in await storage.archive.latest("BTC")] == [
                "Bitcoin miners report 1"
            ]
        assert len(opened) <= 1
    finally:
        await storage.close()


async def test_a_burst_of_concurrent_reads_never_waits_for_the_pool(tmp_path: Path):
    storage = SqlStorage(Database(f"sqlite:///{tmp_path / 'cw.db'}"))
    try:
        await storage.upgrade()
        await _save(storage, 1)
        found = await asyncio.wait_for(
            asyncio.gather(*(storage.archive.latest("BTC") for _ in range(30))), timeout=30
        )
        assert all(len(f) == 1 for f in found)
    finally:
        await storage.close()


def test_one_database_serves_several_event_loops(tmp_path: Path):
    """As the CLI does (one asyncio.run per command) if a caller forgets to dispose."""
    storage = SqlStorage(Database(f"sqlite:///{tmp_path / 'cw.db'}"))
    asyncio.run(storage.upgrade())
    for n in range(3):
        asyncio.run(_save(storage, n))
        titles = asyncio.run(storage.archive.latest("BTC"))
        assert len(titles) == n + 1
    asyncio.run(storage.close())


async def test_a_failed_write_leaves_no_lock_behind(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cw.db'}"
    storage = SqlStorage(Database(url))
    other = SqlStorage(Database(url))  # another process on the same file
    try:
        await storage.upgrade()
        with pytest.raises(RuntimeError):
            async with storage.db.session() as session:
                await session.execute(
                    insert(ChatRow).values(platform="x", chat_id="1", thread_id="")
                )
                raise RuntimeError("the handler failed half way")
        # the connection went back to the pool with no transaction open: the other writer
        # does not wait for the busy timeout (10 s), and the half-done insert is gone
        chat = await asyncio.wait_for(other.chats.get_or_create(ChatRef("telegram", "7")), 5)
        assert chat.id
        async with storage.db.connect() as conn:
            rows = (await conn.execute(text("SELECT platform FROM chats"))).scalars().all()
        assert rows == ["telegram"]
    finally:
        await other.close()
        await storage.close()


async def test_readers_see_batch_saves_once_committed(tmp_path: Path):
    storage = SqlStorage(Database(f"sqlite:///{tmp_path / 'cw.db'}"))
    try:
        await storage.upgrade()
        await _save(storage, 0)
        assert len(await storage.archive.latest("BTC")) == 1  # a pooled reader exists now
        committed: list[int] = []

        async def announce() -> None:
            committed.append(len(await storage.archive.latest("BTC")))

        async with storage.archive.batch(group=2, on_commit=announce):
            await _save(storage, 1)
            # the writer's group is open: a reader beside it still reads (WAL), the old state
            assert len(await asyncio.wait_for(storage.archive.latest("BTC"), 5)) == 1
            await _save(storage, 2)
            await _save(storage, 3)  # the first group (1, 2) commits before this one
        assert committed == [3, 4]
        assert len(await storage.archive.latest("BTC")) == 4
    finally:
        await storage.close()


async def test_the_one_hop_read_returns_what_sqlalchemy_returns(storage: SqlStorage):
    """Both backends: ``Database.read`` rows equal the usual Core execution's rows."""
    for n in range(3):
        await _save(storage, n)
    rich = replace(_article(9), sentiment=Sentiment.POSITIVE, tags=("BTC", "ETH"), body="é")
    await storage.archive.save(
        rich, identity="wire:9", origin="test", story_window=timedelta(hours=1)
    )
    for statement, params in ((_LATEST_TAG, {"tag": "BTC", "limit": 10}), (_LATEST, {"limit": 2})):
        async with storage.db.connect() as conn:
            expected = [dict(r._mapping) for r in await conn.execute(statement, params)]
        assert [dict(r) for r in await storage.db.read(statement, params)] == expected
        assert expected and isinstance(expected[0]["published_at"], datetime)
    found = await storage.archive.latest("btc")
    assert [a.title for a in found][:3] == [f"Bitcoin miners report {n}" for n in (9, 2, 1)]
    assert (found[0].tags, found[0].sentiment, found[0].body) == (
        ("BTC", "ETH"),
        Sentiment.POSITIVE,
        "é",
    )
    assert found[0].published_at == T0 + timedelta(minutes=9) and not found[0].draft
