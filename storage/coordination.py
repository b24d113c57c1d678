"""What several processes sharing one PostgreSQL agree on: who ingests, and the send budget.

* ``leader(name)``: a session-level advisory lock held on a dedicated connection, so
  exactly one ``--role ingest`` (or ``all``) process runs the sources; when it dies its
  connection closes and the lock passes to a standby. SQLite has one process: always leader.
* ``budget(key, rate)``: a GCRA ("theoretical arrival time") row per bot token on the
  server's clock. One UPDATE reserves ``count`` consecutive slots spaced ``1/rate`` apart
  and answers when the first is (epoch seconds on the server's clock, which workers on
  the same host read as ``time.time()``); slots of different workers never overlap, so
  together they never exceed ``rate``. SQLite: None (a single worker paces locally).
"""

from __future__ import annotations

import hashlib
import logging
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database

log = logging.getLogger("cryptowire.coordination")

_RESERVE = text(
    "INSERT INTO rate_budgets (key, tat) "
    "VALUES (:key, extract(epoch from clock_timestamp()) + :lead + :span) "
    "ON CONFLICT (key) DO UPDATE SET tat = "
    "GREATEST(rate_budgets.tat, extract(epoch from clock_timestamp()) + :lead) + :span "
    "RETURNING tat - :span"
)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLeader:
    """Leadership by ``pg_try_advisory_lock`` on a connection kept open while leading."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self.key = lock_key(f"cryptowire:leader:{name}")
        self._conn: AsyncConnection | None = None

    @property
    def leading(self) -> bool:
        return self._conn is not None or not self.db.is_postgres

    async def try_acquire(self) -> bool:
        """True when this process is (now) the leader."""
        if self.leading:
            return True
        began = time.monotonic()
        try:
            conn = await self.db.engine.connect()
        except Exception as exc:  # the server is away: Unavailable, logged once
            error = self.db.availability.translate(exc, began)
            if error is exc:
                raise
            raise error from exc
        try:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            ).scalar()
            await conn.commit()
        except Exception as exc:
            await self._close(conn)
            error = self.db.availability.translate(exc, began)
            if error is exc:
                raise
            raise error from exc
        except BaseException:
            await self._close(conn)
            raise
        self.db.availability.succeeded(began)
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def still_leading(self) -> bool:
        """Check the lock's connection is alive (a lost connection means a lost lock)."""
        if not self.db.is_postgres:
            return True
        if self._conn is None:
            return False
        began = time.monotonic()
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
        except Exception as exc:  # the caller logs the lost leadership, once
            error = self.db.availability.translate(exc, began)
            log.debug("leader %s: lock connection lost: %s", self.name, error, exc_info=True)
            await self._drop()
            return False
        self.db.availability.succeeded(began)
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        try:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await self._conn.commit()
        except Exception:
            log.debug("leader %s: unlock failed (connection gone)", self.name, exc_info=True)
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._close(conn)

    async def _close(self, conn: AsyncConnection) -> None:
        try:
            await conn.close()
        except Exception:  # a dead connection cannot be closed politely
            log.debug("leader %s: close failed", self.name, exc_info=True)


class SqlSendBudget:
    """Consecutive send slots of one shared budget (see the module docstring)."""

    def __init__(self, db: Database, key: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError("a send budget needs a rate > 0")
        self.db = db
        self.key = key[:100]
        self.rate = rate

    async def reserve_at(self, count: int, lead: float = 0.0) -> float:
        """Reserve ``count`` slots, none sooner than ``lead`` seconds from now; the epoch
        time of the first (the rest follow 1/rate apart).

        An absolute time, not a delay: the answer may reach us late, the slot stays put.
        """
        span = max(1, count) / self.rate
        params = {"key": self.key, "span": span, "lead": max(0.0, lead)}
        async with self.db.connect() as conn:
            first = (await conn.execute(_RESERVE, params)).scalar()
        return float(first or 0.0)


class SqlCoordination:
    """Factory for leaders and shared budgets over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def leader(self, name: str) -> AdvisoryLeader:
        return AdvisoryLeader(self.db, name)

    def budget(self, key: str, rate: float) -> SqlSendBudget | None:
        return SqlSendBudget(self.db, key, rate) if self.db.is_postgres else None
