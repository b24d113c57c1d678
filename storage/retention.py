"""Deleting finished outbox rows and sent-message records past their retention.

Deletes go in chunks of ids (short transactions): on SQLite a long DELETE would hold
the single write lock that alerts are waiting for, and on PostgreSQL it would bloat one
transaction. Pending and sending rows are never touched, whatever their age.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, select

from bot.models import DeliveryStatus
from storage.database import Database
from storage.tables import DeliveryRow, SentMessageRow

FINISHED = (DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value, DeliveryStatus.CANCELLED.value)
CHUNK = 5_000


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

    async def _in_chunks(
        self, table: type[DeliveryRow] | type[SentMessageRow], ids: Select[tuple[int]]
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
