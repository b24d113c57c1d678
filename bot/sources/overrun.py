"""One poll per source at a time, and one log line when a poll outlasts its interval.

APScheduler's own guard (``max_instances=1``) logs "maximum number of running instances
reached" at WARNING on every tick that finds the previous poll still running: a feed
that takes 10 minutes with a 30 s interval wrote twenty identical lines. Here each tick
only starts a poll (and returns at once, so APScheduler's guard is never hit); a tick
that finds the source's poll still running is skipped, and the operator sees one line
when a poll starts outlasting its interval and one when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("cryptowire.sources")


@dataclass
class _Running:
    task: asyncio.Task[object]
    started: float = field(default_factory=time.monotonic)
    skipped: int = 0


class PollTicks:
    """Starts polls as tasks, at most one per source; logs overruns once per change."""

    def __init__(self, tasks: set[asyncio.Task[object]]) -> None:
        self._running: dict[str, _Running] = {}
        self._tasks = tasks  # every poll task is added here while it runs

    def tick(
        self, key: str, name: str, interval_s: float, poll: Callable[[], Awaitable[object]]
    ) -> asyncio.Task[object] | None:
        """Start ``poll()`` for the source, unless its previous poll is still running
        (then None: this tick is skipped)."""
        running = self._running.get(key)
        if running is not None and not running.task.done():
            running.skipped += 1
            if running.skipped == 1:
                log.warning(
                    "%s: a poll is still running after %.0fs (interval %gs); "
                    "the next poll starts when it ends",
                    name, time.monotonic() - running.started, interval_s,
                )  # fmt: skip
            return None

        async def run() -> object:
            return await poll()

        task: asyncio.Task[object] = asyncio.create_task(run(), name=f"poll {name}")
        state = self._running[key] = _Running(task)
        self._tasks.add(task)
        task.add_done_callback(lambda _t: self._ended(key, name, state))
        return task

    def _ended(self, key: str, name: str, state: _Running) -> None:
        self._tasks.discard(state.task)
        if self._running.get(key) is state:
            del self._running[key]
        if state.skipped:
            log.info(
                "%s: the long poll ended after %.0fs (%d tick(s) skipped); polling on schedule",
                name, time.monotonic() - state.started, state.skipped,
            )  # fmt: skip
