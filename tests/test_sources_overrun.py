"""A poll that outlasts its interval: one line when it starts overrunning, one when it ends.

APScheduler used to log "maximum number of running instances reached" at WARNING on
every tick while a slow feed was still being fetched. Real scheduler, real HTTP server.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fleet_support import wait_until
from sources_support import FeedServer, rss_document, rss_item

from bot.config import HttpConfig, Settings, SourceConfig
from bot.ingest.pipeline import IngestPipeline
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage

SLOW_S = 3.5  # one poll; the interval is 1 s, so about three ticks find it running


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed_server = await FeedServer().start()
    yield feed_server
    await feed_server.close()


async def test_a_poll_outlasting_its_interval_is_logged_once_not_per_tick(
    storage: SqlStorage, settings: Settings, server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = rss_document(rss_item("slow-1", "Bitcoin ETF flows slow to a trickle"))
    server.slow("/slow.xml", SLOW_S, body)
    configured = settings.model_copy(
        update={
            "sources": [
                SourceConfig(name="Slow", kind="rss", url=server.url("/slow.xml"), interval="1s")
            ],
            "http": HttpConfig(timeout_s=10),
        }
    )
    pipeline = IngestPipeline(
        storage.archive,
        max_bytes=configured.ingest.max_file_bytes,
        story_window=timedelta(hours=72),
    )
    scheduler = SourceScheduler(configured, pipeline, storage.sources, rng=random.Random(3))
    caplog.set_level(logging.INFO)
    await scheduler.start()
    try:
        await wait_until(lambda: storage.archive.latest(limit=1), 30, "the slow poll ended")
        await asyncio.sleep(0.3)
        requests = len(server.requests("/slow.xml"))
    finally:
        await scheduler.stop()

    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "maximum number of running instances" in m], messages
    overrun = [m for m in messages if "a poll is still running" in m]
    ended = [m for m in messages if "the long poll ended" in m]
    assert len(overrun) == 1 and overrun[0].startswith("Slow: "), messages
    assert len(ended) == 1 and "tick(s) skipped" in ended[0], messages
    assert requests == 1  # the skipped ticks did not fetch it again meanwhile


async def test_a_slow_read_of_the_consoles_switches_is_not_warned_about_every_tick(
    storage: SqlStorage,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A database busy with a burst of commands made the 2 s switch read outlast its
    interval, and APScheduler warned on every tick; the read now runs once at a time in
    its own task and the job never overruns."""
    import bot.sources.scheduler as scheduler_module

    monkeypatch.setattr(scheduler_module, "CONTROL_S", 0.2)
    reads = {"now": 0, "most": 0, "all": 0}
    read_switches = storage.sources.controls

    async def slow_controls():  # type: ignore[no-untyped-def]
        reads["now"] += 1
        reads["most"] = max(reads["most"], reads["now"])
        try:
            await asyncio.sleep(0.9)  # the busy database: 4-5 ticks per read
            return await read_switches()
        finally:
            reads["now"] -= 1
            reads["all"] += 1

    monkeypatch.setattr(storage.sources, "controls", slow_controls)
    pipeline = IngestPipeline(
        storage.archive, max_bytes=settings.ingest.max_file_bytes, story_window=timedelta(hours=72)
    )
    scheduler = SourceScheduler(settings, pipeline, storage.sources, rng=random.Random(3))
    caplog.set_level(logging.INFO)
    await scheduler.start()
    try:
        await asyncio.sleep(2.5)
    finally:
        await scheduler.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "maximum number of running instances" in m], messages
    assert reads["all"] >= 2 and reads["most"] == 1, reads  # kept reading, never two at once
