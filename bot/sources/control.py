"""The console's switches for sources, applied by the process that polls them.

The console may run in another process of a fleet than the ingest leader, so its wishes
travel through the ``sources`` table (decision 026): ``enabled`` and ``poll_requested_at``
are read every ``CONTROL_S`` by the scheduler, which also writes each feed's WebSub state
back there for the console to show. A disabled source stays off across restarts: the
scheduler reads the switches before it schedules anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.errors import Unavailable
from bot.sources.base import PollReport, SourceStore, short_error
from bot.sources.overrun import PollTicks
from bot.sources.websub import WebSubSubscriber

log = logging.getLogger("cryptowire.sources")

CONTROL_S = 2.0
CONTROL_KEY = "\0console switches"  # no source key starts with NUL
CONTROL_JOB = "sources:control"


@dataclass
class Change:
    """What the console changed since the last read."""

    off: list[str] = field(default_factory=list)
    on: list[str] = field(default_factory=list)
    polls: list[tuple[str, datetime]] = field(default_factory=list)


class ConsoleControls:
    """The last switches read, and the WebSub states last written."""

    def __init__(self, store: SourceStore, websub: WebSubSubscriber | None) -> None:
        self.store = store
        self.websub = websub
        self.disabled: set[str] = set()
        self._pushed: dict[str, str | None] = {}

    async def read(self) -> Change:
        """Read the switches; on a database outage nothing changes (it is logged once)."""
        try:
            rows = await self.store.controls()
        except Unavailable:
            return Change()
        except Exception as exc:
            log.warning("cannot read the sources' switches: %s", short_error(exc))
            return Change()
        disabled = {key for key, (on, _) in rows.items() if not on}
        change = Change(
            off=sorted(disabled - self.disabled),
            on=sorted(self.disabled - disabled),
            polls=sorted((k, at) for k, (on, at) in rows.items() if on and at is not None),
        )
        self.disabled = disabled
        return change

    async def publish_push_states(self, keys: Iterable[str]) -> None:
        """Write each feed's WebSub state where it changed (usually nothing)."""
        if self.websub is None:
            return
        for key in keys:
            state = self.websub.state(key)
            if key in self._pushed and self._pushed[key] == state:
                continue
            try:
                await self.store.set_push_state(key, state)
            except Exception:  # shown a few seconds late, or after the outage
                return
            self._pushed[key] = state


def job_id(key: str) -> str:
    """Job ids are namespaced: a shared scheduler also runs digests and sweeps."""
    return f"source:{key}"


class Switches:
    """The part of ``SourceScheduler`` that obeys the console (kept apart for size)."""

    controls: ConsoleControls
    store: SourceStore
    websub: WebSubSubscriber | None
    _entries: dict[str, Any]
    _scheduler: AsyncIOScheduler | None
    _watchers: dict[str, asyncio.Task[None]]
    _running: set[asyncio.Task[object]]
    _ticks: PollTicks

    def _schedule(self, entry: Any) -> None: ...

    def _watch(self, entry: Any) -> None: ...

    async def _poll(self, entry: Any) -> PollReport: ...

    async def control_tick(self) -> None:
        """The ``CONTROL_S`` job: read the switches the way a source is polled (one read at a
        time, in a task of its own; a read that outlasts the interval is logged once), so
        APScheduler never finds the job overrunning and never warns on every tick when a
        burst keeps the database busy."""
        self._ticks.tick(CONTROL_KEY, "console switches", CONTROL_S, self.apply_controls)

    def _begin(self, entry: Any) -> None:
        """Schedule and watch the source, unless it is switched off in the console."""
        if entry.key not in self.controls.disabled:
            self._schedule(entry)
            self._watch(entry)

    def _end(self, entry: Any) -> None:
        """Switched off: no more polls, no watcher, no WebSub pushes."""
        if self._scheduler is not None and self._scheduler.get_job(job_id(entry.key)):
            self._scheduler.remove_job(job_id(entry.key))
        entry.halt.set()  # the watcher ends on its own; stop() cancels it if it has not
        watcher = self._watchers.pop(entry.key, None)
        if watcher is not None:
            self._running.add(watcher)  # type: ignore[arg-type]
            watcher.add_done_callback(self._running.discard)  # type: ignore[arg-type]
        if self.websub is not None:
            self.websub.drop(entry.key)

    async def apply_controls(self) -> None:
        """The console's switches and "poll now" (any process of a fleet may set them)."""
        change = await self.controls.read()
        for key in change.off + change.on:
            if (entry := self._entries.get(key)) is not None:
                (self._end if key in change.off else self._begin)(entry)
                log.info("%s: %s in the console", entry.name,
                         "disabled" if key in change.off else "enabled")  # fmt: skip
        for key, at in change.polls:
            if (entry := self._entries.get(key)) is not None:
                with contextlib.suppress(Exception):  # asked again next time
                    await self.store.poll_started(key, at)
                    log.info("%s: poll asked for in the console", entry.name)
                    # one poll per source at a time: one already running answers it
                    self._ticks.tick(key, entry.name, entry.interval_s, partial(self._poll, entry))
        feeds = [k for k, e in self._entries.items() if e.runner.kind != "folder"]
        await self.controls.publish_push_states(feeds)
