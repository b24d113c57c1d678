"""The APScheduler jobs: one per source, max one instance, slow sources isolated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sources_support import FeedServer, rss_document, rss_item

from bot.config import ConfigError, HttpConfig, Settings, SourceConfig
from bot.ingest.pipeline import IngestPipeline
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed_server = await FeedServer().start()
    yield feed_server
    await feed_server.close()


def pipeline(storage: SqlStorage) -> IngestPipeline:
    return IngestPipeline(storage.archive, max_bytes=2**20, story_window=timedelta(hours=72))


async def test_a_slow_source_never_delays_the_others(
    storage: SqlStorage, settings: Settings, server: FeedServer
) -> None:
    server.slow("/slow.xml", delay=1.5, body=rss_document(rss_item("s1", "Slow news")))
    server.feed("/fast.xml", rss_document(rss_item("f1", "Fast news")))
    configured = settings.model_copy(
        update={
            "http": HttpConfig(timeout_s=5, per_host_concurrency=4),
            "sources": [
                SourceConfig(name="Slow", kind="rss", url=server.url("/slow.xml"), interval="0.2s"),
                SourceConfig(name="Fast", kind="rss", url=server.url("/fast.xml"), interval="0.2s"),
                SourceConfig(name="Off", kind="rss", url=server.url("/off.xml"), enabled=False),
            ],
        }
    )
    scheduler = SourceScheduler(configured, pipeline(storage), storage.sources)
    assert scheduler.names == ["Slow", "Fast"]
    await scheduler.start()
    try:
        await asyncio.sleep(1.2)
        fast_hits = len(server.requests("/fast.xml"))
        slow_hits = len(server.requests("/slow.xml"))
    finally:
        await scheduler.stop()
    assert fast_hits >= 3  # kept its rhythm while the slow fetch was in flight
    assert slow_hits == 1  # max_instances=1: missed runs were skipped, not stacked
    assert server.requests("/off.xml") == []
    titles = [a.title for a in await storage.archive.latest()]
    assert titles == ["Fast news"]


async def test_add_folder_while_running_starts_watching(
    storage: SqlStorage, settings: Settings, tmp_path
) -> None:
    from sources_support import article_md

    inbox = tmp_path / "inbox"  # not tmp_path: the database and its search index live there
    inbox.mkdir()
    scheduler = SourceScheduler(settings, pipeline(storage), storage.sources, settle_s=0.1)
    await scheduler.start()
    try:
        scheduler.add_folder("Late", inbox, interval_s=3600)
        await asyncio.sleep(0.3)
        (inbox / "late.md").write_text(article_md("Late arrival", "l-1"), encoding="utf-8")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 3
        while not await storage.archive.latest():
            assert loop.time() < deadline, "file was not ingested"
            await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()
        await scheduler.stop()  # idempotent
    [article] = await storage.archive.latest()
    assert article.title == "Late arrival"


def test_source_names_that_share_a_key_are_refused(settings: Settings) -> None:
    configured = settings.model_copy(
        update={
            "sources": [
                SourceConfig(name="The Block", kind="rss", url="http://127.0.0.1/a"),
                SourceConfig(name="the-block", kind="rss", url="http://127.0.0.1/b"),
            ]
        }
    )
    with pytest.raises(ConfigError, match="too alike"):
        SourceScheduler(configured, object(), object())  # type: ignore[arg-type]


async def test_stop_cancels_a_poll_in_flight_quietly(
    storage: SqlStorage, settings: Settings, server: FeedServer, caplog
) -> None:
    server.slow("/stuck.xml", delay=3)
    configured = settings.model_copy(
        update={
            "http": HttpConfig(timeout_s=10),
            "sources": [SourceConfig(name="Stuck", kind="rss", url=server.url("/stuck.xml"))],
        }
    )
    scheduler = SourceScheduler(configured, pipeline(storage), storage.sources)
    await scheduler.start()
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(server.arrived.wait(), 3)
    assert server.in_flight == 1
    started = loop.time()
    await scheduler.stop()
    assert loop.time() - started < 1.0
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    health = await storage.sources.get("stuck")
    assert health is not None and health.consecutive_failures == 0  # not counted as failure


async def test_a_missing_folder_is_created_at_start_and_watched(
    storage: SqlStorage, settings: Settings, tmp_path
) -> None:
    """A configured folder that does not exist yet is created (README: Sources), so the
    first file dropped there is ingested; no failure is recorded."""
    from sources_support import article_md

    inbox = tmp_path / "later" / "inbox"
    scheduler = SourceScheduler(settings, pipeline(storage), storage.sources, settle_s=0.05)
    scheduler.add_folder("Later", inbox, interval_s=0.3)
    await scheduler.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 3
        while not inbox.is_dir():
            assert loop.time() < deadline, "the missing folder was not created"
            await asyncio.sleep(0.05)
        (inbox / "a.md").write_text(article_md("Arrived later", "a-1"), encoding="utf-8")
        while not await storage.archive.latest():
            assert loop.time() < deadline + 3, "file in the new folder was not ingested"
            await asyncio.sleep(0.05)
        health = await storage.sources.get("later")
        assert health is not None and health.last_error is None, health
    finally:
        await scheduler.stop()


async def test_jobs_on_a_shared_scheduler_coalesce_and_never_overlap(
    storage: SqlStorage, settings: Settings, server: FeedServer
) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    server.feed("/a.xml", rss_document(rss_item("a1", "Shared scheduler news")))
    shared = AsyncIOScheduler()
    shared.start()
    shared.add_job(asyncio.sleep, "interval", args=[0], hours=1, id="digest:hourly")
    configured = settings.model_copy(
        update={
            "sources": [
                SourceConfig(name="A", kind="rss", url=server.url("/a.xml"), interval="10m")
            ]
        }
    )
    scheduler = SourceScheduler(configured, pipeline(storage), storage.sources, apscheduler=shared)
    try:
        await scheduler.start()
        job = shared.get_job("source:a")
        assert job is not None
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.trigger.interval.total_seconds() == 600 and job.trigger.jitter == 30
        await asyncio.wait_for(server.arrived.wait(), 3)  # first run is immediate
        await scheduler.stop()
        assert shared.get_job("source:a") is None
        assert shared.running and shared.get_job("digest:hourly") is not None
    finally:
        shared.shutdown(wait=False)


async def test_settle_returns_once_written_files_are_stored(
    storage: SqlStorage, settings: Settings, tmp_path
) -> None:
    from sources_support import article_md

    inbox = tmp_path / "inbox"  # not tmp_path: the database and its search index live there
    inbox.mkdir()
    scheduler = SourceScheduler(settings, pipeline(storage), storage.sources, settle_s=0.1)
    scheduler.add_folder("Inbox", inbox, interval_s=3600)
    await scheduler.start()
    try:
        (inbox / "x.md").write_text(article_md("Settled story", "s-1"), encoding="utf-8")
        await scheduler.settle()
        assert [a.title for a in await storage.archive.latest()] == ["Settled story"]
    finally:
        await scheduler.stop()
