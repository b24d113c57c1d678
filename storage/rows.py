"""Row -> neutral type conversions the outbox needs when it loads a claimed batch.

Kept apart from the repositories so each stays one job; pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import Article, ChatKind, ChatRef, ChatSettings, Sentiment, Story
from storage.tables import ArticleRow, ChatRow, StoryRow


def _sentiment(value: str | None) -> Sentiment:
    try:
        return Sentiment(value or "NEUTRAL")
    except ValueError:
        return Sentiment.NEUTRAL


def chat_ref(row: ChatRow) -> ChatRef:
    return ChatRef(row.platform, row.chat_id, row.thread_id or None)


def chat_settings(row: ChatRow) -> ChatSettings:
    try:
        kind = ChatKind(row.kind)
    except ValueError:
        kind = ChatKind.PRIVATE
    return ChatSettings(
        id=row.id,
        ref=chat_ref(row),
        kind=kind,
        active=row.active,
        timezone=row.timezone,
        mode=row.mode,
        digest_schedule=row.digest_schedule,
        digest_time=row.digest_time,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        muted_until=row.muted_until,
        title=row.title,
        template=row.template,
        language=row.language,
        language_hint=row.language_hint,
        mentions=tuple((str(t), str(w)) for t, w in (row.mentions or ()) if t and w),
    )


def article(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        title=row.title,
        source_key=row.source_key,
        source_name=row.source_name,
        published_at=row.published_at,
        summary=row.summary or "",
        body=row.body or "",
        url=row.url,
        external_id=row.external_id,
        updated_at=row.updated_at,
        lang=row.lang,
        tags=tuple(row.tags or ()),
        sentiment=_sentiment(row.sentiment),
        image_url=row.image_url,
        sticky_weight=row.sticky_weight,
        draft=row.draft,
        content_hash=row.content_hash,
        inferred=tuple(row.inferred or ()),
        story_id=row.story_id,
        retracted=row.retracted,
    )


def story(row: StoryRow, source_keys: Iterable[str] = ()) -> Story:
    return Story(
        id=row.id,
        title=row.title,
        first_published_at=row.first_published_at,
        last_updated_at=row.last_updated_at,
        article_count=row.article_count,
        source_keys=tuple(sorted(set(source_keys))),
        tags=tuple(row.tags or ()),
        sentiment=_sentiment(row.sentiment),
    )
