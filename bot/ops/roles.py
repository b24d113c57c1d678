"""Process roles for a fleet sharing one PostgreSQL (`cryptowire run --role ...`).

* ``commands``: adapters receive commands and reply (one process per platform/bot).
* ``deliver``: dispatcher workers; N of them claim from the outbox with SKIP LOCKED and
  share each bot token's send budget.
* ``ingest``: sources + pipeline + matching, run by one process at a time (the holder of
  an advisory lock; others wait as standbys).
* ``all``: everything in one process (the default; the only sensible role on SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from bot.config import Settings
from bot.delivery.pacing import Clock, SystemClock
from bot.delivery.shared_pacing import SharedSlots, budget_key
from bot.errors import Unavailable
from bot.ports import ChatAdapter

log = logging.getLogger("cryptowire.roles")

Role = Literal["all", "commands", "deliver", "ingest"]
ROLES: tuple[Role, ...] = ("all", "commands", "deliver", "ingest")
_PARTS: dict[str, frozenset[str]] = {
    "dispatcher": frozenset({"all", "deliver"}),
    "adapters": frozenset({"all", "commands"}),
    "sources": frozenset({"all", "ingest"}),
    "index": frozenset({"all", "ingest", "commands"}),
}

# Sends from several processes reach the platform with more timing jitter than one
# process's (scheduling, network, CPU load), and a burst of late sends landing together is
# what the platform refuses: the shared budget keeps 10% below the declared rate, where a
# single process keeps 3% (``bot.delivery.pacing.OVERALL_HEADROOM``).
FLEET_HEADROOM = 0.90


def late_tolerance(limit_per_s: float, rate: float, window: float) -> float:
    """How late a worker may use a slot: half of what the headroom allows.

    The platform accepts ``n = limit_per_s * window`` sends per window; slots ``1/rate``
    apart put ``n`` sends ``(n - 1) / rate`` apart, longer than the window by the headroom.
    Sends that slip by up to that much never put ``n + 1`` in one window; half of it is
    left to the way to the platform (HTTP, its clock). Telegram: 37 ms (x6: 6 ms); a
    console at 500 a second: 55 ms.
    """
    allowed = limit_per_s * window
    return max(0.0, ((allowed - 1) / rate - window) / 2)


def runs(role: str, part: str) -> bool:
    """Does a process of ``role`` run ``part`` (dispatcher, adapters, sources, index)?"""
    return role in _PARTS[part]


def _token(settings: Settings, platform: str) -> str | None:
    section = getattr(settings, platform, None)
    secret = getattr(section, "token", None)
    return secret.get_secret_value() if secret is not None else None


def shared_budgets(
    settings: Settings, storage: Any, adapters: Sequence[ChatAdapter], clock: Clock | None
) -> dict[str, SharedSlots]:
    """A budget per adapter shared with the other workers (none on SQLite: one process)."""
    url = settings.delivery.rate_limit_url
    window = 1.0 / settings.delivery.limit_scale  # the platform's second, in our seconds
    budgets: dict[str, SharedSlots] = {}
    for adapter in adapters:
        rate = adapter.capabilities.sends_per_second * FLEET_HEADROOM
        if not rate:
            continue
        key = budget_key(adapter.name, _token(settings, adapter.name))
        if url:
            from bot.delivery.redis_budget import RedisSendBudget

            budget: Any = RedisSendBudget(url, key, rate)
        else:
            coordination = getattr(storage, "coordination", None)
            budget = coordination.budget(key, rate) if coordination is not None else None
        if budget is not None:
            late_s = late_tolerance(adapter.capabilities.sends_per_second, rate, window)
            budgets[adapter.name] = SharedSlots(budget, clock or SystemClock(), late_s=late_s)
    return budgets


class LeaderGate:
    """Runs a part (the sources) only while this process holds ``leader``.

    Standbys try again every ``retry_s``. A leader that loses its lock connection (the
    database went away, or dropped the session) pauses the part and becomes a standby
    itself: it keeps trying every ``retry_s`` and resumes the part once it holds the lock
    again (or stays standby if another process took it meanwhile). One log line per
    change. Only an error that is not the database being away -- the part failing to
    start or stop -- is fatal: ``on_fatal`` gets it (the app then exits non-zero).
    """

    def __init__(
        self,
        leader: Any,
        start: Callable[[], Awaitable[object]],
        stop: Callable[[], Awaitable[object]],
        *,
        on_fatal: Callable[[BaseException], None],
        pause: Callable[[], Awaitable[object]] | None = None,
        retry_s: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.leader = leader
        self._start = start
        self._stop = stop
        self._pause = pause or stop  # losing the lock: the part may be resumed later
        self.on_fatal = on_fatal
        self.retry_s = retry_s
        self._sleep = sleep
        self.started = False
        self.lost = 0  # how often leadership was lost (and the part paused)
        self._task: asyncio.Task[None] | None = None
        self._standing_by = False
        self.became_leader = asyncio.Event()

    async def begin(self) -> None:
        """Become leader now if free (so a lone process starts at once), else keep trying."""
        leading = await self._try()
        self._task = asyncio.create_task(self._run(leading))

    async def _try(self) -> bool:
        try:
            acquired = bool(await self.leader.try_acquire())
        except Unavailable:
            return False  # the database says it is away, once (storage/availability.py)
        except Exception as exc:
            log.warning("leader election failed, retrying: %s: %s", type(exc).__name__, exc)
            return False
        if not acquired:
            if not self._standing_by:
                log.info("another process leads ingestion: standing by")
                self._standing_by = True
            return False
        self._standing_by = False
        await self._start()
        self.started = True
        self.became_leader.set()
        log.info("leading ingestion again" if self.lost else "leading ingestion")
        return True

    async def _run(self, leading: bool) -> None:
        try:
            while True:
                while not leading:
                    await self._sleep(self.retry_s)
                    leading = await self._try()
                while await self.leader.still_leading():
                    await self._sleep(self.retry_s)
                leading = False
                self.lost += 1
                log.error(
                    "lost ingestion leadership (its database connection failed): sources "
                    "paused, taking it back when the database answers"
                )
                if self.started:
                    self.started = False
                    await self._pause()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the part could not start or stop: nothing to retry
            log.error("ingestion failed: %s: %s", type(exc).__name__, exc)
            self.on_fatal(exc)

    async def _stop_part(self) -> None:
        if self.started:
            self.started = False
            await self._stop()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        try:
            await self._stop_part()
        finally:
            await self.leader.release()
