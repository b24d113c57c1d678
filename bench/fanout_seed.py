"""One story sent to many chats: the database state the outbox benchmarks start from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from bot.models import DeliveryKind, NewDelivery
from storage.plugin import SqlStorage
from storage.tables import ArticleRow, ChatRow, StoryRow


async def seed_fanout(
    storage: SqlStorage, chats: int, now: datetime
) -> tuple[int, int, list[NewDelivery]]:
    """Create ``chats`` Telegram chats, one story with one article, and the alert deliveries
    a fan-out of it would enqueue (not enqueued yet): (story id, article id, deliveries)."""
    async with storage.db.session() as session:
        await session.execute(
            insert(ChatRow),
            [{"platform": "telegram", "chat_id": str(i), "thread_id": ""} for i in range(chats)],
        )
        story = StoryRow(title="bench", first_published_at=now, last_updated_at=now)
        session.add(story)
        await session.flush()
        article = ArticleRow(
            identity="bench",
            title="bench",
            source_key="first",
            source_name="First",
            published_at=now,
            content_hash="0",
            story_id=story.id,
        )
        session.add(article)
        await session.flush()
        chat_ids = list(await session.scalars(select(ChatRow.id).order_by(ChatRow.id)))
        rows = [NewDelivery(c, DeliveryKind.ALERT, now, story.id, article.id) for c in chat_ids]
        return story.id, article.id, rows
