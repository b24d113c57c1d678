"""The delivery outbox on the ``deliveries`` and ``sent_messages`` tables.

Rows are enqueued once per idempotency key (chat:story:kind), claimed by workers
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL so a fleet shares them; SQLite has a single
writer), and end as sent, failed or cancelled. A row claimed by a worker that died goes
back to pending through ``release_stale``: at most the message in flight is sent twice.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.delivery.outbox import ClaimedDelivery, SentRecord
from bot.models import PRIORITY, ChatRef, DeliveryKind, DeliveryStatus, NewDelivery
from storage import rows
from storage.database import Database
from storage.outbox_claims import chat_busy, one_per_chat
from storage.outbox_edits import OutboxEdits
from storage.outbox_reads import OutboxReads, utc
from storage.outbox_workers import OutboxWorkers
from storage.tables import (
    ArticleRow,
    ChatRow,
    DeliveryRow,
    SentMessageRow,
    StoryRow,
    SubscriptionRow,
)

D = DeliveryRow
PENDING = DeliveryStatus.PENDING.value
SENDING = DeliveryStatus.SENDING.value
# ORM-free on purpose (see _enqueue_sqlite); ON CONFLICT keeps enqueue idempotent and the
# chats foreign key still refuses a delivery to an unknown chat
_SQLITE_ENQUEUE = (
    "INSERT INTO deliveries (idempotency_key, chat_id, story_id, article_id, subscription_id,"
    " kind, priority, status, due_at, attempts, payload, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
)

_EMPTY = json.dumps({})
_PG_ENQUEUE = text(
    """
    INSERT INTO deliveries (idempotency_key, chat_id, story_id, article_id, subscription_id,
                            kind, priority, status, due_at, attempts, payload, created_at)
    SELECT t.k, t.c, t.s, t.a, t.sub, t.kd, t.p, 'pending', t.d, 0, CAST(t.pl AS JSON), :now
    FROM unnest(CAST(:keys AS VARCHAR[]), CAST(:chats AS BIGINT[]), CAST(:stories AS BIGINT[]),
                CAST(:articles AS BIGINT[]), CAST(:subs AS BIGINT[]), CAST(:kinds AS VARCHAR[]),
                CAST(:prios AS INTEGER[]), CAST(:dues AS TIMESTAMPTZ[]), CAST(:pls AS TEXT[]))
         AS t(k, c, s, a, sub, kd, p, d, pl)
    ON CONFLICT (idempotency_key) DO NOTHING
    """
)


def _ids(ids: int | Sequence[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)


async def _enqueue_postgres(
    conn: AsyncConnection, deliveries: Sequence[NewDelivery], now: datetime
) -> int:
    due = _memo(utc)  # a fan-out's rows share one due time and an empty payload
    params = {
        "now": now,
        "keys": [d.idempotency_key for d in deliveries],
        "chats": [d.chat_id for d in deliveries],
        "stories": [d.story_id for d in deliveries],
        "articles": [d.article_id for d in deliveries],
        "subs": [d.subscription_id for d in deliveries],
        "kinds": [d.kind.value for d in deliveries],
        "prios": [PRIORITY[d.kind] for d in deliveries],
        "dues": [due(d.due_at) for d in deliveries],
        "pls": [_EMPTY if d.payload == {} else json.dumps(d.payload) for d in deliveries],
    }
    result = await conn.execute(_PG_ENQUEUE, params)
    return int(result.rowcount or 0)


async def _enqueue_sqlite(
    conn: AsyncConnection, deliveries: Sequence[NewDelivery], now: datetime
) -> int:
    """One driver-level executemany of plain tuples: the ORM's per-row work (bind
    processing, parameter dicts) cost 2-3 times the insert for a 100k-row fan-out.
    Values are encoded by the columns' own types, so rows read back as any other."""
    stamp = _memo(_processor(D.__table__.c.due_at, conn))
    encode = _processor(D.__table__.c.payload, conn)
    empty = encode({})
    created = stamp(now)
    rows = [
        (
            d.idempotency_key,
            d.chat_id,
            d.story_id,
            d.article_id,
            d.subscription_id,
            d.kind.value,
            PRIORITY[d.kind],
            stamp(d.due_at),
            empty if d.payload == {} else encode(d.payload),
            created,
        )
        for d in deliveries
    ]
    result = await conn.exec_driver_sql(_SQLITE_ENQUEUE, rows)
    return int(result.rowcount or 0)


def _processor(column: Column[Any], conn: AsyncConnection) -> Callable[[Any], Any]:
    """What the column's type (decorator and dialect type) makes of a Python value."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    assert process is not None
    return process


def _memo(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A conversion remembering its results: a fan-out's rows share one due time."""
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        found = seen.get(value, seen)
        if found is seen:
            found = seen[value] = process(value)
        return found

    return cached


class SqlOutbox(OutboxReads, OutboxEdits, OutboxWorkers):
    """Implements ``bot.delivery.outbox.Outbox``; each method is one short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- enqueue -------------------------------------------------------------------------

    async def enqueue_many(self, deliveries: Sequence[NewDelivery]) -> int:
        """Insert in bulk, ignoring rows whose idempotency key exists; return rows inserted."""
        if not deliveries:
            return 0
        now = datetime.now(UTC)
        async with self.db.connect() as conn:
            if self.db.is_postgres:
                return await _enqueue_postgres(conn, deliveries, now)
            return await _enqueue_sqlite(conn, deliveries, now)

    # -- claim ---------------------------------------------------------------------------

    async def claim_due(
        self,
        worker: str,
        *,
        now: datetime,
        limit: int,
        platforms: Sequence[str] | None = None,
        chat_gap: timedelta | None = None,
    ) -> list[ClaimedDelivery]:
        """Claim up to ``limit`` due rows (breaking, alert, digest; then oldest due first).

        A claimed digest row brings every other due digest row of its chat along, so the
        dispatcher can send a chat's digest as one message. With ``chat_gap`` (a fleet of
        workers), rows of a chat another worker is sending to, or sent to less than
        ``chat_gap`` ago, are left for later (``storage/outbox_claims.py``).
        """
        async with self.db.session() as session:
            due = (
                select(D.id)
                .join(ChatRow, ChatRow.id == D.chat_id)
                .where(D.status == PENDING, D.due_at <= now, ChatRow.active.is_(True))
                .order_by(D.priority, D.due_at, D.id)
                .limit(limit)
            )
            spaced = None if chat_gap is None else ~chat_busy(now - chat_gap)
            if spaced is None:
                due = due.with_for_update(skip_locked=True, of=D)
            else:  # lock the chats too: no concurrent claim takes rows of the same chat
                due = due.where(spaced).with_for_update(
                    skip_locked=True, of=[D, ChatRow], key_share=True
                )
            if platforms is not None:
                due = due.where(ChatRow.platform.in_(list(platforms)))
            if spaced is None:
                ids = list(await session.scalars(due))
            else:  # one row per chat: the next waits for this one's recorded send
                ids = one_per_chat((await session.execute(due.add_columns(D.chat_id))).all())
            if not ids:
                return []
            digest_chats = await session.scalars(
                select(D.chat_id).where(D.id.in_(ids), D.kind == DeliveryKind.DIGEST.value)
            )
            chats = sorted(set(digest_chats))
            if chats:
                siblings = (
                    select(D.id)
                    .where(
                        D.chat_id.in_(chats),
                        D.kind == DeliveryKind.DIGEST.value,
                        D.status == PENDING,
                        D.due_at <= now,
                        D.id.notin_(ids),
                    )
                    .with_for_update(skip_locked=True, of=D)
                )
                ids.extend(await session.scalars(siblings))
            mark = update(D).where(D.id.in_(ids), D.status == PENDING)
            if spaced is not None:  # again, in a snapshot taken once the chats are locked
                mark = mark.where(spaced)
            claimed = await session.scalars(
                mark.values(status=SENDING, claimed_by=worker, claimed_at=now).returning(D.id)
            )
            return await self._load(session, list(claimed))

    async def _load(self, session: AsyncSession, ids: list[int]) -> list[ClaimedDelivery]:
        """Everything a send needs, in three bulk queries whatever the batch size."""
        if not ids:
            return []
        result = await session.execute(
            select(D, ChatRow, ArticleRow, StoryRow)
            .join(ChatRow, ChatRow.id == D.chat_id)
            .outerjoin(ArticleRow, ArticleRow.id == D.article_id)
            .outerjoin(StoryRow, StoryRow.id == D.story_id)
            .where(D.id.in_(ids))
            .order_by(D.priority, D.due_at, D.id)
        )
        batch = list(result.all())
        story_ids = {story.id for *_, story in batch if story is not None}
        sources: dict[int, set[str]] = defaultdict(set)
        if story_ids:
            pairs = await session.execute(
                select(ArticleRow.story_id, ArticleRow.source_key)
                .where(ArticleRow.story_id.in_(story_ids), ArticleRow.draft.is_(False))
                .distinct()
            )
            for story_id, source_key in pairs.all():
                sources[story_id].add(source_key)
        claimed = []
        for delivery, chat, article, story in batch:
            ref = rows.chat_ref(chat)
            thread = delivery.payload.get("thread_id") if delivery.payload else None
            if thread:
                ref = ChatRef(ref.platform, ref.chat_id, str(thread))
            claimed.append(
                ClaimedDelivery(
                    id=delivery.id,
                    kind=DeliveryKind(delivery.kind),
                    chat=rows.chat_settings(chat),
                    to=ref,
                    due_at=delivery.due_at,
                    attempts=delivery.attempts,
                    article=rows.article(article) if article is not None else None,
                    story=rows.story(story, sources[story.id]) if story is not None else None,
                    subscription_id=delivery.subscription_id,
                    payload=dict(delivery.payload or {}),
                )
            )
        return claimed

    # -- results -------------------------------------------------------------------------

    async def mark_sent(
        self,
        ids: int | Sequence[int],
        message_id: str,
        *,
        now: datetime,
        has_image: bool = False,
        rendered_hash: str | None = None,
    ) -> None:
        """Record the platform message id on the rows and in ``sent_messages`` (for edits)."""
        await self.mark_sent_many(
            [SentRecord(_ids(ids), message_id, has_image, rendered_hash)], now=now
        )

    async def mark_sent_many(self, records: Sequence[SentRecord], *, now: datetime) -> None:
        """Several sends in one transaction (the dispatcher's group commit)."""
        rows_by_id = {i: r for r in records for i in r.ids}
        if not rows_by_id:
            return
        async with self.db.session() as session:
            await session.execute(
                update(D),
                [
                    {
                        "id": delivery_id,
                        "status": DeliveryStatus.SENT.value,
                        "sent_at": now,
                        "platform_message_id": record.message_id,
                        "claimed_by": None,
                        "last_error": None,
                    }
                    for delivery_id, record in rows_by_id.items()
                ],
            )
            source = (
                select(
                    D.id,
                    D.chat_id,
                    D.story_id,
                    D.article_id,
                    ChatRow.platform,
                    D.platform_message_id,
                    literal(False, SentMessageRow.has_image.type),
                    D.sent_at,
                )
                .join(ChatRow, ChatRow.id == D.chat_id)
                .where(D.id.in_(list(rows_by_id)))
            )
            columns = ["delivery_id", "chat_id", "story_id", "article_id", "platform"]
            columns += ["message_id", "has_image", "sent_at"]
            await session.execute(insert(SentMessageRow).from_select(columns, source))
            extras = [r for r in records if r.has_image or r.rendered_hash]
            for record in extras:
                await session.execute(
                    update(SentMessageRow)
                    .where(SentMessageRow.delivery_id.in_(record.ids))
                    .values(has_image=record.has_image, rendered_hash=record.rendered_hash)
                )

    async def mark_edited(self, sent_message_id: int, *, now: datetime) -> None:
        """A sent message was edited in place (its story changed)."""
        async with self.db.session() as session:
            await session.execute(
                update(SentMessageRow)
                .where(SentMessageRow.id == sent_message_id)
                .values(edited_at=now)
            )

    async def retry_at(
        self,
        ids: int | Sequence[int],
        due_at: datetime,
        error: str | None = None,
        *,
        failed_attempt: bool = True,
    ) -> None:
        """Put rows back in the queue for ``due_at``; only failures count as attempts."""
        values: dict[str, Any] = {
            "status": PENDING,
            "due_at": due_at,
            "claimed_by": None,
            "claimed_at": None,
        }
        if failed_attempt:
            values["attempts"] = D.attempts + 1
        if error is not None:
            values["last_error"] = error
        async with self.db.session() as session:
            await session.execute(update(D).where(D.id.in_(_ids(ids))).values(**values))

    async def mark_failed(self, ids: int | Sequence[int], reason: str, *, now: datetime) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(D)
                .where(D.id.in_(_ids(ids)))
                .values(
                    status=DeliveryStatus.FAILED.value,
                    attempts=D.attempts + 1,
                    last_error=reason,
                    claimed_by=None,
                )
            )

    async def chat_gone(self, chat_id: int, reason: str, *, now: datetime) -> int:
        """The platform says we can no longer post there: stop, but keep the history."""
        async with self.db.session() as session:
            await session.execute(
                update(ChatRow)
                .where(ChatRow.id == chat_id)
                .values(active=False, deactivated_at=now, deactivated_reason=reason)
            )
            await session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.chat_id == chat_id)
                .values(active=False)
            )
            result = await session.execute(
                update(D)
                .where(D.chat_id == chat_id, D.status.in_([PENDING, SENDING]))
                .values(
                    status=DeliveryStatus.CANCELLED.value,
                    last_error=f"chat gone: {reason}",
                    claimed_by=None,
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
