"""Story grouping as stored: joins, separations, the window, drafts (both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from storage.archive_rows import BANDS
from storage.plugin import SqlStorage
from tests.archive_helpers import T0, edited, save
from tests.test_stories_rules import OTHER_DAY, OTHER_FIGURES, SAME_A, SAME_B


async def test_two_sources_on_one_event_share_a_story(storage: SqlStorage):
    first = await save(storage.archive, SAME_A)
    second = await save(storage.archive, SAME_B)
    assert first.story is not None and second.story is not None
    assert second.story.id == first.story.id
    assert second.story_joined and not first.story_joined
    story = await storage.archive.get_story(first.story.id)
    assert story is not None
    assert story.article_count == 2
    assert story.title == SAME_A.title
    assert set(story.source_keys) == {"decrypt", "cryptonews"}
    assert set(story.tags) == {"BTC", "MARKET"}
    assert story.first_published_at == T0
    assert story.last_updated_at == SAME_B.published_at
    members = await storage.archive.story_articles(first.story.id)
    assert [a.title for a in members] == [SAME_A.title, SAME_B.title]


async def test_lookalikes_with_other_figures_or_days_stay_apart(storage: SqlStorage):
    """A dip on another UTC day is another story; two reports of one day's move below $90K
    with different liquidation totals are one market move (labels' rule 5; decision 045)."""
    outcomes = [await save(storage.archive, a) for a in (SAME_A, OTHER_DAY, OTHER_FIGURES)]
    assert all(o.story is not None for o in outcomes)
    first, other_day, other_figures = (o.story.id for o in outcomes if o.story)
    assert not outcomes[0].story_joined and not outcomes[1].story_joined
    assert other_day != first
    assert other_figures == other_day and outcomes[2].story_joined


async def test_candidates_come_only_from_the_window(storage: SqlStorage):
    await save(storage.archive, SAME_A)
    outside = replace(SAME_B, published_at=T0 + timedelta(hours=80))
    outcome = await save(storage.archive, edited(outside))
    assert outcome.story is not None and not outcome.story_joined
    inside = replace(SAME_B, source_key="coindesk", published_at=T0 + timedelta(hours=6))
    joined = await save(storage.archive, edited(inside))
    assert joined.story_joined


async def test_bands_are_recorded_per_story(storage: SqlStorage):
    outcome = await save(storage.archive, SAME_A)
    assert outcome.story is not None
    async with storage.db.connect() as conn:
        count = (
            await conn.execute(
                select(func.count()).select_from(BANDS).where(BANDS.c.story_id == outcome.story.id)
            )
        ).scalar_one()
        stamps = set((await conn.execute(select(BANDS.c.published_at).distinct())).scalars().all())
    assert count >= 30  # 32 MinHash bands, rare equal values collapse
    assert stamps == {outcome.story.first_published_at}  # same stored form as the ORM's


async def test_a_draft_joins_its_story_only_when_published(storage: SqlStorage):
    first = await save(storage.archive, SAME_A)
    draft = await save(storage.archive, edited(SAME_B, draft=True))
    assert draft.story is None and draft.article is not None and draft.article.story_id is None
    assert first.story is not None
    story = await storage.archive.get_story(first.story.id)
    assert story is not None and story.article_count == 1
    live = edited(SAME_B, draft=False, updated_at=SAME_B.published_at + timedelta(hours=1))
    published = await save(storage.archive, live)
    assert published.published_now and published.story_joined
    assert published.story is not None and published.story.id == first.story.id
    assert published.story.article_count == 2


async def test_updating_an_article_keeps_its_story_and_moves_its_time(storage: SqlStorage):
    first = await save(storage.archive, SAME_A)
    later = T0 + timedelta(hours=9)
    update = edited(SAME_A, summary=SAME_A.summary + " Funding rates reset.", updated_at=later)
    outcome = await save(storage.archive, update)
    assert outcome.status == "updated" and not outcome.story_joined
    assert outcome.story is not None and first.story is not None
    assert outcome.story.id == first.story.id
    assert outcome.story.last_updated_at == later
    assert outcome.story.article_count == 1
