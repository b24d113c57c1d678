"""Live sources: feed mapping speed, feed polls through the pipeline, folder latency.

- ``feed_map_items_per_s``: parse + map + enrich rows of ../shared/datasets/cryptonews.csv
  served as one RSS 2.0 document; baseline: ``feedparser.parse`` alone on the same bytes
  (ratio = how much slower the full mapping is than the bare parse).
- ``feed_poll_items_per_s``: a real HTTP poll of that feed into a fresh SQLite archive
  through ``IngestPipeline`` (stories, tags, search index); baseline: the same articles
  stored through ``ingest_article`` directly (ratio ~1 means fetching/mapping is cheap).
- ``feed_poll_304_ms`` / ``feed_poll_unchanged_ms``: a repeated poll answered 304, and one
  answered 200 with identical items (skipped before the pipeline); baseline: the first poll.
- ``folder_latency_s``: median time from the last write of a file in a watched folder to
  its article being stored (target < 1 s); baseline: the 0.5 s settle time.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser

from bot.config import HttpConfig, Settings, SourceConfig, StorageConfig
from bot.ingest.pipeline import IngestPipeline
from bot.sources.enrichment import finish_item
from bot.sources.rss import parse_feed
from bot.sources.scheduler import SourceScheduler

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("CRYPTOWIRE_SHARED") or HERE.parents[1] / "shared")
DATASET = SHARED / "datasets" / "cryptonews.csv"
FEED_ITEMS = 1000
POLL_ITEMS = 300
FOLDER_FILES = 8


def _rows(limit: int) -> list[dict[str, str]]:
    with DATASET.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        return [row for _, row in zip(range(limit), reader, strict=False)]


def _feed(rows: list[dict[str, str]]) -> bytes:
    items = []
    for n, row in enumerate(rows):
        stamp = datetime.strptime(row["date"], "%d-%m-%Y %H:%M").replace(tzinfo=UTC)
        items.append(
            f"<item><title>{escape(row['title'])}</title><link>{escape(row['url'])}</link>"
            f'<guid isPermaLink="false">row-{n}</guid>'
            f"<description>{escape('<p>' + row['text'] + '</p>')}</description>"
            f"<category>{escape(row['subject'])}</category>"
            f"<pubDate>{format_datetime(stamp)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Bench</title><link>http://127.0.0.1/</link><description>b</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def _entry(value: float, unit: str, baseline: float | None, target: str) -> dict[str, object]:
    ratio = round(value / baseline, 3) if baseline else None
    return {"value": round(value, 3), "unit": unit, "baseline": baseline, "ratio": ratio,
            "target": target}  # fmt: skip


def run(results: dict[str, dict[str, object]]) -> None:
    if not DATASET.is_file():
        print(f"   skipped: {DATASET} not found (set CRYPTOWIRE_SHARED)")
        return
    body = _feed(_rows(FEED_ITEMS))
    started = time.perf_counter()
    feedparser.parse(io.BytesIO(body))
    bare = time.perf_counter() - started
    started = time.perf_counter()
    feed = parse_feed(body, source_key="bench", source_name="Bench")
    articles = [finish_item(item) for item in feed.items]
    mapped = time.perf_counter() - started
    results["feed_map_items_per_s"] = _entry(
        len(articles) / mapped, "items/s", round(len(articles) / bare, 1), "ratio >= 0.3"
    )
    print(
        f"   map {len(articles) / mapped:.0f} items/s (bare feedparser {len(articles) / bare:.0f})"
    )
    asyncio.run(_polls(results, _feed(_rows(POLL_ITEMS))))
    asyncio.run(_folder(results))


async def _polls(results: dict[str, dict[str, object]], body: bytes) -> None:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from sources_support import FeedServer  # the tests' real 127.0.0.1 server

    from storage.plugin import open_storage

    server = await FeedServer().start()
    server.feed("/bench.xml", body, etag='"b1"')
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(storage=StorageConfig(url=f"sqlite:///{tmp}/direct.db"))
        direct_store = open_storage(base)
        await direct_store.upgrade()
        direct = IngestPipeline(
            direct_store.archive, max_bytes=2**21, story_window=timedelta(hours=72)
        )
        feed = parse_feed(body, source_key="bench", source_name="Bench")
        started = time.perf_counter()
        for item in feed.items:
            await direct.ingest_article(finish_item(item), origin="bench")
        direct_s = time.perf_counter() - started
        await direct_store.close()

        settings = Settings(
            storage=StorageConfig(url=f"sqlite:///{tmp}/poll.db"),
            http=HttpConfig(timeout_s=60, max_response_bytes=64 * 2**20),
            sources=[SourceConfig(name="Bench", kind="rss", url=server.url("/bench.xml"))],
        )
        storage = open_storage(settings)
        await storage.upgrade()
        pipeline = IngestPipeline(
            storage.archive, max_bytes=2**21, story_window=timedelta(hours=72)
        )
        scheduler = SourceScheduler(settings, pipeline, storage.sources, rng=random.Random(1))
        started = time.perf_counter()
        [first] = await scheduler.poll_once()
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        [not_modified] = await scheduler.poll_once()
        not_modified_s = time.perf_counter() - started
        server.feed("/bench.xml", body)  # validators ignored: 200 with the same items
        started = time.perf_counter()
        [unchanged] = await scheduler.poll_once()
        unchanged_s = time.perf_counter() - started
        await scheduler.stop()
        await storage.close()
    await server.close()
    assert first.ok and not_modified.not_modified and unchanged.duplicates == first.items_seen
    n = first.items_seen
    results["feed_poll_items_per_s"] = _entry(
        n / first_s, "items/s", round(n / direct_s, 1), "ratio >= 0.8"
    )
    results["feed_poll_304_ms"] = _entry(
        not_modified_s * 1000, "ms", round(first_s * 1000, 1), "ratio <= 0.01"
    )
    results["feed_poll_unchanged_ms"] = _entry(
        unchanged_s * 1000, "ms", round(first_s * 1000, 1), "ratio <= 0.2"
    )
    print(
        f"   poll {n / first_s:.0f} items/s (direct {n / direct_s:.0f}); "
        f"304 {not_modified_s * 1000:.1f} ms; unchanged {unchanged_s * 1000:.0f} ms"
    )


async def _folder(results: dict[str, dict[str, object]]) -> None:
    from storage.plugin import open_storage

    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        settings = Settings(storage=StorageConfig(url=f"sqlite:///{tmp}/folder.db"))
        storage = open_storage(settings)
        await storage.upgrade()
        pipeline = IngestPipeline(
            storage.archive, max_bytes=2**21, story_window=timedelta(hours=72)
        )
        stored: dict[str, float] = {}
        arrived = asyncio.Event()

        async def listener(outcome) -> None:  # type: ignore[no-untyped-def]
            stored[outcome.origin] = time.perf_counter()
            arrived.set()

        pipeline.add_listener(listener)
        scheduler = SourceScheduler(settings, pipeline, storage.sources)
        scheduler.add_folder("Inbox", inbox, interval_s=3600)
        await scheduler.start()
        await asyncio.sleep(0.5)
        latencies = []
        for n, row in enumerate(_rows(FOLDER_FILES)):
            path = inbox / f"{n}.md"
            title = row["title"].replace("'", "")
            text = f"---\ntitle: '{title}'\nexternalId: 'f{n}'\n---\n\n{row['text']}\n"
            arrived.clear()
            path.write_text(text, encoding="utf-8")
            written = time.perf_counter()
            while str(path) not in stored:
                await asyncio.wait_for(arrived.wait(), 10)
                arrived.clear()
            latencies.append(stored[str(path)] - written)
        await scheduler.stop()
        await storage.close()
    median = statistics.median(latencies)
    results["folder_latency_s"] = _entry(median, "s", 0.5, "value < 1.0")
    print(f"   folder latency median {median:.2f} s, max {max(latencies):.2f} s")
