"""Read-mostly queries behind the operator console (bot/web): counts, lists and details.

Each query reads an index range (stories by id, articles by published date, sent messages
by story), so the dashboard and the story list stay fast on a big archive. Rows go out as
plain dicts: the console renders them as HTML or JSON without knowing a table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from storage.chats import SqlChats
from storage.database import Database
from storage.tables import (
    ArticleRevisionRow,
    ArticleRow,
    ChatRow,
    DeliveryRow,
    SentMessageRow,
    SourceRow,
    StoryRow,
    SubscriptionRow,
)

MAX_LIMIT = 200
RECENT_DELIVERIES = 10_000  # "deliveries by result" counts the newest this many


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def _hour_start(value: Any) -> datetime:
    """A bucket as the database returned it (a datetime, or "YYYY-MM-DD HH") -> UTC hour."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).replace("T", " ")
    return datetime.strptime(text[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)


def _hourly(buckets: list[tuple[datetime, int]], now: datetime, hours: int) -> list[int]:
    """Counts per hour, oldest first, for the ``hours`` clock hours up to ``now``."""
    counts = [0] * hours
    top = now.replace(minute=0, second=0, microsecond=0)
    for start, count in buckets:
        back = int((top - start).total_seconds() // 3600)
        if 0 <= back < hours:
            counts[hours - 1 - back] += count
    return counts


def _story(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "first_published_at": _iso(row.first_published_at),
        "last_updated_at": _iso(row.last_updated_at),
        "sources": row.article_count,
        "tags": list(row.tags or []),
        "sentiment": row.sentiment,
        "breaking": bool(row.breaking),
        "retracted": bool(row.retracted),
    }


_STORY_COLUMNS = (
    StoryRow.id,
    StoryRow.title,
    StoryRow.first_published_at,
    StoryRow.last_updated_at,
    StoryRow.article_count,
    StoryRow.tags,
    StoryRow.sentiment,
    StoryRow.breaking,
    StoryRow.retracted,
)


class SqlConsole:
    """The console's view of the database; every method is one short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def stories(self, *, limit: int = 50, after: int = 0) -> list[dict[str, Any]]:
        """Newest first; ``after``: only stories created after that id (live updates)."""
        query = select(*_STORY_COLUMNS).order_by(StoryRow.id.desc()).limit(_limit(limit))
        if after:
            query = query.where(StoryRow.id > after)
        async with self.db.reading() as conn:
            return [_story(r) for r in await conn.execute(query)]

    async def stories_by_id(self, ids: list[int]) -> list[dict[str, Any]]:
        """The given stories in the given order (search results)."""
        if not ids:
            return []
        async with self.db.reading() as conn:
            rows = await conn.execute(select(*_STORY_COLUMNS).where(StoryRow.id.in_(ids)))
            found = {r.id: _story(r) for r in rows}
        return [found[i] for i in ids if i in found]

    async def dashboard(self, *, now: datetime, hours: int = 24) -> dict[str, Any]:
        """Articles and stories per hour, deliveries by status, sources' health."""
        since = now - timedelta(hours=hours)
        async with self.db.reading() as conn:
            articles = await self._per_hour(conn, ArticleRow.published_at, since, now,
                                            ArticleRow.draft.is_(False))  # fmt: skip
            stories = await self._per_hour(conn, StoryRow.first_published_at, since, now)
            # the newest deliveries by primary key: a bounded range scan, where counting
            # the whole outbox by status reads every row (100k rows: ~35 ms)
            top = (await conn.execute(select(func.max(DeliveryRow.id)))).scalar() or 0
            deliveries = {
                status: count
                for status, count in await conn.execute(
                    select(DeliveryRow.status, func.count())
                    .where(DeliveryRow.id > top - RECENT_DELIVERIES)
                    .group_by(DeliveryRow.status)
                )
            }
            sources = [
                {
                    "key": r.key,
                    "name": r.name,
                    "kind": r.kind,
                    "last_success_at": _iso(r.last_success_at),
                    "last_error": r.last_error,
                    "last_error_at": _iso(r.last_error_at),
                    "consecutive_failures": r.consecutive_failures,
                    "items_seen": r.items_seen,
                    "healthy": r.consecutive_failures == 0,
                }
                for r in (await conn.execute(select(SourceRow).order_by(SourceRow.key))).scalars()
            ]
        return {
            "hours": hours,
            "articles_per_hour": _hourly(articles, now, hours),
            "stories_per_hour": _hourly(stories, now, hours),
            "deliveries_by_status": dict(sorted(deliveries.items())),
            "sources": sources,
        }

    async def _per_hour(self, conn: Any, column: Any, since: datetime, now: datetime, *also: Any):
        """(hour, count) rows: grouped in the database (an index range, no row per article)."""
        if self.db.is_postgres:
            bucket = func.date_trunc("hour", column)
        else:  # stored as "YYYY-MM-DD HH:MM:SS..." text
            bucket = func.substr(column, 1, 13)
        query = (
            select(bucket, func.count())
            .where(column >= since, column <= now, *also)
            .group_by(bucket)
        )
        return [(_hour_start(b), int(n)) for b, n in await conn.execute(query)]

    async def alerted(self, *, story_id: int | None = None, article_id: int | None = None):
        """The chats a story (or article) reached: platform, title, when, edited."""
        column = SentMessageRow.story_id if story_id is not None else SentMessageRow.article_id
        key = story_id if story_id is not None else article_id
        query = (
            select(
                ChatRow.id,
                ChatRow.platform,
                ChatRow.title,
                ChatRow.chat_id,
                SentMessageRow.sent_at,
                SentMessageRow.edited_at,
                SentMessageRow.message_id,
            )
            .join(ChatRow, ChatRow.id == SentMessageRow.chat_id)
            .where(column == key)
            .order_by(SentMessageRow.sent_at)
            .limit(MAX_LIMIT)
        )
        async with self.db.reading() as conn:
            return [
                {
                    "chat": r.id,
                    "platform": r.platform,
                    "title": r.title or r.chat_id,
                    "sent_at": _iso(r.sent_at),
                    "edited_at": _iso(r.edited_at),
                    "message_id": r.message_id,
                }
                for r in await conn.execute(query)
            ]

    async def revisions(self, article_ids: list[int]) -> list[dict[str, Any]]:
        """What changed when each article was updated in place, oldest first."""
        if not article_ids:
            return []
        query = (
            select(ArticleRevisionRow)
            .where(ArticleRevisionRow.article_id.in_(article_ids))
            .order_by(ArticleRevisionRow.changed_at)
            .limit(MAX_LIMIT)
        )
        async with self.db.reading() as conn:
            return [
                {
                    "article": r.article_id,
                    "revision": r.revision,
                    "changed": list(r.changed_fields or []),
                    "at": _iso(r.changed_at),
                }
                for r in (await conn.execute(query)).scalars()
            ]

    async def chats(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """Chats with their settings and subscription counts, newest first."""
        subs = (
            select(SubscriptionRow.chat_id, func.count().label("n"))
            .where(SubscriptionRow.active.is_(True))
            .group_by(SubscriptionRow.chat_id)
            .subquery()
        )
        query = (
            select(ChatRow, func.coalesce(subs.c.n, 0))
            .outerjoin(subs, subs.c.chat_id == ChatRow.id)
            .order_by(ChatRow.id.desc())
            .limit(_limit(limit))
        )
        async with self.db.reading() as conn:
            rows = (await conn.execute(query)).all()
        return [{**_chat(chat), "subscriptions": int(n)} for chat, n in rows]

    async def pause_subscription(self, chat_id: int, subscription_id: int, on: bool):
        return await set_subscription_active(self.db, chat_id, subscription_id, on)

    async def chat(self, chat_id: int) -> dict[str, Any] | None:
        """One chat, its settings and every subscription (paused ones too)."""
        async with self.db.reading() as conn:
            row = (await conn.execute(select(ChatRow).where(ChatRow.id == chat_id))).scalar()
            if row is None:
                return None
            subs = (
                await conn.execute(
                    select(SubscriptionRow)
                    .where(SubscriptionRow.chat_id == chat_id)
                    .order_by(SubscriptionRow.id)
                )
            ).scalars()
            return {**_chat(row), "subscription_list": [_subscription(s) for s in subs]}

    async def deliveries(self, chat_id: int, *, limit: int = 50) -> list[dict[str, Any]]:
        """The chat's newest deliveries with their result (index on chat, story)."""
        query = (
            select(DeliveryRow, ArticleRow.title)
            .outerjoin(ArticleRow, ArticleRow.id == DeliveryRow.article_id)
            .where(DeliveryRow.chat_id == chat_id)
            .order_by(DeliveryRow.id.desc())
            .limit(_limit(limit))
        )
        async with self.db.reading() as conn:
            rows = (await conn.execute(query)).all()
        return [
            {
                "id": d.id,
                "kind": d.kind,
                "status": d.status,
                "story": d.story_id,
                "article": d.article_id,
                "title": title or "",
                "attempts": d.attempts,
                "due_at": _iso(d.due_at),
                "sent_at": _iso(d.sent_at),
                "error": d.last_error,
            }
            for d, title in rows
        ]


def _chat(row: ChatRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "platform": row.platform,
        "chat_id": row.chat_id,
        "thread_id": row.thread_id,
        "kind": row.kind,
        "title": row.title or row.chat_id,
        "active": row.active,
        "timezone": row.timezone,
        "mode": row.mode,
        "digest": row.digest_schedule,
        "digest_time": row.digest_time,
        "quiet": f"{row.quiet_start}-{row.quiet_end}" if row.quiet_start else None,
        "template": row.template,
    }


def _subscription(row: SubscriptionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "tags": list(row.tags or []),
        "sentiments": list(row.sentiments or []),
        "sources": list(row.sources or []),
        "keywords": list(row.keywords or []),
        "exclude_keywords": list(row.exclude_keywords or []),
        "lang": row.lang,
        "active": bool(row.active),
    }


async def set_subscription_active(db: Database, chat_id: int, subscription_id: int, on: bool):
    """Pause (or resume) one subscription of the chat, logged as a remove (or an add) so
    every process's subscription index follows; None when the chat has no such one."""
    async with db.session() as session:
        row = await session.get(SubscriptionRow, subscription_id)
        if row is None or row.chat_id != chat_id:
            return None
        if row.active != on:
            row.active = on
            SqlChats._log(session, "add" if on else "remove", [(subscription_id, chat_id)])
        return on
