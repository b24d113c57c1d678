"""Chats, their subscriptions and forum-topic routes (``SqlStorage.chats``).

A chat is identified by (platform, chat id); a thread or forum topic is not a chat of its
own: topics receive alerts through routes (``/route TAG`` inside a topic). Every change to
the set of active subscriptions is appended to ``subscription_changes`` so each process can
bring its in-memory index up to date with one cheap query (``changes_since``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Text, bindparam, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.index_bulk import SubscriptionBatch
from bot.models import (
    ChatKind,
    ChatRef,
    ChatSettings,
    DeliveryKind,
    DeliveryStatus,
    Subscription,
    SubscriptionFilter,
)
from storage.chat_routing import CHUNK, RoutingQueries, chat_settings, chunks
from storage.chat_writes import CHAT_BY_REF, ChatWrites, orm_get_or_create
from storage.database import Database
from storage.sqlite_reads import GroupedReader
from storage.subscription_rows import FILTER_COLUMNS, RawFilters, filter_of, subscription_batches
from storage.tables import (
    ChatRow,
    DeliveryRow,
    SubscriptionChangeRow,
    SubscriptionRow,
    utcnow,
)

SETTING_FIELDS = frozenset(
    {
        "timezone",
        "mode",
        "digest_schedule",
        "digest_time",
        "quiet_start",
        "quiet_end",
        "muted_until",
        "last_digest_at",
        "template",
        "mentions",
        "language",
        "language_hint",
    }
)


_ACTIVE_OF_CHAT = (
    select(
        SubscriptionRow.id,
        SubscriptionRow.mention,
        *FILTER_COLUMNS,
        ChatRow.platform.label("chat_platform"),
        ChatRow.chat_id.label("chat_ref"),
    )
    .join(ChatRow, ChatRow.id == SubscriptionRow.chat_id)
    .where(SubscriptionRow.chat_id == bindparam("chat_id"), SubscriptionRow.active.is_(True))
    .order_by(SubscriptionRow.id)
)


_LAST_CHANGE = select(func.max(SubscriptionChangeRow.id).label("last"))


@dataclass(frozen=True, slots=True)
class SubscriptionChange:
    """One entry of the change log; ``filter`` is set for adds of still-active subscriptions."""

    id: int
    op: str  # "add" | "remove" | "pruned" (retention's marker)
    subscription_id: int
    chat_id: int
    filter: SubscriptionFilter | None = None


class SqlChats(RoutingQueries):
    """Repository of chats, subscriptions and topic routes; every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db  # SQLite files: chat and subscription writes in groups (chat_writes)
        self.writes = ChatWrites(db) if db.sqlite_file else None
        self._reader = GroupedReader(db) if db.sqlite_file else None  # point reads likewise

    async def _read(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        if self._reader is not None:
            return await self._reader.read(statement, params)
        return await self.db.read(statement, params)

    # ------------------------------------------------------------------ chats

    async def get_or_create(
        self,
        ref: ChatRef,
        *,
        kind: ChatKind = ChatKind.PRIVATE,
        title: str | None = None,
        language_hint: str | None = None,
    ) -> ChatSettings:
        """The chat for ``ref`` (thread ignored), created on first contact; refreshed."""
        params = {"platform": ref.platform, "chat_id": ref.chat_id}
        found = await self._read(CHAT_BY_REF, params)  # the usual case: one fast read
        if found:
            row = SimpleNamespace(**found[0])
            if row.kind == kind.value and title in (None, row.title):
                if language_hint in (None, row.language_hint):
                    return chat_settings(row)  # type: ignore[arg-type]
        if self.writes is not None:
            return await self.writes.get_or_create(ref, kind, title, language_hint)
        return await orm_get_or_create(self.db, ref, kind, title, language_hint, bool(found))

    async def find(self, ref: ChatRef) -> ChatSettings | None:
        found = await self._read(CHAT_BY_REF, {"platform": ref.platform, "chat_id": ref.chat_id})
        return chat_settings(SimpleNamespace(**found[0])) if found else None  # type: ignore[arg-type]

    async def get(self, chat_id: int) -> ChatSettings | None:
        async with self.db.reading() as session:
            row = await session.get(ChatRow, chat_id)
            return None if row is None else chat_settings(row)

    async def get_many(self, chat_ids: Iterable[int]) -> dict[int, ChatSettings]:
        ids = sorted(set(chat_ids))
        found: dict[int, ChatSettings] = {}
        async with self.db.reading() as session:
            for chunk in chunks(ids):
                rows = await session.scalars(select(ChatRow).where(ChatRow.id.in_(chunk)))
                found.update((row.id, chat_settings(row)) for row in rows)
        return found

    async def update_settings(self, chat_id: int, **changes: Any) -> ChatSettings:
        """Change delivery preferences (timezone, mode, digest_*, quiet_*, muted_until)."""
        unknown = set(changes) - SETTING_FIELDS
        if unknown:
            raise ValueError(f"not chat settings: {', '.join(sorted(unknown))}")
        async with self.db.session() as session:
            row = await session.get(ChatRow, chat_id)
            if row is None:
                raise LookupError(f"no chat {chat_id}")
            for name, value in changes.items():
                setattr(row, name, value)
            return chat_settings(row)

    async def deactivate(self, chat_id: int, reason: str) -> list[int]:
        """The chat is gone (blocked, kicked, deleted): stop its subscriptions, keep history."""
        async with self.db.session() as session:
            await session.execute(
                update(ChatRow)
                .where(ChatRow.id == chat_id)
                .values(active=False, deactivated_at=utcnow(), deactivated_reason=reason[:500])
            )
            return await self._set_active(session, chat_id, False)

    async def reschedule_held(self, chat_id: int, due_at: datetime) -> int:
        """Move the chat's waiting digest rows to ``due_at`` (its schedule changed);
        returns how many alerts are held."""
        async with self.db.session() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.chat_id == chat_id,
                    DeliveryRow.kind == DeliveryKind.DIGEST.value,
                    DeliveryRow.status == DeliveryStatus.PENDING.value,
                )
                .values(due_at=due_at)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def reactivate(self, chat_id: int) -> list[int]:
        """The chat is reachable again: reactivate it and the subscriptions it lost."""
        async with self.db.session() as session:
            row = await session.get(ChatRow, chat_id)
            if row is None or row.active:
                return []
            row.active = True
            row.deactivated_at = None
            row.deactivated_reason = None
            return await self._set_active(session, chat_id, True)

    # ------------------------------------------------------------------ subscriptions

    async def add_subscription(
        self,
        chat_id: int,
        flt: SubscriptionFilter,
        *,
        created_by: str | None = None,
        mention: str | None = None,
    ) -> Subscription:
        if self.writes is not None:
            return await self.writes.add_subscription(chat_id, flt, created_by, mention)
        async with self.db.session() as session:
            chat = await session.get(ChatRow, chat_id)
            if chat is None:
                raise LookupError(f"no chat {chat_id}")
            row = SubscriptionRow(
                chat_id=chat_id,
                tags=sorted(flt.tags),
                sentiments=sorted(s.value for s in flt.sentiments),
                sources=sorted(flt.sources),
                keywords=list(flt.keywords),
                exclude_keywords=list(flt.exclude_keywords),
                lang=flt.lang,
                mention=mention,
                active=True,
                created_by=created_by,
                created_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            self._log(session, "add", [(row.id, chat_id)])
            return self._subscription(row, chat)

    async def list_subscriptions(self, chat_id: int) -> list[Subscription]:
        """The chat's active subscriptions, oldest first (their ids are what users type)."""
        rows = await self._read(_ACTIVE_OF_CHAT, {"chat_id": chat_id})
        return [
            Subscription(
                id=row["id"],
                chat=ChatRef(row["chat_platform"], row["chat_ref"]),
                filter=filter_of(*(row[column.key] for column in FILTER_COLUMNS)),
                active=True,
                mention=row["mention"],
            )
            for row in rows
        ]

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        async with self.db.reading() as session:
            row = await session.get(SubscriptionRow, subscription_id)
            if row is None:
                return None
            chat = await session.get(ChatRow, row.chat_id)
            assert chat is not None
            return self._subscription(row, chat)

    async def remove_subscription(self, chat_id: int, subscription_id: int) -> bool:
        """Delete one of this chat's subscriptions; False when the chat has no such id."""
        return bool(await self._remove(chat_id, SubscriptionRow.id == subscription_id))

    async def remove_subscriptions_by_tag(self, chat_id: int, tag: str) -> list[Subscription]:
        """Delete the chat's subscriptions that name ``tag``; returns what was removed."""
        named = [s for s in await self.list_subscriptions(chat_id) if tag in s.filter.tags]
        if named:
            await self._remove(chat_id, SubscriptionRow.id.in_([s.id for s in named]))
        return named

    async def remove_all_subscriptions(self, chat_id: int) -> list[int]:
        return await self._remove(chat_id, SubscriptionRow.active.is_(True))

    async def count_subscriptions(self, chat_id: int) -> int:
        async with self.db.reading() as session:
            query = select(func.count()).where(
                SubscriptionRow.chat_id == chat_id, SubscriptionRow.active.is_(True)
            )
            return int((await session.execute(query)).scalar_one())

    async def iter_active_subscriptions(
        self, batch_size: int = 5000
    ) -> AsyncIterator[list[tuple[int, int, SubscriptionFilter]]]:
        """All active subscriptions as (id, chat id, filter) batches in id order, for the index."""
        after = 0
        raw = [cast(column, Text) for column in FILTER_COLUMNS[:5]]  # text: no driver JSON decode
        query = select(
            SubscriptionRow.id, SubscriptionRow.chat_id, *raw, SubscriptionRow.lang
        ).where(SubscriptionRow.active.is_(True))
        decode = RawFilters()
        while True:
            async with self.db.reading() as session:
                page = query.where(SubscriptionRow.id > after).order_by(SubscriptionRow.id)
                rows = (await session.execute(page.limit(batch_size))).all()
            if not rows:
                return
            yield [(row[0], row[1], decode(*row[2:])) for row in rows]
            after = rows[-1][0]

    def subscription_batches(self, size: int = 50_000) -> AsyncIterator[SubscriptionBatch]:
        """Active subscriptions as columns in id order: the index's bulk load at start."""
        return subscription_batches(self.db, size)

    async def last_change_id(self) -> int:
        """The newest change-log id (one fast read: the planner asks before each match)."""
        rows = await self.db.read(_LAST_CHANGE, {})
        return int(rows[0]["last"] or 0) if rows else 0

    async def pruned_through(self) -> int:
        """The last change-log id deleted by pruning (0 when nothing was pruned)."""
        async with self.db.reading() as session:
            value = await session.scalar(
                select(func.max(SubscriptionChangeRow.subscription_id)).where(
                    SubscriptionChangeRow.op == "pruned"
                )
            )
            return int(value or 0)

    async def changes_since(
        self, after: int, limit: int = 10_000, *, also: Sequence[int] = ()
    ) -> list[SubscriptionChange]:
        """Log entries after ``after`` (plus the ids in ``also``: gaps left by transactions
        that had not committed yet); adds carry the filter when the subscription is active."""
        wanted = SubscriptionChangeRow.id > after
        if also:
            wanted = or_(wanted, SubscriptionChangeRow.id.in_(list(also)[:CHUNK]))
        async with self.db.reading() as session:
            rows = (
                await session.execute(
                    select(SubscriptionChangeRow, SubscriptionRow.active, *FILTER_COLUMNS)
                    .outerjoin(
                        SubscriptionRow,
                        SubscriptionRow.id == SubscriptionChangeRow.subscription_id,
                    )
                    .where(wanted)
                    .order_by(SubscriptionChangeRow.id)
                    .limit(limit)
                )
            ).all()
        changes = []
        for change, active, *columns in rows:
            flt = filter_of(*columns) if change.op == "add" and active else None
            changes.append(
                SubscriptionChange(
                    change.id, change.op, change.subscription_id, change.chat_id, flt
                )
            )
        return changes

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _subscription(row: SubscriptionRow, chat: ChatRow) -> Subscription:
        flt = filter_of(
            row.tags, row.sentiments, row.sources, row.keywords, row.exclude_keywords, row.lang
        )
        ref = ChatRef(chat.platform, chat.chat_id)
        return Subscription(id=row.id, chat=ref, filter=flt, active=row.active, mention=row.mention)

    @staticmethod
    def _log(session: AsyncSession, op: str, pairs: Iterable[tuple[int, int]]) -> None:
        now: datetime = utcnow()
        session.add_all(
            SubscriptionChangeRow(subscription_id=sid, chat_id=cid, op=op, at=now)
            for sid, cid in pairs
        )

    async def _remove(self, chat_id: int, condition: Any) -> list[int]:
        async with self.db.session() as session:
            ids = list(
                await session.scalars(
                    select(SubscriptionRow.id).where(SubscriptionRow.chat_id == chat_id, condition)
                )
            )
            for chunk in chunks(ids):
                await session.execute(delete(SubscriptionRow).where(SubscriptionRow.id.in_(chunk)))
            self._log(session, "remove", [(sid, chat_id) for sid in ids])
            return ids

    async def _set_active(self, session: AsyncSession, chat_id: int, active: bool) -> list[int]:
        ids = list(
            await session.scalars(
                select(SubscriptionRow.id).where(
                    SubscriptionRow.chat_id == chat_id, SubscriptionRow.active.is_(not active)
                )
            )
        )
        for chunk in chunks(ids):
            await session.execute(
                update(SubscriptionRow).where(SubscriptionRow.id.in_(chunk)).values(active=active)
            )
        self._log(session, "add" if active else "remove", [(sid, chat_id) for sid in ids])
        return ids
