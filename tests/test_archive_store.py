"""The archive stores, updates, dedups and hides drafts on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.archive_rows import ARTICLES, BANDS, REVISIONS, STORIES, TAGS
from storage.plugin import SqlStorage
from tests.archive_helpers import T0, edited, make, save

LIQ = make(
    "Bitcoin dips to $92K as liquidations top $440M",
    summary="Bitcoin fell from $94,000 while more than $440 million in positions were liquidated.",
    tags=("BTC", "MARKET"),
    external_id="a1",
)


async def _count(storage: SqlStorage, table) -> int:  # type: ignore[no-untyped-def]
    async with storage.db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_new_article_is_stored_listed_and_in_a_story(storage: SqlStorage):
    outcome = await save(storage.archive, LIQ)
    assert outcome.status == "new"
    assert outcome.published_now and not outcome.story_joined
    assert outcome.article is not None and outcome.article.id is not None
    assert outcome.story is not None and outcome.story.article_count == 1
    assert outcome.story.title == LIQ.title
    stored = await storage.archive.get_article(outcome.article.id)
    assert stored is not None
    assert stored.title == LIQ.title and stored.story_id == outcome.story.id
    assert stored.published_at == T0 and stored.published_at.tzinfo is not None
    assert [a.id for a in await storage.archive.latest()] == [outcome.article.id]
    assert [a.id for a in await storage.archive.latest("btc")] == [outcome.article.id]
    assert await storage.archive.latest("ETH") == []


async def test_identical_input_again_is_a_duplicate_and_changes_nothing(storage: SqlStorage):
    first = await save(storage.archive, LIQ)
    again = await save(storage.archive, LIQ)
    assert again.status == "duplicate" and again.error is None
    assert again.article is not None and first.article is not None
    assert again.article.id == first.article.id
    assert not again.notifies
    assert await _count(storage, ARTICLES) == 1
    assert await _count(storage, REVISIONS) == 0
    assert await _count(storage, STORIES) == 1


async def test_newer_update_changes_in_place_with_a_revision(storage: SqlStorage):
    first = await save(storage.archive, LIQ)
    assert first.article is not None
    newer = edited(
        LIQ,
        title="Bitcoin slides to $92K as liquidations pass $440M",
        body="Bitcoin slides to $92K as liquidations pass $440M.",
        tags=("BTC", "ETF"),
        updated_at=T0 + timedelta(hours=2),
    )
    outcome = await save(storage.archive, newer, identity="decrypt:a1")
    assert outcome.status == "updated"
    assert outcome.article is not None and outcome.article.id == first.article.id
    assert set(outcome.changed) == {"title", "body", "tags"}
    assert not outcome.published_now
    assert outcome.story is not None and outcome.story.id == first.story.id  # type: ignore[union-attr]
    async with storage.db.connect() as conn:
        revision = (await conn.execute(select(ARTICLES.c.revision))).scalar_one()
        rows = (await conn.execute(select(REVISIONS.c.revision, REVISIONS.c.changed_fields))).all()
    assert revision == 2
    assert [(r.revision, sorted(r.changed_fields)) for r in rows] == [
        (2, ["body", "tags", "title"])
    ]
    assert await storage.archive.latest("MARKET") == []
    assert [a.title for a in await storage.archive.latest("ETF")] == [newer.title]
    assert [a.title for a in await storage.archive.search("slides")] == [newer.title]
    assert await storage.archive.search("dips") == []


async def test_older_or_equal_version_with_other_content_is_not_applied(storage: SqlStorage):
    current = edited(LIQ, updated_at=T0 + timedelta(hours=3))
    await save(storage.archive, current, identity="decrypt:a1")
    stale = edited(LIQ, title="An older headline", updated_at=T0 + timedelta(hours=1))
    outcome = await save(storage.archive, stale, identity="decrypt:a1")
    assert outcome.status == "duplicate"
    assert outcome.error is not None and "older" in outcome.error
    assert [a.title for a in await storage.archive.latest()] == [LIQ.title]


async def test_draft_is_hidden_until_published_by_an_update(storage: SqlStorage):
    draft = edited(LIQ, draft=True)
    outcome = await save(storage.archive, draft, identity="decrypt:a1")
    assert outcome.status == "draft" and outcome.story is None and not outcome.published_now
    assert outcome.notifies
    assert await storage.archive.latest() == []
    assert await storage.archive.latest("BTC") == []
    assert await storage.archive.search("liquidations") == []
    assert await storage.archive.known_tags() == []
    assert outcome.article is not None
    shown = await storage.archive.get_article(outcome.article.id)
    assert shown is not None and shown.draft
    live = edited(LIQ, draft=False, updated_at=T0 + timedelta(hours=1))
    published = await save(storage.archive, live, identity="decrypt:a1")
    assert published.status == "updated" and published.published_now
    assert published.changed == ("draft",)
    assert published.story is not None and published.article is not None
    assert published.article.story_id == published.story.id
    assert [a.id for a in await storage.archive.latest("BTC")] == [outcome.article.id]
    assert len(await storage.archive.search("liquidations")) == 1


async def test_a_failed_save_leaves_nothing_behind(storage: SqlStorage):
    broken = make("Overflowing sticky weight", external_id="bad")
    broken.sticky_weight = 2**70  # no database column can hold it: the insert fails late
    with pytest.raises(Exception):  # noqa: B017 - driver-specific overflow error
        await save(storage.archive, broken)
    for table in (ARTICLES, STORIES, BANDS, TAGS):
        assert await _count(storage, table) == 0, table.name
    ok = await save(storage.archive, LIQ)
    assert ok.status == "new"


async def test_concurrent_saves_of_one_identity_store_it_once(storage: SqlStorage):
    outcomes = await asyncio.gather(*(save(storage.archive, LIQ) for _ in range(6)))
    statuses = sorted(o.status for o in outcomes)
    assert statuses == ["duplicate"] * 5 + ["new"]
    assert await _count(storage, ARTICLES) == 1
    assert await _count(storage, STORIES) == 1


async def test_known_tags_by_frequency_and_prefix(storage: SqlStorage):
    await save(storage.archive, make("One", tags=("BTC", "ETF"), external_id="1"))
    await save(storage.archive, make("Two", tags=("BTC", "ETH"), external_id="2"))
    await save(storage.archive, make("Three", tags=("BTC", "ETH", "SOL"), external_id="3"))
    tags = await storage.archive.known_tags()
    assert tags[:2] == ["BTC", "ETH"] and set(tags) == {"BTC", "ETH", "ETF", "SOL"}
    assert await storage.archive.known_tags("et") == ["ETH", "ETF"]
    assert await storage.archive.known_tags("b", limit=1) == ["BTC"]
    assert await storage.archive.known_tags("zz") == []


async def test_unknown_ids_are_none(storage: SqlStorage):
    assert await storage.archive.get_article(999) is None
    assert await storage.archive.get_story(999) is None
    assert await storage.archive.story_articles(999) == []
