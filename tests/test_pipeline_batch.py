"""Bulk ingestion (``pipeline.batch``): grouped commits, atomic articles, late but safe
announcements, on SQLite (writer thread + savepoints) and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.ingest.outcome import IngestOutcome
from bot.ingest.pipeline import IngestPipeline
from storage.archive_rows import ARTICLES, STORIES, TAGS
from storage.plugin import SqlStorage
from tests.archive_helpers import T0, make

TOPICS = [
    ("Exchange lists new meme token", "Trading opens today."),
    ("Miners sell reserves after halving", "Hashprice fell sharply."),
    ("Court rules on staking lawsuit", "The judge dismissed two claims."),
    ("Stablecoin issuer publishes audit", "Reserves cover all tokens."),
    ("Wallet app adds passkeys", "Seed phrases become optional."),
]
ARTICLES_IN = [
    make(title, summary=summary, at=T0 + timedelta(days=i))
    for i, (title, summary) in enumerate(TOPICS)
]


async def _count(storage: SqlStorage, table) -> int:  # type: ignore[no-untyped-def]
    async with storage.db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


@pytest.mark.parametrize("inline", [False, True], ids=["writer-thread", "inline"])
async def test_batch_announces_only_committed_articles(storage: SqlStorage, inline: bool):
    pipeline = IngestPipeline(storage.archive, max_bytes=1 << 20, story_window=timedelta(hours=72))
    heard: list[IngestOutcome] = []

    async def listener(outcome: IngestOutcome) -> None:
        assert outcome.article is not None and outcome.article.id is not None
        # another connection already sees it: the group was committed first
        assert await storage.archive.get_article(outcome.article.id) is not None
        heard.append(outcome)

    pipeline.add_listener(listener)
    async with pipeline.batch(group=2, inline=inline):
        for article in ARTICLES_IN:
            outcome = await pipeline.ingest_article(article, origin=article.title)
            assert outcome.status == "new"
        again = await pipeline.ingest_article(ARTICLES_IN[0], origin="again")
        assert again.status == "duplicate"
    assert sorted(o.article.title for o in heard) == sorted(a.title for a in ARTICLES_IN)  # type: ignore[union-attr]
    assert len(await storage.archive.latest(limit=10)) == 5


async def test_a_failing_article_in_a_batch_rolls_back_alone(storage: SqlStorage):
    pipeline = IngestPipeline(storage.archive, max_bytes=1 << 20, story_window=timedelta(hours=72))
    broken = replace(make("Overflowing sticky weight"), sticky_weight=2**70)
    async with pipeline.batch(group=10):
        await pipeline.ingest_article(ARTICLES_IN[0], origin="a")
        with pytest.raises(Exception):  # noqa: B017 - the driver's overflow error
            await pipeline.ingest_article(broken, origin="broken")
        await pipeline.ingest_article(ARTICLES_IN[1], origin="b")
    assert await _count(storage, ARTICLES) == 2
    assert await _count(storage, STORIES) == 2  # the broken article's story was undone
    assert await _count(storage, TAGS) == 2
    assert [a.title for a in await storage.archive.search("overflowing")] == []


async def test_saves_outside_the_batch_task_are_unaffected(storage: SqlStorage):
    pipeline = IngestPipeline(storage.archive, max_bytes=1 << 20, story_window=timedelta(hours=72))
    async with pipeline.batch(group=50):
        await pipeline.ingest_article(ARTICLES_IN[0], origin="a")
    # after the batch: plain saves commit on their own again
    outcome = await pipeline.ingest_article(ARTICLES_IN[1], origin="b")
    assert outcome.status == "new"
    assert len(await storage.archive.latest()) == 2
