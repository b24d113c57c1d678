"""Wires Cryptowire together in ONE asyncio loop that we own, and runs it until told to stop.

settings -> storage (entry point, migrated at start) -> ingest pipeline -> alert planner
(a pipeline listener that fills the outbox) and command handler -> chat adapters (entry
points; the console when nothing else is configured) -> sources (folder watchers, feed
polls) -> dispatcher (outbox workers). SIGINT/SIGTERM stop it cleanly: no new work is
taken, in-flight sends finish, claimed-but-unsent rows go back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from bot.config import Settings
from bot.dispatch import Dispatcher
from bot.pacing import Clock
from bot.plugins import ADAPTER_GROUP, STORAGE_GROUP, load_plugin
from bot.ports import ChatAdapter, CoreServices

log = logging.getLogger("cryptowire.app")

Mode = Literal["run", "demo"]
CONSOLE = "console"
# Several workers may share PostgreSQL: a row is only taken back from a worker whose lease
# has been silent this long (a dead process on this host is noticed at once). SQLite has a
# single worker, so whatever it finds claimed at start is stale.
POSTGRES_STALE_AFTER = timedelta(seconds=30)


@dataclass
class Parts:
    """Everything ``App`` started, so it can stop them in reverse order."""

    storage: Any
    dispatcher: Dispatcher
    adapters: list[ChatAdapter]
    core: CoreServices
    pipeline: Any = None
    sources: Any = None
    extras: list[Any] = field(default_factory=list)


def load_adapters(settings: Settings, *, console_only: bool = False) -> list[ChatAdapter]:
    """Every configured adapter from the entry points; the console when none is configured."""
    from importlib.metadata import entry_points

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
    ) -> None:
        self.settings = settings
        self.mode = mode
        self.inbox = inbox
        self._adapters = adapters
        self.clock = clock
        self.parts: Parts | None = None
        self.stopping = asyncio.Event()

    # -- assembly ------------------------------------------------------------------------

    async def _open_storage(self) -> Any:
        storage = load_plugin(STORAGE_GROUP, "sqlalchemy")(self.settings)
        try:
            await storage.upgrade()
        except BaseException:
            await storage.close()
            raise
        return storage

    async def assemble(self) -> Parts:
        """Build every part (nothing runs yet)."""
        storage = await self._open_storage()
        try:
            from bot.wiring import build_core

            core, pipeline, sources, extras = await build_core(
                self.settings, storage, inbox=self.inbox, on_enqueued=self._wake
            )
            adapters = self._adapters or load_adapters(
                self.settings, console_only=self.mode == "demo"
            )
            stale = None if storage.dialect == "sqlite" else POSTGRES_STALE_AFTER
            dispatcher = Dispatcher(
                storage.outbox,
                adapters,
                self.settings.delivery,
                clock=self.clock,
                stale_after=timedelta(0) if stale is None else stale,
                on_chat_gone=getattr(getattr(storage, "chats", None), "deactivate", None),
            )
        except BaseException:
            await storage.close()
            raise
        return Parts(storage, dispatcher, adapters, core, pipeline, sources, extras)

    def _wake(self) -> None:
        if self.parts is not None:
            self.parts.dispatcher.wake()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> Parts:
        self.parts = parts = await self.assemble()
        await parts.dispatcher.start()
        for adapter in parts.adapters:
            await adapter.start(parts.core)
            log.info("adapter %s started", adapter.name)
        if parts.sources is not None:
            await parts.sources.start()
        return parts

    async def stop(self) -> None:
        """Reverse order: sources, command intake, dispatcher (in-flight sends finish)."""
        parts, self.parts = self.parts, None
        if parts is None:
            return
        if parts.sources is not None:
            with contextlib.suppress(Exception):
                await parts.sources.stop()
        await parts.dispatcher.stop()
        for adapter in parts.adapters:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s did not stop cleanly", adapter.name)
        for extra in reversed(parts.extras):
            with contextlib.suppress(Exception):
                await extra.stop()
        await parts.storage.close()

    def request_stop(self) -> None:
        self.stopping.set()

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

    async def _wait(self, parts: Parts) -> None:
        console = next((a for a in parts.adapters if a.name == CONSOLE), None)
        batch = self.mode == "demo" and console is not None and not console.interactive
        if self.mode == "demo" and console is not None:
            ended = asyncio.ensure_future(console.input_closed.wait())
            stop = asyncio.ensure_future(self.stopping.wait())
            await asyncio.wait({ended, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            ended.cancel()
            if batch and not self.stopping.is_set():
                await self._finish_batch(parts)
            return
        await self.stopping.wait()

    async def _finish_batch(self, parts: Parts) -> None:
        """End of piped input: let ingestion settle, then send whatever is due, then exit."""
        if parts.sources is not None and hasattr(parts.sources, "settle"):
            await parts.sources.settle()
        drain = asyncio.ensure_future(parts.dispatcher.drain())
        stop = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({drain, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not drain.done():
            drain.cancel()
