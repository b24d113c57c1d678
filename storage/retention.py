"""Deleting finished outbox rows and sent-message records past their retention.

Deletes go in chunks of ids (short transactions): on SQLite a long DELETE would hold
the single write lock that alerts are waiting for, and on PostgreSQL it would bloat one
transaction. Pending and sending rows are never touched, whatever their age.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, select

from bot.models import DeliveryStatus
from storage.database import Database
from storage.tables import DeliveryRow, SentMessageRow, SubscriptionChangeRow

FINISHED = (DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value, DeliveryStatus.CANCELLED.value)
CHUNK = 5_000
PRUNED = "pruned"  # the change-log marker: subscription_id is the last id deleted


class SqlRetention:
    """``prune(before)`` for the housekeeping job and ``cryptowire db prune``."""

    def __init__(self, db: Database, *, chunk: int = CHUNK) -> None:
        self.db = db
        self.chunk = chunk

    async def prune(self, before: datetime) -> dict[str, int]:
        """Delete finished deliveries due before ``before`` and messages sent before it;
        returns how many rows went from each table."""
        # (status, priority, due_at, id) is the claim index: its status prefix finds the
        # finished rows without reading the pending ones
        deliveries = select(DeliveryRow.id).where(
            DeliveryRow.status.in_(FINISHED), DeliveryRow.due_at < before
        )
        messages = select(SentMessageRow.id).where(SentMessageRow.sent_at < before)
        return {
            "sent_messages": await self._in_chunks(SentMessageRow, messages),
            "deliveries": await self._in_chunks(DeliveryRow, deliveries),
        }

    async def prune_changes(self, before: datetime) -> int:
        """Delete subscription change-log entries logged before ``before`` (a prefix of
        ids). A "pruned" marker entry naming the last deleted id is committed first, so
        a process replaying the log learns it missed entries (``IndexSync`` reloads)."""
        log = SubscriptionChangeRow
        async with self.db.reading() as session:
            first_kept = await session.scalar(select(func.min(log.id)).where(log.at >= before))
            last_old = select(func.max(log.id)).where(log.op != PRUNED)
            if first_kept is not None:
                last_old = last_old.where(log.id < first_kept)
            through = await session.scalar(last_old)
        if through is None:
            return 0
        async with self.db.session() as session:
            session.add(log(subscription_id=through, chat_id=0, op=PRUNED))
        ids = select(log.id).where(log.id <= through).order_by(log.id)
        return await self._in_chunks(log, ids)

    async def _in_chunks(
        self,
        table: type[DeliveryRow] | type[SentMessageRow] | type[SubscriptionChangeRow],
        ids: Select[tuple[int]],
    ) -> int:
        removed = 0
        while True:
            async with self.db.session() as session:
                chunk = list((await session.execute(ids.limit(self.chunk))).scalars())
                if chunk:
                    await session.execute(
                        delete(table)
                        .where(table.id.in_(chunk))
                        .execution_options(synchronize_session=False)
                    )
            removed += len(chunk)
            if len(chunk) < self.chunk:
                return removed
