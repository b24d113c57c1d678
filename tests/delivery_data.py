"""Rows the delivery tests need (chats, stories, articles), inserted straight into the tables.

The outbox reads what other repositories write; building those rows here keeps the
delivery tests independent of how chats and articles are created elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import DeliveryKind, NewDelivery
from storage.plugin import SqlStorage
from storage.tables import ArticleRow, ChatRow, StoryRow, SubscriptionRow

T0 = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)


async def add_chats(
    storage: SqlStorage, count: int, *, platform: str = "console", kind: str = "private"
) -> list[int]:
    """Create ``count`` chats, each with one BTC subscription; return their database ids."""
    async with storage.db.session() as session:
        chats = [
            ChatRow(platform=platform, chat_id=f"c{i:05d}", thread_id="", kind=kind)
            for i in range(count)
        ]
        session.add_all(chats)
        await session.flush()
        session.add_all(SubscriptionRow(chat_id=c.id, tags=["BTC"]) for c in chats)
        return [c.id for c in chats]


async def add_story(
    storage: SqlStorage,
    title: str = "Bitcoin tests $100K",
    *,
    sources: tuple[str, ...] = ("decrypt",),
    published: datetime = T0,
) -> tuple[int, list[int]]:
    """A story reported by one article per source; return (story id, article ids)."""
    async with storage.db.session() as session:
        story = StoryRow(
            title=title,
            first_published_at=published,
            last_updated_at=published,
            article_count=len(sources),
            tags=["BTC"],
            sentiment="POSITIVE",
        )
        session.add(story)
        await session.flush()
        articles = [
            ArticleRow(
                identity=f"{source}:{title}",
                title=title if n == 0 else f"{title} ({source})",
                summary=f"What {source} reported.",
                source_key=source,
                source_name=source.title(),
                published_at=published + timedelta(minutes=n),
                url=f"https://{source}.example/{story.id}",
                tags=["BTC", "MARKET"],
                sentiment="POSITIVE",
                content_hash=f"{n:064d}",
                story_id=story.id,
            )
            for n, source in enumerate(sources)
        ]
        session.add_all(articles)
        await session.flush()
        return story.id, [a.id for a in articles]


def deliveries(
    chat_ids: list[int],
    story_id: int,
    article_id: int,
    *,
    kind: DeliveryKind = DeliveryKind.ALERT,
    due_at: datetime = T0,
) -> list[NewDelivery]:
    return [
        NewDelivery(chat_id=c, kind=kind, due_at=due_at, story_id=story_id, article_id=article_id)
        for c in chat_ids
    ]
