"""Invented articles for archive, story and search tests (real data, built in code)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.models import Article, Sentiment

WINDOW = timedelta(hours=72)
T0 = datetime(2026, 1, 7, 4, 0, tzinfo=UTC)


def digest(article: Article) -> str:
    """A content hash over what a reader sees (tests do not depend on the parser's)."""
    parts = [
        article.title,
        article.summary,
        article.body,
        article.url or "",
        ",".join(sorted(article.tags)),
        str(article.sentiment),
        str(article.draft),
        article.published_at.isoformat(),
        article.image_url or "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def make(
    title: str,
    *,
    summary: str = "",
    body: str = "",
    source: str = "decrypt",
    at: datetime = T0,
    updated: datetime | None = None,
    tags: tuple[str, ...] = ("BTC",),
    sentiment: Sentiment = Sentiment.NEUTRAL,
    draft: bool = False,
    external_id: str | None = None,
    url: str | None = None,
) -> Article:
    article = Article(
        title=title,
        summary=summary,
        body=body or f"{title}. {summary}",
        source_key=source,
        source_name=source.title(),
        published_at=at,
        updated_at=updated,
        tags=tags,
        sentiment=sentiment,
        draft=draft,
        external_id=external_id,
        url=url,
    )
    return replace(article, content_hash=digest(article))


def edited(article: Article, **changes: object) -> Article:
    changed = replace(article, **changes)  # type: ignore[arg-type]
    return replace(changed, content_hash=digest(changed))


def key(article: Article) -> str:
    return f"{article.source_key}:{article.external_id or article.title.lower()}"


async def save(archive, article: Article, identity: str | None = None):  # type: ignore[no-untyped-def]
    return await archive.save(
        article,
        identity=identity or key(article),
        origin=f"test:{article.title}",
        story_window=WINDOW,
    )
