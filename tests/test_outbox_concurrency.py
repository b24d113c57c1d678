"""PostgreSQL worker fleet: SKIP LOCKED claimers never share a row and never wait on each other."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import POSTGRES_ENV, postgres_url
from delivery_data import T0, add_chats, add_story, deliveries
from fakes.recording_adapter import RecordingAdapter
from sqlalchemy import select, text

from bot.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from storage.database import Database
from storage.outbox import SqlOutbox
from storage.plugin import SqlStorage
from storage.tables import WorkerLeaseRow

pytestmark = pytest.mark.skipif(
    postgres_url() is None,
    reason=f"{POSTGRES_ENV} is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)",
)


@pytest.fixture
def backend() -> str:
    return "postgresql"


async def test_concurrent_claimers_never_claim_the_same_row(storage: SqlStorage, database_url):
    chats = await add_chats(storage, 600)
    story, (article,) = await add_story(storage)
    assert await storage.outbox.enqueue_many(deliveries(chats, story, article)) == 600
    engines = [Database(database_url) for _ in range(3)]  # as three processes would

    async def worker(name: str, outbox: SqlOutbox) -> list[int]:
        got: list[int] = []
        while batch := await outbox.claim_due(name, now=T0, limit=7):
            got.extend(c.id for c in batch)
        return got

    try:
        results = await asyncio.gather(
            *(worker(f"w{n}", SqlOutbox(db)) for n, db in enumerate(engines))
        )
    finally:
        for db in engines:
            await db.dispose()
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)) == 600
    assert all(results), "every worker got a share"


async def test_a_locked_row_is_skipped_not_waited_for(storage: SqlStorage, database_url):
    chats = await add_chats(storage, 4)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    other = Database(database_url)
    try:
        async with other.connect() as connection:
            # another worker is in the middle of claiming the two oldest rows
            await connection.execute(
                text("SELECT id FROM deliveries ORDER BY id LIMIT 2 FOR UPDATE")
            )
            claimed = await asyncio.wait_for(
                storage.outbox.claim_due("w", now=T0, limit=10), timeout=5
            )
            assert sorted(c.chat.id for c in claimed) == chats[2:]
    finally:
        await other.dispose()


async def test_a_fleet_worker_holds_a_lease_while_running_and_drops_it_on_stop(storage):

    dispatcher = Dispatcher(
        storage.outbox, [RecordingAdapter()], DeliveryConfig(), stale_after=timedelta(seconds=30)
    )
    await dispatcher.start()
    async with storage.db.session() as session:
        names = list(await session.scalars(select(WorkerLeaseRow.name)))
    assert names == [dispatcher.worker]
    await dispatcher.stop()
    async with storage.db.session() as session:
        assert list(await session.scalars(select(WorkerLeaseRow.name))) == []
