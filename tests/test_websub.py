"""WebSub and adaptive polling through the real scheduler, pipeline and HTTP server, with
a local hub on 127.0.0.1: leases renewed before they lapse, a silent hub leaves the feed
on its normal polls, a hub caught missing items loses its trust, <ttl> and max-age hold
polls back and a feed that publishes often is polled sooner (bounded)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from websub_hub import LocalHub

from bot.config import HttpConfig, Settings, SourceConfig
from bot.ingest.pipeline import IngestPipeline
from bot.ops.http_server import HealthReport, HealthServer
from bot.ops.metrics import Metrics
from bot.sources import cadence, websub
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage
from tests.run_support import free_port

KEY = "hub-news"


@pytest.fixture
async def hub() -> AsyncIterator[LocalHub]:
    async with LocalHub() as local:
        local.add_item("old-1", "Ether steadies before the upgrade", tag="ETH")
        yield local


async def running(
    settings: Settings, storage: SqlStorage, hub: LocalHub, interval: str
) -> tuple[SourceScheduler, HealthServer]:
    port = free_port()
    http = HttpConfig(listen=f"127.0.0.1:{port}", public_url=f"http://127.0.0.1:{port}")
    source = SourceConfig(name="Hub News", kind="rss", url=hub.feed_url, interval=interval)
    configured = settings.model_copy(update={"sources": [source], "http": http})
    pipeline = IngestPipeline(storage.archive, max_bytes=100_000, story_window=timedelta(hours=72))
    scheduler = SourceScheduler(configured, pipeline, storage.sources, rng=random.Random(3))
    assert scheduler.websub is not None

    async def healthy() -> HealthReport:
        return HealthReport(ok=True)

    server = HealthServer(http.listen or "", Metrics(), healthy, routes=scheduler.websub.routes())
    await server.start()
    await scheduler.start()
    return scheduler, server


def next_poll_in(scheduler: SourceScheduler) -> float:
    assert scheduler._scheduler is not None
    job = scheduler._scheduler.get_job(f"source:{KEY}")
    return (job.next_run_time - datetime.now(UTC)).total_seconds()


async def until(condition, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def titles(storage: SqlStorage) -> set[str]:
    return {a.title for a in await storage.archive.latest(limit=50)}


async def test_a_verified_hub_is_polled_rarely_and_its_lease_is_renewed(
    settings: Settings, storage: SqlStorage, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(websub, "MIN_LEASE_S", 1)
    hub.lease_seconds = 2  # the hub grants a short lease
    scheduler, server = await running(settings, storage, hub, "30s")
    try:
        await until(lambda: _true(bool(hub.subscriptions)))
        assert scheduler.websub is not None and scheduler.websub.pushing(KEY)
        await asyncio.sleep(0.3)
        assert next_poll_in(scheduler) > 100  # a safety-net poll only (4 x 30 s)
        await asyncio.sleep(2.5)  # past the first lease: renewed at 80% of it
        assert len(hub.requests) >= 2, hub.requests
        assert {r["hub.secret"] for r in hub.requests} == {hub.requests[0]["hub.secret"]}
        assert scheduler.websub.pushing(KEY)
        (push,) = await hub.publish("new-1", "Bitcoin hashrate hits a new high")
        assert push.status == 202
        await until(lambda: _has(storage, "Bitcoin hashrate hits a new high"), within=5)
    finally:
        await scheduler.stop()
        await server.stop()


async def test_a_silent_hub_leaves_the_feed_on_its_normal_polls(
    settings: Settings, storage: SqlStorage, hub: LocalHub
) -> None:
    hub.verify = False  # accepts subscriptions, never verifies, never pushes
    scheduler, server = await running(settings, storage, hub, "1s")
    try:
        await until(lambda: _true(bool(hub.requests)))
        assert scheduler.websub is not None and not scheduler.websub.pushing(KEY)
        hub.add_item("new-1", "Bitcoin miners move coins to exchanges")
        await until(lambda: _has(storage, "Bitcoin miners move coins to exchanges"), within=6)
    finally:
        await scheduler.stop()
        await server.stop()


async def test_a_hub_that_misses_items_loses_its_trust(
    settings: Settings, storage: SqlStorage, hub: LocalHub
) -> None:
    scheduler, server = await running(settings, storage, hub, "30s")
    try:
        await until(lambda: _true(bool(hub.subscriptions)))
        assert scheduler.websub is not None and scheduler.websub.pushing(KEY)
        hub.add_item("new-1", "Bitcoin options open interest climbs")  # never pushed
        await scheduler.run_job("Hub News")  # the safety-net poll finds it
        assert await _has(storage, "Bitcoin options open interest climbs")
        assert not scheduler.websub.pushing(KEY)
        assert next_poll_in(scheduler) <= 31  # back to the configured 30 s
        await hub.publish("new-2", "Bitcoin funding rates turn positive")  # it works again
        await until(lambda: _has(storage, "Bitcoin funding rates turn positive"), within=5)
        assert scheduler.websub.pushing(KEY)
    finally:
        await scheduler.stop()
        await server.stop()


async def test_ttl_holds_polls_back_without_a_hub(
    settings: Settings, storage: SqlStorage, hub: LocalHub
) -> None:
    hub.ttl_minutes = 30
    scheduler = SourceScheduler(
        settings.model_copy(
            update={
                "sources": [
                    SourceConfig(name="Hub News", kind="rss", url=hub.feed_url, interval="5m")
                ]
            }
        ),
        IngestPipeline(storage.archive, max_bytes=100_000, story_window=timedelta(hours=72)),
        storage.sources,
        rng=random.Random(3),
    )
    assert scheduler.websub is None  # no public_url: polled only
    await scheduler.start()
    try:
        await until(lambda: _has(storage, "Ether steadies before the upgrade"))
        await asyncio.sleep(0.2)
        assert 29 * 60 < next_poll_in(scheduler) <= 30 * 60 + 1
        assert hub.requests == []
    finally:
        await scheduler.stop()


def test_cadence_is_bounded() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    often = [now - timedelta(minutes=4 * n) for n in range(10)]  # every 4 minutes
    gap = cadence.publishing_gap_s(often)
    assert gap == 240
    assert cadence.next_poll_s(900, gap_s=gap) == 180  # half the gap, above a fifth
    assert cadence.next_poll_s(3600, gap_s=10) == 720  # never under a fifth of the interval
    assert cadence.next_poll_s(120, gap_s=10) == cadence.MIN_POLL_S  # a floor of 60 s
    assert cadence.next_poll_s(45, gap_s=10) == 45  # and never slower than configured
    assert cadence.next_poll_s(60, server_wait_s=10**9) == cadence.MAX_SERVER_WAIT_S
    assert cadence.max_age_s("public, max-age=600") == 600
    assert cadence.max_age_s("no-cache, max-age=600") is None
    assert cadence.ttl_s("15") == 900 and cadence.ttl_s("soon") is None
    assert cadence.publishing_gap_s(often[:2]) is None


async def _true(value: bool) -> bool:
    return value


async def _has(storage: SqlStorage, title: str) -> bool:
    return title in await titles(storage)
