"""Wires Cryptowire together in ONE asyncio loop that we own, and runs it until told to stop.

settings -> storage (entry point, migrated at start) -> ingest pipeline -> alert planner
(a pipeline listener that fills the outbox) and command handler -> chat adapters (entry
points; the console when nothing else is configured) -> sources (folder watchers, feed
polls) -> dispatcher (outbox workers) -> optional /healthz and /metrics. SIGINT/SIGTERM
stop it cleanly: no new work is taken, in-flight sends finish, claimed-but-unsent rows go
back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

from bot.config import Settings
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.pacing import Clock
from bot.delivery.shared_pacing import scale_limits
from bot.errors import RuntimeFailure
from bot.ingest.prefetch import warm_up
from bot.ops.http_server import HealthReport, HealthServer
from bot.ops.roles import LeaderGate, Role, runs, shared_budgets
from bot.ops.startup import until_ready
from bot.plugins import ADAPTER_GROUP, STORAGE_GROUP, load_plugin
from bot.ports import ChatAdapter
from bot.web.server import WebServer, console_server
from bot.wiring import Core, build_core, seed_examples

log = logging.getLogger("cryptowire.app")

Mode = Literal["run", "demo"]
CONSOLE = "console"


def load_adapters(settings: Settings, *, console_only: bool = False) -> list[ChatAdapter]:
    """Every configured adapter from the entry points; the console when none is configured."""
    adapters: list[ChatAdapter] = []
    if not console_only:
        for entry in sorted(entry_points(group=ADAPTER_GROUP), key=lambda e: e.name):
            if entry.name == CONSOLE:
                continue
            adapter = entry.load()(settings)
            if adapter is not None:
                adapters.append(adapter)
    if not adapters:
        adapters.append(load_plugin(ADAPTER_GROUP, CONSOLE)(settings))
    return adapters


@dataclass
class Parts:
    """Everything ``App`` built, so it can stop them in reverse order."""

    storage: Any
    core: Core
    adapters: list[ChatAdapter]
    dispatcher: Dispatcher
    health: HealthServer | None = None
    gate: LeaderGate | None = None
    web: WebServer | None = None  # the operator console ([web] listen)


class App:
    """The whole bot: ``await App(settings).run()`` returns after a clean stop."""

    def __init__(
        self,
        settings: Settings,
        *,
        mode: Mode = "run",
        inbox: Path | None = None,
        adapters: list[ChatAdapter] | None = None,
        clock: Clock | None = None,
        role: Role = "all",
    ) -> None:
        self.settings = settings
        self.mode = mode
        self.role = role  # which parts this process runs (bot/ops/roles.py)
        self.inbox = inbox
        self._adapters = adapters
        self.clock = clock
        self.parts: Parts | None = None
        self.stopping = asyncio.Event()
        self.failure: BaseException | None = None  # why a part failed for good (``fail``)

    # -- assembly ------------------------------------------------------------------------

    async def assemble(self) -> Parts:
        """Open and migrate the storage, then build every part (nothing runs yet)."""
        storage = load_plugin(STORAGE_GROUP, "sqlalchemy")(self.settings)
        try:
            if self.mode == "run":  # a database not up yet is waited for (bot/ops/startup.py)
                await until_ready(storage.upgrade, self.stopping)
            else:
                await storage.upgrade()
            if hasattr(storage, "announce_outages"):  # one log line per database state change
                storage.announce_outages()
            core = await build_core(
                self.settings,
                storage,
                inbox=self.inbox,
                on_enqueued=self._wake,
                index_subscriptions=runs(self.role, "index"),
            )
            if self.mode == "demo":
                seeded = await seed_examples(core.pipeline)
                log.info("demo archive seeded with %d example articles", seeded)
            adapters = self._adapters or load_adapters(
                self.settings, console_only=self.mode == "demo"
            )
            scale_limits(adapters, self.settings.delivery.limit_scale)
            sqlite = storage.dialect == "sqlite"
            dispatcher = Dispatcher(
                storage.outbox,
                adapters,
                self.settings.delivery,
                clock=self.clock,
                # Several workers may share PostgreSQL: a row is only taken back from a
                # worker whose lease has been silent ``[fleet] lease_s`` (a dead process on
                # this host is noticed at once). SQLite has a single worker, so whatever
                # it finds claimed at start is stale.
                stale_after=timedelta(0)
                if sqlite
                else timedelta(seconds=self.settings.fleet.lease_s),
                on_chat_gone=storage.chats.deactivate,
                on_result=core.metrics.record_send,
                budgets=None
                if sqlite
                else shared_budgets(self.settings, storage, adapters, self.clock),
                shared_chats=not sqlite,
                templates=core.templates,
            )
            parts = Parts(storage, core, adapters, dispatcher)
            if self.settings.http.listen:
                parts.health = HealthServer(
                    self.settings.http.listen,
                    core.metrics,
                    lambda: self._health(parts),
                    refresh=lambda: self._outbox_gauges(parts),
                    routes=core.sources.websub.routes() if core.sources.websub else (),
                )
            if self.settings.web.listen:
                parts.web = console_server(
                    self.settings, storage, adapters, core.services.handle_command, core
                )
        except BaseException:
            await storage.close()
            raise
        return parts

    def _wake(self) -> None:
        if self.parts is not None:
            self.parts.dispatcher.wake()

    async def _health(self, parts: Parts) -> HealthReport:
        """Database reachable, adapters running, outbox lag (also updates the gauges)."""
        await parts.storage.ping()
        depth = await self._outbox_gauges(parts)
        return HealthReport(
            ok=self.parts is parts,
            details={
                "database": parts.storage.dialect,
                "role": self.role,
                "leading_ingest": bool(parts.gate and parts.gate.started),
                "adapters": [a.name for a in parts.adapters],
                "outbox_pending": depth.pending,
                "outbox_due": depth.due,
                "outbox_oldest_due_age_s": depth.oldest_due_age_s,
            },
        )

    async def _outbox_gauges(self, parts: Parts) -> Any:
        """Outbox depth and the age of the oldest due row, into the metrics gauges."""
        depth = await parts.storage.outbox.depth(now=parts.dispatcher.clock.now())
        parts.core.metrics.set_outbox(depth.pending, depth.oldest_due_age_s or 0.0)
        return depth

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> Parts:
        self.parts = parts = await self.assemble()
        try:
            if runs(self.role, "dispatcher"):
                await parts.dispatcher.start()
            if runs(self.role, "adapters"):
                for adapter in parts.adapters:
                    await adapter.start(parts.core.services)
                    log.info("adapter %s started", adapter.name)
            if runs(self.role, "sources"):  # one ingesting process per database
                await asyncio.to_thread(warm_up, self.settings.stories.method)
                leader = parts.storage.coordination.leader("ingest")
                parts.gate = LeaderGate(
                    leader,
                    lambda: self._lead(parts, True),
                    lambda: self._lead(parts, False),
                    pause=lambda: self._lead(parts, False, final=False),
                    on_fatal=self.fail,
                    retry_s=self.settings.fleet.leader_retry_s,
                )
                await parts.gate.begin()
            if parts.health is not None:
                await parts.health.start()
            if parts.web is not None:
                await parts.web.start()
        except BaseException:
            await self.stop()
            raise
        return parts

    @staticmethod
    async def _lead(parts: Parts, start: bool, *, final: bool = True) -> None:
        """What only the leader runs: the sources, and pruning of finished work
        (``final=False``: leadership was lost, the sources may be resumed later)."""
        keeper = parts.core.housekeeper
        if start:
            await parts.core.sources.start()
            if keeper is not None:
                await keeper.start()
            return
        if keeper is not None:
            await keeper.stop()
        await parts.core.sources.stop(final=final)

    async def stop(self) -> None:
        """Reverse order: endpoints, sources, dispatcher (in-flight sends finish), adapters."""
        parts, self.parts = self.parts, None
        if parts is None:
            return
        steps = [parts.health.stop] if parts.health is not None else []
        steps += [parts.web.stop] if parts.web is not None else []
        steps += [parts.gate.close] if parts.gate is not None else []
        steps += [parts.dispatcher.stop]
        steps += [adapter.stop for adapter in parts.adapters]
        for step in steps:
            try:
                await step()
            except Exception:
                log.exception("%s did not stop cleanly", getattr(step, "__qualname__", step))
        parts.core.pipeline.parser.close()  # the big-document parse worker, if one started
        await parts.storage.close()

    def request_stop(self) -> None:
        self.stopping.set()

    def fail(self, error: BaseException) -> None:
        """A part failed for good (not the database being away, which is ridden out):
        stop, and make ``run`` raise so the process exits non-zero, never 0."""
        if self.failure is None:
            self.failure = error
        self.request_stop()

    async def run(self) -> None:
        """Start, wait for a signal (or, in the piped demo, for the end of input), stop."""
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
                installed.append(sig)
        try:
            parts = await self.start()
            await self._wait(parts)
        finally:
            await self.stop()
            for sig in installed:
                loop.remove_signal_handler(sig)
        if self.failure is not None:
            error = self.failure
            raise RuntimeFailure(f"stopped: {type(error).__name__}: {error}") from error

    async def _wait(self, parts: Parts) -> None:
        console = next((a for a in parts.adapters if a.name == CONSOLE), None)
        if self.mode != "demo" or console is None:
            await self.stopping.wait()
            return
        ended = getattr(console, "input_closed", None)
        if ended is None or not await self._first(ended.wait()):
            return
        if not getattr(console, "interactive", False):
            # piped input ended: send what is due, then exit (unless a signal comes first)
            await self._first(parts.dispatcher.drain())

    async def _first(self, work: Any) -> bool:
        """Run ``work`` until it ends (True) or a stop is requested (False)."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return False
        return True
