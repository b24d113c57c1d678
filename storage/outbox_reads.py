"""Outbox reads for metrics, health checks and story edits (``SqlOutbox`` inherits them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, func, select

from bot.delivery.outbox import OutboxDepth, SentMessage
from bot.models import PRIORITY, ChatRef, DeliveryKind, DeliveryStatus
from storage import rows
from storage.database import Database
from storage.tables import ChatRow, DeliveryRow, SentMessageRow

D = DeliveryRow
PENDING = DeliveryStatus.PENDING.value
SENDING = DeliveryStatus.SENDING.value


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class OutboxReads:
    """Read-only queries over ``deliveries`` and ``sent_messages``."""

    db: Database

    async def next_due_at(self, platforms: Sequence[str] | None = None) -> datetime | None:
        """When the earliest pending row of an active chat falls due (None: queue empty).

        One index-ordered probe per priority (the claim index is status, priority, due_at),
        so the answer costs the same with a million rows waiting.
        """
        found: list[datetime] = []
        async with self.db.reading() as session:
            for priority in sorted(set(PRIORITY.values())):
                query = (
                    select(D.due_at)
                    .join(ChatRow, ChatRow.id == D.chat_id)
                    .where(D.status == PENDING, D.priority == priority)
                    .where(ChatRow.active.is_(True))
                    .order_by(D.due_at)
                    .limit(1)
                )
                if platforms is not None:
                    query = query.where(ChatRow.platform.in_(list(platforms)))
                value = await session.scalar(query)
                if value is not None:
                    found.append(utc(value) if isinstance(value, datetime) else _parse(value))
        return min(found) if found else None

    async def depth(self, *, now: datetime) -> OutboxDepth:
        async with self.db.reading() as session:
            counts = dict(
                (
                    await session.execute(
                        select(D.status, func.count())
                        .where(D.status.in_([PENDING, SENDING]))
                        .group_by(D.status)
                    )
                ).all()
            )
            due = await session.execute(
                select(func.count(), func.min(D.due_at)).where(
                    and_(D.status == PENDING, D.due_at <= now)
                )
            )
            due_count, oldest = due.one()
        oldest_at = utc(oldest) if isinstance(oldest, datetime) else _parse(oldest)
        return OutboxDepth(
            pending=int(counts.get(PENDING, 0)),
            due=int(due_count or 0),
            sending=int(counts.get(SENDING, 0)),
            oldest_due_age_s=(now - oldest_at).total_seconds() if oldest_at else None,
        )

    async def sent_messages_for_story(self, story_id: int) -> list[SentMessage]:
        """Every message sent for the story, oldest first, with where it went."""
        async with self.db.reading() as session:
            result = await session.execute(
                select(SentMessageRow, ChatRow, D.kind, D.payload)
                .join(ChatRow, ChatRow.id == SentMessageRow.chat_id)
                .outerjoin(D, D.id == SentMessageRow.delivery_id)
                .where(SentMessageRow.story_id == story_id)
                .order_by(SentMessageRow.id)
            )
            found = []
            for sent, chat, kind, payload in result.all():
                ref = rows.chat_ref(chat)
                thread = (payload or {}).get("thread_id")
                if thread:
                    ref = ChatRef(ref.platform, ref.chat_id, str(thread))
                found.append(
                    SentMessage(
                        id=sent.id,
                        delivery_id=sent.delivery_id,
                        chat_db_id=sent.chat_id,
                        to=ref,
                        story_id=sent.story_id,
                        article_id=sent.article_id,
                        platform=sent.platform,
                        message_id=sent.message_id,
                        has_image=sent.has_image,
                        sent_at=sent.sent_at,
                        edited_at=sent.edited_at,
                        kind=DeliveryKind(kind) if kind else None,
                    )
                )
            return found


def _parse(value: object) -> datetime | None:
    """SQLite aggregates (MIN) bypass the column type and come back as text."""
    if value is None:
        return None
    return utc(datetime.fromisoformat(str(value)))
