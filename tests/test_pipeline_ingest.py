"""The ingest pipeline end to end: bytes -> parse -> store -> story -> listeners."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.ingest.outcome import IngestOutcome
from bot.ingest.pipeline import IngestPipeline
from bot.models import Article
from storage.plugin import SqlStorage

MAX = 2 * 1024 * 1024


def read_samples(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def pipeline_for(storage: SqlStorage) -> IngestPipeline:
    return IngestPipeline(storage.archive, max_bytes=MAX, story_window=timedelta(hours=72))


def front_matter(title: str, *, updated: str, draft: bool = False, body: str = "") -> bytes:
    return (
        "---\n"
        f"title: '{title}'\n"
        "publishedAt: '2026-02-03T02:10:00Z'\n"
        f"updatedAt: '{updated}'\n"
        "externalId: 'inv-1'\n"
        "source:\n  name: The Block\n  key: theblock\n"
        "tags: [HACK, ETH]\n"
        f"draft: {'true' if draft else 'false'}\n"
        "---\n"
        f"{body or 'An attacker moved $230 million out of the exchange hot wallet overnight.'}\n"
    ).encode()


async def test_shared_samples_group_into_the_expected_stories(
    storage: SqlStorage, samples_dir: Path
):
    pipeline = pipeline_for(storage)
    heard: list[IngestOutcome] = []

    async def listener(outcome: IngestOutcome) -> None:
        assert outcome.article is not None and outcome.article.id is not None
        # runs after the commit: a fresh read already sees the article
        assert await storage.archive.get_article(outcome.article.id) is not None
        heard.append(outcome)

    pipeline.add_listener(listener)
    outcomes = {}
    samples = read_samples(samples_dir)
    for name, raw in samples.items():
        outcome = await pipeline.ingest_bytes(raw, origin=name)
        assert outcome.status == "new", (name, outcome.error)
        outcomes[name[:3]] = outcome
    story = {k: o.story.id for k, o in outcomes.items() if o.story}
    assert len(story) == 5
    assert story["000"] == story["001"]
    assert outcomes["001"].story_joined and not outcomes["000"].story_joined
    assert len({story["000"], story["002"], story["003"], story["004"]}) == 4
    assert len(heard) == 5
    again = await pipeline.ingest_bytes(next(iter(samples.values())), origin="again")
    assert again.status == "duplicate" and len(heard) == 5
    joined = await storage.archive.get_story(story["000"])
    assert joined is not None and joined.article_count == 2


async def test_rejected_document_stores_nothing_and_is_not_announced(storage: SqlStorage):
    pipeline = pipeline_for(storage)
    heard: list[IngestOutcome] = []

    async def listener(outcome: IngestOutcome) -> None:
        heard.append(outcome)

    pipeline.add_listener(listener)
    for raw in (b"", b"\x00\x01\x02binary", b"---\ntitle: [unclosed\n---\nbody\n"):
        outcome = await pipeline.ingest_bytes(raw, origin="bad.txt")
        assert outcome.status == "rejected"
        assert outcome.error and "\n" not in outcome.error
        assert outcome.article is None
    assert heard == []
    assert await storage.archive.latest() == []


async def test_draft_then_published_update_through_bytes(storage: SqlStorage):
    pipeline = pipeline_for(storage)
    draft = await pipeline.ingest_bytes(
        front_matter("Exchange hot wallet drained", updated="2026-02-03T03:00:00Z", draft=True),
        origin="a.md",
    )
    assert draft.status == "draft"
    assert await storage.archive.search("drained") == []
    live = await pipeline.ingest_bytes(
        front_matter("Exchange hot wallet drained", updated="2026-02-03T04:00:00Z"),
        origin="a.md",
    )
    assert live.status == "updated" and live.published_now
    assert live.article is not None and draft.article is not None
    assert live.article.id == draft.article.id
    assert [a.id for a in await storage.archive.search("drained")] == [draft.article.id]
    stale = await pipeline.ingest_bytes(
        front_matter("Old headline", updated="2026-02-03T03:30:00Z"), origin="a.md"
    )
    assert stale.status == "duplicate" and stale.error and "older" in stale.error


async def test_a_failing_listener_is_logged_and_ingestion_goes_on(storage: SqlStorage, caplog):  # type: ignore[no-untyped-def]
    pipeline = pipeline_for(storage)
    heard: list[str] = []

    async def broken(outcome: IngestOutcome) -> None:
        raise RuntimeError("listener bug")

    async def healthy(outcome: IngestOutcome) -> None:
        heard.append(outcome.status)

    pipeline.add_listener(broken)
    pipeline.add_listener(healthy)
    with caplog.at_level(logging.ERROR, logger="cryptowire.ingest"):
        outcome = await pipeline.ingest_bytes(
            front_matter("Exchange hot wallet drained", updated="2026-02-03T03:00:00Z"),
            origin="a.md",
        )
    assert outcome.status == "new"
    assert heard == ["new"]
    assert "listener" in caplog.text and "a.md" in caplog.text


async def test_feed_items_get_hash_identity_and_utc(storage: SqlStorage):
    pipeline = pipeline_for(storage)
    item = Article(
        title="Bridge exploit drains $95 million in wrapped bitcoin",
        summary="Attackers forged withdrawal proofs and took $95M.",
        source_key="theblock",
        source_name="The Block",
        published_at=datetime(2026, 12, 1, 22, 0),  # naive: a feed without a zone
        url="https://example.com/bridge?utm_source=x",
        tags=("HACK",),
    )
    first = await pipeline.ingest_article(item, origin="feed:theblock")
    assert first.status == "new" and first.article is not None
    assert first.article.content_hash
    assert first.article.published_at == datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    again = await pipeline.ingest_article(item, origin="feed:theblock")
    assert again.status == "duplicate"
    untitled = await pipeline.ingest_article(replace(item, title="  "), origin="feed:x")
    assert untitled.status == "rejected" and untitled.error
