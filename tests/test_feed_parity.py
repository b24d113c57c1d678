"""Feed items are finished like files: mojibake repair, tags, links and date sanity.

A real feed served over HTTP on 127.0.0.1, polled by the real scheduler into a real
archive; the same story written as a front matter file goes through ``parse_document``
and must come out with the same title, tags and sentiment.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sources_support import FeedServer, rss_document, rss_item

from bot.config import HttpConfig, Settings, SourceConfig
from bot.ingest.parse import parse_document
from bot.ingest.pipeline import IngestPipeline
from bot.sources.rss import parse_feed
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage

NOW = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
# "Solana’s" saved as UTF-8, read as cp1252 and saved again: what some feeds serve.
MOJIBAKE_TITLE = "Solana’s network upgrade lifts SOL 8% to $210".encode().decode("cp1252")


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed_server = await FeedServer().start()
    yield feed_server
    await feed_server.close()


def scheduler_for(settings: Settings, storage: SqlStorage, url: str) -> SourceScheduler:
    source = SourceConfig(name="Wire", kind="rss", url=url, interval="5m")
    configured = settings.model_copy(
        update={"sources": [source], "http": HttpConfig(timeout_s=2.0)}
    )
    limit = configured.ingest.max_file_bytes
    pipeline = IngestPipeline(storage.archive, max_bytes=limit, story_window=timedelta(hours=72))
    return SourceScheduler(
        configured, pipeline, storage.sources, clock=lambda: NOW, rng=random.Random(7)
    )


def cdata_link_item(guid: str, title: str, link: str, description: str, pub_date: str) -> str:
    """An item whose link is wrapped in CDATA with spaces and a line break around it."""
    item = rss_item(guid, title, description=description, pub_date=pub_date)
    return item.replace(f"<link>http://127.0.0.1/a/{guid}</link>", f"<link>{link}</link>")


ITEMS = (
    cdata_link_item(
        "sol-1",
        MOJIBAKE_TITLE,
        "<![CDATA[\n   http://127.0.0.1/news/solana-upgrade?ref=rss&amp;x=1   ]]>",
        "<p>The upgrade went live on Monday and SOL rallied.</p>"
        "<p>The post Solana upgrade appeared first on Bitcoin Magazine.</p>",
        "Tue, 06 Jan 2026 10:00:00 GMT",
    ),
    # A double-escaped CDATA wrapper reaches feedparser as text.
    cdata_link_item(
        "near-1",
        "NEAR rises 5.7% to $1.73 as developers ship sharding upgrade",
        "&lt;![CDATA[http://127.0.0.1/news/near]]&gt;",
        "Developers shipped the upgrade.",
        "Tue, 06 Jan 2026 09:00:00 GMT",
    ),
    rss_item("old-1", "Archive item from 1900", pub_date="Mon, 01 Jan 1900 00:00:00 GMT"),
    rss_item("far-1", "Item dated 2099", pub_date="Thu, 01 Jan 2099 00:00:00 GMT"),
)


async def test_feed_items_are_repaired_tagged_linked_and_date_checked(
    storage: SqlStorage, settings: Settings, server: FeedServer
) -> None:
    server.feed("/wire.xml", rss_document(*ITEMS))
    scheduler = scheduler_for(settings, storage, server.url("/wire.xml"))
    try:
        [report] = await scheduler.poll_once()
    finally:
        await scheduler.stop()
    assert (report.new, report.rejected) == (2, 2)
    assert any("1900" in reason and "before 1970" in reason for reason in report.rejections)
    assert any("2099" in reason and "year in the future" in reason for reason in report.rejections)

    latest = {a.external_id: a for a in await storage.archive.latest(limit=10)}
    assert set(latest) == {"sol-1", "near-1"}
    solana = latest["sol-1"]
    assert solana.title == "Solana’s network upgrade lifts SOL 8% to $210"
    assert solana.url == "http://127.0.0.1/news/solana-upgrade?ref=rss&x=1"
    assert "SOL" in solana.tags
    assert "BTC" not in solana.tags  # "Bitcoin Magazine" is the outlet, not the story
    assert latest["near-1"].url == "http://127.0.0.1/news/near"
    assert "NEAR" in latest["near-1"].tags
    assert [a.title for a in await storage.archive.latest("SOL")] == [solana.title]


def test_a_feed_item_and_the_same_story_as_a_file_are_enriched_alike() -> None:
    feed = parse_feed(rss_document(ITEMS[0]), source_key="wire", source_name="Wire", now=NOW)
    [item] = feed.items
    from bot.sources.enrichment import finish_item

    from_feed = finish_item(item)
    document = (
        "---\n"
        f"title: {MOJIBAKE_TITLE}\n"
        "publishedAt: 2026-01-06T10:00:00Z\n"
        "url: ' http://127.0.0.1/news/solana-upgrade?ref=rss&x=1 '\n"
        "source:\n  name: Wire\n---\n"
        "The upgrade went live on Monday and SOL rallied.\n\n"
        "The post Solana upgrade appeared first on Bitcoin Magazine.\n"
    )
    from_file = parse_document(document.encode(), origin="sol.md", now=NOW)
    assert from_feed.title == from_file.title == "Solana’s network upgrade lifts SOL 8% to $210"
    assert from_feed.sentiment == from_file.sentiment
    assert set(from_feed.tags) == set(from_file.tags)
    assert "BTC" not in from_file.tags


def test_a_feed_category_naming_a_coin_becomes_its_ticker_as_in_a_file() -> None:
    from bot.sources.enrichment import finish_item

    item = rss_item(
        "c-1", "Weekly wrap", description="Markets were quiet.", categories=("Bitcoin", "Markets")
    )
    [mapped] = parse_feed(rss_document(item), source_key="w", source_name="W", now=NOW).items
    document = b"---\ntitle: Weekly wrap\ntags: [Bitcoin, Markets]\n---\nMarkets were quiet.\n"
    from_file = parse_document(document, origin="w.md", now=NOW)
    assert finish_item(mapped).tags[:2] == from_file.tags[:2] == ("BTC", "MARKETS")


@pytest.mark.parametrize(
    ("published", "reason"),
    [("1900-01-01T00:00:00Z", "before 1970"), ("2099-01-01T00:00:00Z", "year in the future")],
)
def test_files_with_the_same_impossible_dates_are_rejected_alike(
    published: str, reason: str
) -> None:
    from bot.ingest.errors import RejectedDocument

    document = f"---\ntitle: T\npublishedAt: {published}\n---\nBody.\n".encode()
    with pytest.raises(RejectedDocument, match=reason):
        parse_document(document, origin="t.md", now=NOW)
