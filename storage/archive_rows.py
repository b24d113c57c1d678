"""Rows <-> neutral types for the archive, and the column lists every archive query uses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from bot.models import Article, Sentiment, Story
from storage.tables import (
    ArticleRevisionRow,
    ArticleRow,
    ArticleTagRow,
    StoryBandRow,
    StoryMemberRow,
    StoryRow,
)

ARTICLES: Table = ArticleRow.__table__  # type: ignore[assignment]
TAGS: Table = ArticleTagRow.__table__  # type: ignore[assignment]
STORIES: Table = StoryRow.__table__  # type: ignore[assignment]
BANDS: Table = StoryBandRow.__table__  # type: ignore[assignment]
MEMBERS: Table = StoryMemberRow.__table__  # type: ignore[assignment]
REVISIONS: Table = ArticleRevisionRow.__table__  # type: ignore[assignment]

ARTICLE_COLUMNS = tuple(
    ARTICLES.c[name]
    for name in (
        "id",
        "external_id",
        "url",
        "title",
        "summary",
        "body",
        "source_key",
        "source_name",
        "published_at",
        "updated_at",
        "lang",
        "tags",
        "sentiment",
        "image_url",
        "sticky_weight",
        "draft",
        "content_hash",
        "inferred",
        "story_id",
        "retracted",
    )
)
STORY_COLUMNS = tuple(
    STORIES.c[name]
    for name in (
        "id",
        "title",
        "first_published_at",
        "last_updated_at",
        "article_count",
        "tags",
        "sentiment",
    )
)

# "Not a draft" for queries scoped to one story: IS NOT cannot use the (draft,
# published_at) index, so SQLite's planner takes the story_id index instead of scanning
# every visible article (it would, for a plain draft = 0).
NOT_DRAFT_IN_STORY = ARTICLES.c.draft.isnot(True)

# Fields compared when an update arrives; "changed" in the outcome lists these names.
COMPARED_FIELDS = (
    "title",
    "summary",
    "body",
    "url",
    "external_id",
    "source_key",
    "source_name",
    "published_at",
    "lang",
    "tags",
    "sentiment",
    "image_url",
    "sticky_weight",
    "draft",
    "retracted",
)


def _sentiment(value: str | None) -> Sentiment:
    try:
        return Sentiment(value or "NEUTRAL")
    except ValueError:
        return Sentiment.NEUTRAL


def article_from_row(row: Mapping[str, Any]) -> Article:
    return Article(
        id=row["id"],
        external_id=row["external_id"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"] or "",
        body=row["body"] or "",
        source_key=row["source_key"],
        source_name=row["source_name"],
        published_at=row["published_at"],
        updated_at=row["updated_at"],
        lang=row["lang"],
        tags=tuple(row["tags"] or ()),
        sentiment=_sentiment(row["sentiment"]),
        image_url=row["image_url"],
        sticky_weight=row["sticky_weight"] or 0,
        draft=bool(row["draft"]),
        content_hash=row["content_hash"],
        inferred=tuple(row["inferred"] or ()),
        story_id=row["story_id"],
        retracted=bool(row["retracted"]),
    )


def article_values(article: Article) -> dict[str, Any]:
    """Column values for an insert or update (not id, identity, story or revision)."""
    return {
        "external_id": article.external_id,
        "url": article.url,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "source_key": article.source_key,
        "source_name": article.source_name,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "lang": article.lang,
        "tags": list(article.tags),
        "sentiment": str(article.sentiment),
        "image_url": article.image_url,
        "sticky_weight": article.sticky_weight,
        "draft": article.draft,
        "retracted": article.retracted,
        "content_hash": article.content_hash,
        "inferred": list(article.inferred),
    }


def changed_fields(stored: Article, incoming: Article) -> tuple[str, ...]:
    """Names of the compared fields whose values differ (tags compared as sets)."""
    changed = []
    for name in COMPARED_FIELDS:
        old, new = getattr(stored, name), getattr(incoming, name)
        if name == "tags":
            old, new = {t.upper() for t in old}, {t.upper() for t in new}
        if old != new:
            changed.append(name)
    return tuple(changed)


def story_from_row(row: Mapping[str, Any], source_keys: tuple[str, ...] = ()) -> Story:
    return Story(
        id=row["id"],
        title=row["title"],
        first_published_at=row["first_published_at"],
        last_updated_at=row["last_updated_at"],
        article_count=row["article_count"],
        source_keys=source_keys,
        tags=tuple(row["tags"] or ()),
        sentiment=_sentiment(row["sentiment"]),
    )


def stamp(article: Article) -> datetime:
    """When this version of the article was written: updated_at, else published_at."""
    return article.updated_at or article.published_at
