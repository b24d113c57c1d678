"""Per-chat spacing shared by delivery workers: a chat's rows go to one worker at a time.

Telegram allows one message a second per chat per bot token, whichever worker sends it.
In fleet mode ``claim_due(..., chat_gap=...)`` leaves a chat alone while another of its
rows is in flight or was sent less than ``chat_gap`` ago (``storage/outbox_claims.py``).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import postgres_url
from delivery_data import T0, add_chats, add_story, deliveries

from bot.delivery.outbox import SentRecord
from storage.database import Database
from storage.outbox import SqlOutbox
from storage.plugin import SqlStorage
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_state import RateLimits
from tests.fleet_support import (
    LimitsProbe,
    bot_sends,
    count_rows,
    enqueue_fanout,
    needs_postgres,
    pg_url,  # noqa: F401 - fixture
    seed_fanout,
    start_role,
    stop,
    telegram_section,
    wait_until,
    workers_running,
    write_config,
)

GAP = timedelta(seconds=1)


async def workers_are(url: str, count: int) -> bool:
    return await workers_running(url) == count


async def test_a_chat_with_a_row_in_flight_or_just_sent_is_left_to_wait(storage: SqlStorage):
    alice, bob = await add_chats(storage, 2)
    first, (article,) = await add_story(storage, "Bitcoin tests $100K")
    second, (update,) = await add_story(storage, "Ether follows", sources=("coindesk",))
    await storage.outbox.enqueue_many(deliveries([alice, bob], first, article))
    await storage.outbox.enqueue_many(deliveries([alice], second, update))
    outbox = storage.outbox

    (mine,) = await outbox.claim_due("w1", now=T0, limit=1, chat_gap=GAP)
    assert mine.chat.id == alice
    # another worker: Alice's second alert waits while her first is being sent
    theirs = await outbox.claim_due("w2", now=T0, limit=10, chat_gap=GAP)
    assert [c.chat.id for c in theirs] == [bob]
    await outbox.mark_sent_many([SentRecord([mine.id], "m1")], now=T0)
    half = T0 + timedelta(seconds=0.5)
    assert await outbox.claim_due("w2", now=half, limit=10, chat_gap=GAP) == []  # sent 0.5 s ago
    later = await outbox.claim_due("w2", now=T0 + timedelta(seconds=1.5), limit=10, chat_gap=GAP)
    assert [(c.chat.id, c.article and c.article.id) for c in later] == [(alice, update)]


async def test_a_fleet_claim_takes_one_row_per_chat(storage: SqlStorage):
    alice, bob = await add_chats(storage, 2)
    first, (article,) = await add_story(storage, "Bitcoin tests $100K")
    second, (update,) = await add_story(storage, "Ether follows", sources=("coindesk",))
    await storage.outbox.enqueue_many(deliveries([alice, bob], first, article))
    await storage.outbox.enqueue_many(deliveries([alice, bob], second, update))
    claimed = await storage.outbox.claim_due("w1", now=T0, limit=10, chat_gap=GAP)
    assert sorted((c.chat.id, c.article and c.article.id) for c in claimed) == [
        (alice, article),
        (bob, article),
    ]  # each chat's second alert waits for the first to be recorded sent


@pytest.mark.skipif(postgres_url() is None, reason="needs CRYPTOWIRE_TEST_POSTGRES_URL")
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_concurrent_claimers_never_hold_rows_of_the_same_chat(
    storage: SqlStorage, database_url: str
):
    chats = await add_chats(storage, 6)  # few chats, many alerts each: claims collide
    for n in range(20):  # enqueued story after story
        story, (article,) = await add_story(storage, f"Story {n}", sources=(f"s{n}",))
        await storage.outbox.enqueue_many(deliveries(chats, story, article))
    engines = [Database(database_url) for _ in range(4)]  # as four processes would
    holders: dict[int, str] = {}
    clashes: list[int] = []
    sent: list[int] = []
    rng = random.Random(7)

    async def worker(name: str, outbox: SqlOutbox) -> None:
        idle = 0
        while idle < 50:
            batch = await outbox.claim_due(name, now=T0, limit=3, chat_gap=timedelta(0))
            if not batch:
                idle += 1
                await asyncio.sleep(0.01)
                continue
            idle = 0
            for row in batch:  # from the claim's commit until its "sent" is committed
                if holders.setdefault(row.chat.id, name) != name:
                    clashes.append(row.chat.id)
            await asyncio.sleep(rng.uniform(0, 0.01))  # "sending"
            await outbox.mark_sent_many([SentRecord([r.id for r in batch], "m")], now=T0)
            for row in batch:
                if holders.get(row.chat.id) == name:
                    del holders[row.chat.id]
            sent.extend(r.id for r in batch)

    try:
        await asyncio.gather(*(worker(f"w{n}", SqlOutbox(db)) for n, db in enumerate(engines)))
    finally:
        for db in engines:
            await db.dispose()
    assert clashes == []
    assert len(sent) == len(set(sent)) == 120


@pytest.mark.slow
@pytest.mark.timeout(300)
@needs_postgres
async def test_two_delivery_processes_never_break_a_chats_one_a_second(
    pg_url,  # noqa: F811
    tmp_path: Path,
):
    chats, stories, scale = 40, 6, 10.0
    await seed_fanout(pg_url, chats, stories, enqueue=False)
    async with FakeBotApi() as fake:
        probe = LimitsProbe(fake.enforce_limits(RateLimits(time_scale=scale, slack=0.05)))
        delivery = f"[delivery]\npoll_interval_s = 0.05\nbatch_size = 20\nlimit_scale = {scale}\n"
        config = write_config(tmp_path / "config.toml", pg_url, telegram_section(fake), delivery)
        logs = [tmp_path / f"worker{i}.log" for i in range(2)]
        workers = [await start_role(config, "deliver", log) for log in logs]
        try:  # both workers running before the rows appear: they compete for them
            await wait_until(lambda: workers_are(pg_url, 2), 180, "two workers running")
            assert await enqueue_fanout(pg_url) == chats * stories
            await fake.wait_for(lambda: len(probe.accepted) >= chats * stories, within=240)
            for _ in range(100):
                if await count_rows(pg_url, "sent") == chats * stories:
                    break
                await asyncio.sleep(0.1)
        finally:
            codes = await stop(*workers)
        output = "\n".join(log.read_text(errors="replace")[-1500:] for log in logs)
    sends = Counter(bot_sends(fake))
    assert probe.refused_chat == 0, output  # no chat ever got two messages within its second
    assert len(sends) == chats * stories and set(sends.values()) == {1}, output
    assert await count_rows(pg_url, "sent") == chats * stories
    assert codes == [0, 0], output
    assert "Traceback" not in output, output
    assert probe.refused_overall == 0, output
