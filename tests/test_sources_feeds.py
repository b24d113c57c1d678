"""RSS and Atom sources end to end: real HTTP server, real pipeline, both databases."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sources_support import FeedServer, atom_document, atom_entry, rss_document, rss_item

from bot.config import HttpConfig, Settings, SourceConfig
from bot.ingest.pipeline import IngestPipeline
from bot.ops.metrics import Metrics
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage

T0 = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)


class Clock:
    """Injected time: health timestamps and backoff deadlines follow it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed_server = await FeedServer().start()
    yield feed_server
    await feed_server.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_scheduler(
    settings: Settings,
    storage: SqlStorage,
    clock: Clock,
    *sources: SourceConfig,
    metrics: Metrics | None = None,
    **http: object,
) -> SourceScheduler:
    configured = settings.model_copy(
        update={"sources": list(sources), "http": HttpConfig(timeout_s=0.5, **http)}
    )
    pipeline = IngestPipeline(
        storage.archive,
        max_bytes=configured.ingest.max_file_bytes,
        story_window=timedelta(hours=72),
    )
    return SourceScheduler(
        configured, pipeline, storage.sources, clock=clock, rng=random.Random(7), metrics=metrics
    )


def rss(name: str, url: str) -> SourceConfig:
    return SourceConfig(name=name, kind="rss", url=url, interval="5m")


FIRST = rss_item(
    "wire-1",
    "Bitcoin slides below $90K as ETF outflows grow",
    description="<p>Spot <b>Bitcoin</b> ETFs saw record outflows.</p>",
    categories=("Markets",),
    extra='<media:thumbnail url="http://127.0.0.1/img/1.jpg"/>',
)
SECOND = rss_item(
    "wire-2",
    "Solana validators approve fee change",
    description="Validators voted for a new fee market.",
    pub_date="Tue, 06 Jan 2026 11:00:00 GMT",
)


async def test_feed_items_are_indexed_and_a_304_costs_nothing(
    storage: SqlStorage, settings: Settings, server: FeedServer, clock: Clock
) -> None:
    server.feed("/wire.xml", rss_document(FIRST, SECOND), etag='"v1"')
    scheduler = make_scheduler(settings, storage, clock, rss("Wire", server.url("/wire.xml")))
    try:
        [report] = await scheduler.poll_once()
        assert (report.ok, report.items_seen, report.new, report.updated) == (True, 2, 2, 0)

        latest = await storage.archive.latest(limit=10)
        assert [a.title for a in latest] == [
            "Solana validators approve fee change",
            "Bitcoin slides below $90K as ETF outflows grow",
        ]
        bitcoin = latest[1]
        assert bitcoin.source_key == "wire" and bitcoin.source_name == "Wire"
        assert bitcoin.external_id == "wire-1"
        assert bitcoin.url == "http://127.0.0.1/a/wire-1"
        assert bitcoin.summary == "Spot Bitcoin ETFs saw record outflows."
        assert bitcoin.image_url == "http://127.0.0.1/img/1.jpg"
        assert "MARKETS" in bitcoin.tags and "BTC" in bitcoin.tags  # category + inferred
        assert [a.title for a in await storage.archive.latest("BTC")] == [bitcoin.title]

        health = await storage.sources.get("wire")
        assert health is not None
        assert (health.status, health.items_seen, health.etag) == ("ok", 2, '"v1"')
        assert health.last_success_at == T0

        clock.advance(minutes=5)
        [again] = await scheduler.poll_once()
        assert again.ok and again.not_modified and again.items_seen == 0
        assert server.requests("/wire.xml")[1].headers["If-None-Match"] == '"v1"'
        health = await storage.sources.get("wire")
        assert health is not None
        assert health.items_seen == 2 and health.last_success_at == T0 + timedelta(minutes=5)
        assert len(await storage.archive.latest(limit=10)) == 2
    finally:
        await scheduler.stop()


async def test_changing_feed_updates_in_place_and_never_ingests_twice(
    storage: SqlStorage, settings: Settings, server: FeedServer, clock: Clock
) -> None:
    server.feed("/wire.xml", rss_document(FIRST, SECOND), etag='"v1"')
    scheduler = make_scheduler(settings, storage, clock, rss("Wire", server.url("/wire.xml")))
    try:
        await scheduler.poll_once()
        revised = rss_item(
            "wire-2",
            "Solana validators approve fee change by wide margin",
            description="Validators voted for a new fee market; 80% in favour.",
            pub_date="Tue, 06 Jan 2026 11:00:00 GMT",
        )
        third = rss_item(
            "wire-3", "Ether staking queue empties", pub_date="Tue, 06 Jan 2026 11:30:00 GMT"
        )
        server.feed("/wire.xml", rss_document(third, revised, FIRST), etag='"v2"')
        clock.advance(minutes=5)
        [report] = await scheduler.poll_once()
        assert (report.new, report.updated, report.duplicates) == (1, 1, 1)

        titles = sorted(a.title for a in await storage.archive.latest(limit=10))
        assert titles == [
            "Bitcoin slides below $90K as ETF outflows grow",
            "Ether staking queue empties",
            "Solana validators approve fee change by wide margin",
        ]
        # Same document again (no validators match: the server ignores them): no change.
        server.feed("/wire.xml", rss_document(third, revised, FIRST))
        [same] = await scheduler.poll_once()
        assert (same.new, same.updated, same.items_seen) == (0, 0, 3)
        assert len(await storage.archive.latest(limit=10)) == 3
    finally:
        await scheduler.stop()


async def test_atom_feed_through_a_redirect(
    storage: SqlStorage, settings: Settings, server: FeedServer, clock: Clock
) -> None:
    entry = atom_entry(
        "tag:atom,2026:1",
        "XRP ETF approved",
        link="http://127.0.0.1/atom/1",
        summary="<p>The SEC approved the first XRP ETF.</p>",
        categories=("Regulation",),
    )
    server.feed("/v2/atom.xml", atom_document(entry), content_type="application/atom+xml")
    server.redirect("/atom.xml", "/v2/atom.xml", 301)
    scheduler = make_scheduler(settings, storage, clock, rss("Atom Desk", server.url("/atom.xml")))
    try:
        [report] = await scheduler.poll_once()
        assert report.ok and report.new == 1
        [article] = await storage.archive.latest()
        assert article.title == "XRP ETF approved"
        assert article.source_key == "atom-desk"
        assert article.published_at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
        assert "REGULATION" in article.tags
    finally:
        await scheduler.stop()


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda s: s.status("/f.xml", 500), r"HTTP 500 Internal Server Error$"),
        (lambda s: s.feed("/f.xml", b"<rss version='2.0'><channel><item></rss>"),
         r"malformed feed XML: line \d+, column \d+: "),
        (lambda s: s.feed("/f.xml", b"<rss>" + b"x" * 5000 + b"</rss>"),
         r"response is 5011 bytes, over the 4096-byte cap$"),
        (lambda s: s.slow("/f.xml", delay=2), r"timed out after 0.5s$"),
    ],
    ids=["http-500", "malformed", "oversize", "timeout"],
)  # fmt: skip
async def test_failures_are_recorded_with_backoff_and_recovery_resets_them(
    storage: SqlStorage, settings: Settings, server: FeedServer, clock: Clock, setup, error
) -> None:
    setup(server)
    scheduler = make_scheduler(
        settings, storage, clock, rss("Flaky", server.url("/f.xml")), max_response_bytes=4096
    )
    try:
        [first] = await scheduler.poll_once()
        assert not first.ok and first.error is not None and re.match(error, first.error)
        health = await storage.sources.get("flaky")
        assert health is not None
        assert health.status == "failing" and health.consecutive_failures == 1
        assert health.last_error == first.error and health.last_error_at == T0
        # First failure waits between half and one interval (equal jitter on 5 minutes).
        assert first.retry_at is not None
        assert T0 + timedelta(seconds=150) <= first.retry_at <= T0 + timedelta(seconds=300)
        assert health.retry_at == first.retry_at

        # The scheduled job respects the backoff: no request until the retry time.
        hits = len(server.hits)
        assert await scheduler.run_job("Flaky") is None
        assert len(server.hits) == hits

        clock.now = first.retry_at
        second = await scheduler.run_job("Flaky")
        assert second is not None and not second.ok
        assert second.retry_at is not None
        # Second failure: between 5 and 10 minutes later.
        waited = second.retry_at - clock.now
        assert timedelta(minutes=5) <= waited <= timedelta(minutes=10)
        health = await storage.sources.get("flaky")
        assert health is not None and health.consecutive_failures == 2

        server.feed("/f.xml", rss_document(FIRST))
        clock.now = second.retry_at
        recovered = await scheduler.run_job("Flaky")
        assert recovered is not None and recovered.ok and recovered.new == 1
        health = await storage.sources.get("flaky")
        assert health is not None
        assert (health.status, health.consecutive_failures, health.retry_at) == ("ok", 0, None)
        assert health.last_error == first.error  # the last error stays visible
    finally:
        await scheduler.stop()


async def test_validators_survive_a_restart(
    storage: SqlStorage, settings: Settings, server: FeedServer, clock: Clock
) -> None:
    stamp = "Tue, 06 Jan 2026 10:00:00 GMT"
    server.feed("/lm.xml", rss_document(FIRST), last_modified=stamp)
    source = rss("Wire", server.url("/lm.xml"))
    first = make_scheduler(settings, storage, clock, source)
    await first.poll_once()
    await first.stop()
    second = make_scheduler(settings, storage, clock, source)
    try:
        [report] = await second.poll_once()
        assert report.not_modified
        assert server.requests("/lm.xml")[1].headers["If-Modified-Since"] == stamp
    finally:
        await second.stop()


async def test_one_failing_source_does_not_stop_the_others(
    storage: SqlStorage, settings: Settings, server: FeedServer, clock: Clock
) -> None:
    server.status("/down.xml", 503)
    server.feed("/up.xml", rss_document(FIRST))
    metrics = Metrics()
    scheduler = make_scheduler(
        settings,
        storage,
        clock,
        rss("Down", server.url("/down.xml")),
        rss("Up", server.url("/up.xml")),
        metrics=metrics,
    )
    try:
        down, up = await scheduler.poll_once()
        assert (down.source, down.ok, down.error) == ("Down", False, "HTTP 503 Service Unavailable")
        assert (up.source, up.ok, up.new) == ("Up", True, 1)
        failures = metrics.registry.get_sample_value(
            "cryptowire_source_failures_total", {"source": "Down"}
        )
        assert failures == 1
        assert (
            metrics.registry.get_sample_value("cryptowire_source_failures_total", {"source": "Up"})
            is None
        )
    finally:
        await scheduler.stop()


async def test_server_retry_after_wins_over_a_shorter_backoff(
    storage: SqlStorage, settings: Settings, server: FeedServer, clock: Clock
) -> None:
    server.status("/busy.xml", 503, headers={"Retry-After": "3600"})
    scheduler = make_scheduler(settings, storage, clock, rss("Busy", server.url("/busy.xml")))
    try:
        [report] = await scheduler.poll_once()
        assert report.error == "HTTP 503 Service Unavailable (retry after 3600s)"
        assert report.retry_at == T0 + timedelta(hours=1)
        health = await storage.sources.get("busy")
        assert health is not None and health.retry_at == T0 + timedelta(hours=1)
    finally:
        await scheduler.stop()
