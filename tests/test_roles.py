"""Process roles: the ingest leader, the shared send budget, and `run --role` checks."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli.run  # noqa: F401 - registers `run` on the app
from bot.cli.main import app
from bot.config import Settings, StorageConfig
from bot.delivery.redis_budget import RedisSendBudget
from bot.delivery.shared_pacing import SharedSlots, budget_key
from bot.errors import UserError
from bot.ops.roles import LeaderGate, late_tolerance, runs
from storage.coordination import SqlSendBudget
from storage.database import Database
from storage.plugin import open_storage
from tests.conftest import FreshDatabase, postgres_url

needs_postgres = pytest.mark.skipif(
    postgres_url() is None,
    reason="CRYPTOWIRE_TEST_POSTGRES_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)",
)

REDIS_URL = os.environ.get("CRYPTOWIRE_TEST_REDIS_URL") or None
needs_redis = pytest.mark.skipif(
    REDIS_URL is None,
    reason="CRYPTOWIRE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)",
)


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    """A migrated PostgreSQL database of its own."""
    fresh = FreshDatabase("postgresql", tmp_path)
    url = await fresh.create()
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    await storage.upgrade()
    await storage.close()
    try:
        yield url
    finally:
        await fresh.drop()


class ManualClock:
    """Time moves only when a test (or a sleep) moves it."""

    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(max(0.0, seconds))
        self.t += max(0.0, seconds)

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        await self.sleep(seconds)
        return event.is_set()


class RecordingBudget:
    """A budget like the database's, on the manual clock: slots never overlap."""

    def __init__(self, clock: ManualClock, rate: float) -> None:
        self.clock = clock
        self.rate = rate
        self.tat = 0.0
        self.calls: list[int] = []

    async def reserve_at(self, count: int, lead: float = 0.0) -> float:
        self.calls.append(count)
        start = max(self.tat, self.clock.t + lead)
        self.tat = start + count / self.rate
        return start  # the manual clock's epoch and monotonic times are the same


async def test_shared_slots_space_sends_at_the_budget_rate():
    clock = ManualClock()
    slots = SharedSlots(RecordingBudget(clock, rate=10.0), clock)
    sent_at = []
    for _ in range(5):
        await slots.wait_turn()
        sent_at.append(round(clock.t, 6))
    assert sent_at == [100.0, 100.1, 100.2, 100.3, 100.4]


async def test_waiting_sends_share_one_reservation_and_nothing_is_reserved_beyond_them():
    clock = ManualClock()
    budget = RecordingBudget(clock, rate=10.0)

    async def reserve_at(count: int, lead: float = 0.0) -> float:
        await asyncio.sleep(0)  # a database round trip: the other sends queue up meanwhile
        return await RecordingBudget.reserve_at(budget, count)

    budget.reserve_at = reserve_at  # type: ignore[method-assign]
    slots = SharedSlots(budget, clock, batch_s=1.0)
    await asyncio.gather(*(slots.wait_turn() for _ in range(6)))
    assert budget.calls == [1, 5]  # the first alone, then the five that were waiting
    assert slots.reserved == 6


async def test_a_worker_that_falls_behind_skips_its_missed_slots_instead_of_bursting():
    clock = ManualClock()
    budget = RecordingBudget(clock, rate=10.0)
    slots = SharedSlots(budget, clock, late_s=0.0)  # tolerance: one interval
    await slots.wait_turn()  # slot 100.0
    budget.tat = 100.5
    slots._slots.extend([100.1, 100.2, 100.3, 100.4])  # what a batch reservation leaves
    clock.t += 0.35  # the process stalled: 100.1 and 100.2 are too old to use
    await slots.wait_turn()  # 100.3 is still within one interval: sent at once
    assert clock.t == pytest.approx(100.35)
    assert slots.skipped == 2
    await slots.wait_turn()
    assert clock.t == pytest.approx(100.4)


async def test_a_slow_answer_does_not_shift_the_slots_it_gives():
    clock = ManualClock()
    budget = RecordingBudget(clock, rate=10.0)

    async def reserve_at(count: int, lead: float = 0.0) -> float:
        first = await RecordingBudget.reserve_at(budget, count)
        clock.t += 0.05  # the answer took 50 ms to come back
        return first

    budget.reserve_at = reserve_at  # type: ignore[method-assign]
    slots = SharedSlots(budget, clock, batch_s=1.0)
    slots.waiting = 2  # two more sends queue behind the first: one reservation of three
    await slots.wait_turn()
    assert clock.t == pytest.approx(100.05)  # slot 100.0, used 50 ms late (within 0.1)
    await slots.wait_turn()
    assert clock.t == pytest.approx(100.1)  # not 100.15: the slots stay where they were
    await slots.wait_turn()
    assert clock.t == pytest.approx(100.2)


async def test_a_send_that_wakes_up_too_late_gives_its_slot_up_and_takes_a_new_one():
    clock = ManualClock()
    budget = RecordingBudget(clock, rate=10.0)
    slots = SharedSlots(budget, clock)
    stalled = [0.3]  # the process is descheduled once, 0.3 s past the slot it slept for
    sleep = clock.sleep

    async def late_sleep(seconds: float) -> None:
        await sleep(seconds + (stalled.pop() if stalled else 0.0))

    clock.sleep = late_sleep  # type: ignore[method-assign]
    budget.tat = 101.0  # our first slot is a second away
    await slots.wait_turn()
    assert slots.skipped == 1  # the late wake-up did not send on a stale slot
    assert clock.t == pytest.approx(101.3)  # it sent on a fresh slot (reserved at once)


async def test_another_workers_reservation_delays_ours():
    clock = ManualClock()
    budget = RecordingBudget(clock, rate=20.0)
    await budget.reserve_at(20)  # another worker took the next second
    slots = SharedSlots(budget, clock)
    await slots.wait_turn()
    assert clock.t == pytest.approx(101.0)


def test_a_late_slot_is_tolerated_for_half_the_headroom_of_the_platforms_window():
    # Telegram: 30 a second at 90%: 30 slots span 29/27 s, 74 ms more than the second
    assert late_tolerance(30, 27, 1.0) == pytest.approx(0.037, abs=0.001)
    assert late_tolerance(180, 162, 1 / 6) == pytest.approx(0.0062, abs=0.0001)  # x6
    assert late_tolerance(500, 450, 1.0) == pytest.approx(0.0544, abs=0.001)  # console
    assert late_tolerance(1, 0.9, 1.0) == 0.0  # nothing to spare: one interval (SharedSlots)


def test_budget_key_names_platform_and_hides_the_token():
    key = budget_key("telegram", "123456:SECRET")
    assert key.startswith("telegram:") and "SECRET" not in key
    assert key != budget_key("telegram", "654321:OTHER")


def test_each_role_runs_its_parts():
    assert [p for p in ("dispatcher", "adapters", "sources") if runs("all", p)] == [
        "dispatcher",
        "adapters",
        "sources",
    ]
    assert [p for p in ("dispatcher", "adapters", "sources") if runs("deliver", p)] == [
        "dispatcher"
    ]
    assert runs("commands", "adapters") and not runs("commands", "sources")
    assert runs("ingest", "sources") and runs("ingest", "index")
    assert not runs("deliver", "index")


@needs_postgres
async def test_two_workers_reservations_never_overlap(pg_url):
    db_a, db_b = Database(pg_url), Database(pg_url)
    try:
        a, b = SqlSendBudget(db_a, "telegram:x", 100.0), SqlSendBudget(db_b, "telegram:x", 100.0)
        began = time.time()
        first = await a.reserve_at(50)  # 0.5 s of slots
        second = await b.reserve_at(10)
        other = await SqlSendBudget(db_b, "discord:y", 100.0).reserve_at(10)
    finally:
        await db_a.dispose()
        await db_b.dispose()
    # absolute times on the server's clock, which is this host's wall clock
    assert began - 0.05 <= first <= time.time()
    assert second == pytest.approx(first + 0.5, abs=1e-4)  # right after a's half second
    assert began - 0.05 <= other <= time.time()  # another bot token has its own budget


@needs_postgres
async def test_only_one_process_leads_ingest_and_a_standby_takes_over(pg_url):
    stores = [open_storage(Settings(storage=StorageConfig(url=pg_url))) for _ in range(2)]
    try:
        one, two = (s.coordination.leader("ingest") for s in stores)
        assert await one.try_acquire()
        assert not await two.try_acquire()
        assert await one.still_leading()
        await one.release()
        assert await two.try_acquire()
        assert not await one.try_acquire()
        await two.release()
    finally:
        for store in stores:
            await store.close()


@needs_postgres
async def test_a_standby_gate_starts_the_sources_once_the_leader_stops(pg_url):
    stores = [open_storage(Settings(storage=StorageConfig(url=pg_url))) for _ in range(2)]
    events: list[str] = []

    def gate(store: object, name: str) -> LeaderGate:
        return LeaderGate(
            store.coordination.leader("ingest"),  # type: ignore[attr-defined]
            lambda: _note(events, f"{name} start"),
            lambda: _note(events, f"{name} stop"),
            on_fatal=lambda exc: None,
            retry_s=0.05,
        )

    try:
        first, second = gate(stores[0], "first"), gate(stores[1], "second")
        await first.begin()
        await second.begin()
        assert events == ["first start"] and not second.started
        await first.close()
        await asyncio.wait_for(second.became_leader.wait(), 10)
        await second.close()
    finally:
        for store in stores:
            await store.close()
    assert events == ["first start", "first stop", "second start", "second stop"]


async def _note(events: list[str], text: str) -> None:
    events.append(text)


async def test_sqlite_has_a_single_process_that_always_leads(tmp_path):
    store = open_storage(Settings(storage=StorageConfig(url=f"sqlite:///{tmp_path / 'x.db'}")))
    try:
        leader = store.coordination.leader("ingest")
        assert await leader.try_acquire() and await leader.still_leading()
        assert store.coordination.budget("telegram:x", 30.0) is None
    finally:
        await store.close()


def test_run_rejects_an_unknown_role_and_fleet_roles_on_sqlite(tmp_path):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'x.db'}"
    bogus = runner.invoke(app, ["--database-url", url, "run", "--role", "everything"])
    assert bogus.exit_code == 2
    assert "--role must be one of all, commands, deliver, ingest" in bogus.output
    fleet = runner.invoke(app, ["--database-url", url, "run", "--role", "deliver"])
    assert fleet.exit_code == 2
    assert "needs a shared PostgreSQL database" in fleet.output


@needs_redis
async def test_a_redis_budget_lets_two_workers_share_one_window():
    key = f"test:{uuid.uuid4().hex}"
    one = RedisSendBudget(REDIS_URL or "", key, 10.0)
    two = RedisSendBudget(REDIS_URL or "", key, 10.0)
    try:
        assert await one.reserve_at(6) == pytest.approx(time.time(), abs=0.5)
        began = time.monotonic()
        await two.reserve_at(4)  # the window still has room for four
        assert time.monotonic() - began < 0.5
        await two.reserve_at(5)  # full: waits until the first six leave the window
        assert time.monotonic() - began >= 0.5
    finally:
        await one.clear()


def test_a_redis_url_must_be_redis():
    with pytest.raises(UserError, match="rate_limit_url must start with redis://"):
        RedisSendBudget("http://127.0.0.1:6379", "k", 10.0)
