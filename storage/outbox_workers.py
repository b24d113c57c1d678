"""Worker leases over the outbox: heartbeats, and giving back the rows of workers that died.

A claimed row belongs to a worker while that worker's lease is fresh; these queries are the
only place a claim is released without being sent. Mixed into ``SqlOutbox``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from bot.models import DeliveryStatus
from storage.database import Database
from storage.tables import DeliveryRow, WorkerLeaseRow

D = DeliveryRow
PENDING = DeliveryStatus.PENDING.value
SENDING = DeliveryStatus.SENDING.value


class OutboxWorkers:
    """Leases of delivery workers and the release of their claims."""

    db: Database

    async def heartbeat(self, worker: str, *, now: datetime, role: str = "deliver") -> None:
        """Say ``worker`` is alive: its claimed rows are not stale while it keeps saying so."""
        async with self.db.session() as session:
            lease = await session.get(WorkerLeaseRow, worker)
            if lease is None:
                session.add(WorkerLeaseRow(name=worker, role=role, heartbeat_at=now))
            else:
                lease.heartbeat_at = now

    async def release_stale(self, older_than: timedelta, *, now: datetime) -> int:
        """Claimed rows of workers silent for ``older_than`` go back to pending (they died).

        With ``older_than=0`` every claimed row is released: right for a single worker at
        start-up (SQLite), since nothing else can hold a claim.
        """
        alive = select(WorkerLeaseRow.name).where(WorkerLeaseRow.heartbeat_at > now - older_than)
        async with self.db.session() as session:
            result = await session.execute(
                update(D)
                .where(
                    D.status == SENDING,
                    D.claimed_by.is_(None) | D.claimed_by.notin_(alive),
                )
                .values(status=PENDING, claimed_by=None, claimed_at=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def claimants(self) -> list[str]:
        """Workers currently holding claimed rows."""
        async with self.db.session() as session:
            names = await session.scalars(
                select(D.claimed_by).where(D.status == SENDING).distinct()
            )
            return sorted(n for n in names if n)

    async def release_worker(self, worker: str) -> int:
        """A worker known to be dead (its process is gone): its rows go back at once."""
        async with self.db.session() as session:
            result = await session.execute(
                update(D)
                .where(D.status == SENDING, D.claimed_by == worker)
                .values(status=PENDING, claimed_by=None, claimed_at=None)
            )
            await session.execute(delete(WorkerLeaseRow).where(WorkerLeaseRow.name == worker))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def release_claims(self, worker: str, *, keep: Collection[int]) -> int:
        """Rows ``worker`` claimed that it does not hold in memory (``keep`` are the ones it
        does) go back to pending; its lease stays. After an outage: a claim committed as
        the connection broke never reached the worker."""
        query = update(D).where(D.status == SENDING, D.claimed_by == worker)
        if keep:
            query = query.where(D.id.notin_(sorted(keep)))
        async with self.db.session() as session:
            result = await session.execute(
                query.values(status=PENDING, claimed_by=None, claimed_at=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
