"""Periodic pruning of finished work, run by the one ingesting process (the leader).

Why here and not in each worker: pruning is a bulk write, and on PostgreSQL several
workers doing it at once would only contend; the leader already runs exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.config import RetentionConfig

log = logging.getLogger("cryptowire.housekeeping")


class RetentionStore(Protocol):
    """``storage.retention.SqlRetention``."""

    async def prune(self, before: datetime) -> dict[str, int]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def prune_before(config: RetentionConfig, now: datetime) -> datetime | None:
    """The cut-off for finished rows, or None when they are kept forever."""
    days = config.finished_deliveries_days
    return now - timedelta(days=days) if days > 0 else None


class Housekeeper:
    """``start()`` prunes now and then every ``every_minutes``; ``stop()`` ends it."""

    def __init__(
        self, store: RetentionStore, config: RetentionConfig, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def run_once(self) -> dict[str, int]:
        """One pruning pass; what was removed per table (empty when nothing expires)."""
        before = prune_before(self.config, self.clock())
        if before is None:
            return {}
        removed = await self.store.prune(before)
        if any(removed.values()):
            log.info("pruned finished rows older than %s: %s", before.isoformat(), removed)
        return removed

    async def start(self) -> None:
        if self._task is None and self.config.finished_deliveries_days > 0:
            self._stop.clear()
            self._task = asyncio.create_task(self._loop(), name="housekeeping")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._stop.set()
            await task

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a failed pass is retried at the next interval
                log.exception("pruning finished deliveries failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.config.every_minutes * 60)
