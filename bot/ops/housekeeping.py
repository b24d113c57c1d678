"""Periodic pruning of finished work, run by the one ingesting process (the leader).

Why here and not in each worker: pruning is a bulk write, and on PostgreSQL several
workers doing it at once would only contend; the leader already runs exactly once.
The leader also prunes the subscription change log, and replays it into its own index
every ``INDEX_SYNC_S`` even when no article arrives, so a quiet process never falls far
behind the log (one that does reloads its index: ``IndexSync``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.config import RetentionConfig

log = logging.getLogger("cryptowire.housekeeping")
INDEX_SYNC_S = 30.0


class RetentionStore(Protocol):
    """``storage.retention.SqlRetention``."""

    async def prune(self, before: datetime) -> dict[str, int]: ...

    async def prune_changes(self, before: datetime) -> int: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def prune_before(config: RetentionConfig, now: datetime) -> datetime | None:
    """The cut-off for finished rows, or None when they are kept forever."""
    days = config.finished_deliveries_days
    return now - timedelta(days=days) if days > 0 else None


class Housekeeper:
    """``start()`` prunes now and then every ``every_minutes``; ``stop()`` ends it.
    With ``sync`` (the planner's ``IndexSync.sync``) it also replays the subscription log
    every ``sync_every_s``."""

    def __init__(
        self,
        store: RetentionStore,
        config: RetentionConfig,
        clock: Callable[[], datetime],
        *,
        sync: Callable[[], Awaitable[object]] | None = None,
        sync_every_s: float = INDEX_SYNC_S,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.sync = sync
        self.sync_every_s = sync_every_s
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    async def run_once(self) -> dict[str, int]:
        """One pruning pass; what was removed per table (empty when nothing expires)."""
        now = self.clock()
        removed: dict[str, int] = {}
        before = prune_before(self.config, now)
        if before is not None:
            removed = await self.store.prune(before)
        hours = self.config.subscription_changes_hours
        if hours > 0:
            changes = await self.store.prune_changes(now - timedelta(hours=hours))
            if changes:
                removed["subscription_changes"] = changes
        if any(removed.values()):
            log.info("pruned rows past their retention: %s", removed)
        return removed

    async def start(self) -> None:
        if self._tasks:
            return
        self._stop.clear()
        config = self.config
        if config.finished_deliveries_days > 0 or config.subscription_changes_hours > 0:
            every = config.every_minutes * 60
            self._tasks.append(asyncio.create_task(self._loop(every), name="housekeeping"))
        if self.sync is not None:
            sync = self._syncing(self.sync_every_s)
            self._tasks.append(asyncio.create_task(sync, name="index sync"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        if tasks:
            self._stop.set()
            await asyncio.gather(*tasks)

    async def _loop(self, every_s: float) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception as exc:  # a failed pass is retried at the next interval
                log.warning("pruning failed (retried in %.0f min): %s", every_s / 60, exc)
            await self._pause(every_s)

    async def _syncing(self, every_s: float) -> None:
        assert self.sync is not None
        while not self._stop.is_set():
            await self._pause(every_s)
            if self._stop.is_set():
                return
            try:
                await self.sync()
            except Exception as exc:  # the next match syncs anyway
                log.warning("subscription index sync failed: %s", str(exc).splitlines()[0])

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
