"""Breaking posts and story edits ride out a PostgreSQL outage (issue 15, decisions 009/012).

The outage strikes at the worst moment: right after an article is committed and before
the broadcaster and the story-edit listener enqueue their rows (a listener placed first
stops the throwaway cluster with ``pg_ctl stop -m fast``; it comes back a few seconds
later). Nothing may be lost (the target gets its breaking post, the sent message gets
its edit) and nothing repeated (one row each, one send, one edit), and no traceback is
logged. Real PostgreSQL (initdb/pg_ctl in a temp dir; the shared server is never touched).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import BroadcastTarget, Settings, StorageConfig
from storage.plugin import SqlStorage, open_storage
from storage.tables import DeliveryRow
from tests.broadcast_support import SOLANA, BroadcastCore, news, revised
from tests.chaos.pg_cluster import SKIP_REASON, ThrowawayPostgres, find_binaries
from tests.fakes.recording_adapter import RecordingAdapter

BINARIES = find_binaries()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(BINARIES is None, reason=SKIP_REASON),
]

DOWN_S = 3.0
TARGET = BroadcastTarget(platform="console", chat="newsroom", pin=False)
STICKY = news(
    "Exchange halts withdrawals after a $200M hack",
    summary="A major exchange paused withdrawals after attackers drained a hot wallet.",
    tags=("HACK",),
    url="https://example.org/exchange-hack",
    sticky=50,  # breaking on its own: posted to the targets by the broadcaster
)


@pytest.fixture
async def pg() -> AsyncIterator[tuple[ThrowawayPostgres, SqlStorage]]:
    assert BINARIES is not None
    server = ThrowawayPostgres(BINARIES)
    try:
        server.init()
        server.start()
        storage = open_storage(Settings(storage=StorageConfig(url=server.url)))
        await storage.upgrade()
        try:
            yield server, storage
        finally:
            await storage.close()
    finally:
        server.destroy()


class Outage:
    """An ingest listener run before all others: stops the server once when armed."""

    def __init__(self, server: ThrowawayPostgres) -> None:
        self.server = server
        self.armed = False
        self.restarts: set[asyncio.Task[Any]] = set()

    async def __call__(self, outcome: Any) -> None:
        if not self.armed:
            return
        self.armed = False
        await self.server.astop("fast")
        task = asyncio.create_task(self._back())
        self.restarts.add(task)

    async def _back(self) -> None:
        await asyncio.sleep(DOWN_S)
        await self.server.astart()


async def rows(storage: SqlStorage) -> list[tuple[str, str]]:
    async with storage.db.session() as session:
        found = await session.scalars(select(DeliveryRow).order_by(DeliveryRow.id))
        return [(row.kind, row.status) for row in found]


async def test_breaking_posts_and_story_edits_survive_an_outage_once_each(
    pg: tuple[ThrowawayPostgres, SqlStorage], caplog: pytest.LogCaptureFixture
) -> None:
    server, storage = pg
    core = BroadcastCore.build(storage, [TARGET])
    outage = Outage(server)
    core.pipeline._listeners.insert(0, outage)  # right after the commit, before the others
    adapter = RecordingAdapter()
    caplog.set_level(logging.INFO)

    outage.armed = True
    first = await core.ingest(STICKY)  # returns once the post is enqueued, after the outage
    await asyncio.gather(*outage.restarts)
    assert await rows(storage) == [("breaking", "pending")]
    await core.deliver(adapter)
    assert len(adapter.sent) == 1

    outage.armed = True
    await core.ingest(revised(STICKY, 10, title="Exchange halts withdrawals after $230M hack"))
    await asyncio.gather(*outage.restarts)
    assert await rows(storage) == [("breaking", "sent"), ("edit", "pending")]
    await core.deliver(adapter)
    assert len(adapter.sent) == 1 and len(adapter.edits) == 1
    assert adapter.edits[0][2].article.title == "Exchange halts withdrawals after $230M hack"
    assert await rows(storage) == [("breaking", "sent"), ("edit", "sent")]

    messages = [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info], messages
    assert not [m for m in messages if "listener" in m and "failed" in m], messages
    assert first.article.id is not None
    assert SOLANA.title not in " ".join(messages)  # only this test's articles went through
