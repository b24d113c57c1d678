"""Outbox workers: claim due deliveries, pace them, send through the adapter, record results.

One lane per adapter, so a platform's limits or outage never slow another platform. A lane
keeps only a couple of seconds of work claimed (rows it cannot send soon go back to the
queue with their due time), so breaking news claimed a moment later still goes first and a
crashed worker strands little. Results: SENT records the platform message id; RETRY_AFTER
pauses the chat or the adapter and requeues; CHAT_GONE deactivates the chat; FAILED retries
with exponential backoff and jitter up to ``max_attempts``, then gives up with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta

from bot.config import DeliveryConfig
from bot.delivery.lane import Lane
from bot.delivery.outbox import GroupCommit, Outbox
from bot.delivery.pacing import Clock, SystemClock
from bot.delivery.shared_pacing import SharedSlots
from bot.delivery.templating.book import TemplateBook
from bot.errors import Unavailable
from bot.models import (
    Alert,
    ChatKind,
    ChatRef,
    DeliveryResult,
    ResultKind,
)
from bot.ports import ChatAdapter

log = logging.getLogger("cryptowire.dispatch")


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_local_process(worker: str) -> bool:
    """True for a worker name of this host whose process no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Dispatcher:
    """Runs one lane per adapter; ``start``/``stop`` for services, ``drain`` for batch runs."""

    def __init__(
        self,
        outbox: Outbox,
        adapters: Sequence[ChatAdapter],
        config: DeliveryConfig,
        *,
        clock: Clock | None = None,
        worker: str | None = None,
        rng: random.Random | None = None,
        max_in_flight: int | None = None,
        hold_limit_s: float = 5.0,
        stale_after: timedelta | None = None,
        sweep_every_s: float = 10.0,
        on_chat_gone: Callable[[int, str], Awaitable[object]] | None = None,
        on_result: Callable[[str, str, float], None] | None = None,
        budgets: Mapping[str, SharedSlots] | None = None,
        shared_chats: bool = False,
        templates: TemplateBook | None = None,
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.worker = worker or default_worker_name()
        self.rng = rng or random.Random()
        self.max_in_flight = max_in_flight or config.max_in_flight  # None: as configured
        self.hold_limit_s = hold_limit_s
        self.stale_after = stale_after
        self.sweep_every_s = sweep_every_s
        self.on_chat_gone = on_chat_gone
        self.on_result = on_result  # (platform, result kind, send seconds): metrics
        self.budgets = dict(budgets or {})  # platform -> budget shared with other workers
        # other workers send to the same chats: claims leave a chat alone while another
        # row of it is in flight or was sent within the platform's per-chat interval
        self.shared_chats = shared_chats
        self.stopping = False
        self.recorder = GroupCommit(outbox, self.clock.now)
        self.templates = templates or TemplateBook()  # chat templates; admin defaults
        self.claiming = asyncio.Lock()
        self.lanes = [Lane(self, adapter) for adapter in adapters]
        self._tasks: list[asyncio.Task[None]] = []
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def sent(self) -> int:
        return sum(lane.sent for lane in self.lanes)

    async def recover(self) -> int:
        """Give back rows claimed by dead workers: local processes that are gone at once,
        others once their lease is older than ``stale_after`` (0: single worker, all)."""
        released = 0
        for name in await self.outbox.claimants():
            if name != self.worker and _dead_local_process(name):
                released += await self.outbox.release_worker(name)
        if self.stale_after is not None:
            released += await self.outbox.release_stale(self.stale_after, now=self.clock.now())
        if released:
            log.info("released %d deliveries claimed by a stopped worker", released)
        return released

    async def start(self) -> None:
        """Begin working in background tasks of the running loop."""
        await self.recover()
        if self.stale_after:  # a fleet: keep our lease fresh, take back rows of dead peers
            await self.outbox.heartbeat(self.worker, now=self.clock.now())
            self._sweeper = asyncio.create_task(self._sweep())
        self._tasks = [asyncio.create_task(lane.run()) for lane in self.lanes]

    async def _sweep(self) -> None:
        every = min(self.sweep_every_s, (self.stale_after or timedelta(0)).total_seconds() / 3)
        while not self.stopping:
            await self.clock.sleep(max(every, 0.1))
            try:
                await self.outbox.heartbeat(self.worker, now=self.clock.now())
                await self.recover()
            except Unavailable:
                pass  # the database is away (storage logs that once); the lanes wait too
            except Exception:
                log.warning("lease heartbeat or stale sweep failed", exc_info=True)

    async def release_orphans(self) -> int:
        """After an outage: give back rows claimed by this worker that no lane holds.

        A claim whose commit reached the server just as the connection broke is ours in
        the database but in no lane's queue; nobody else would take it while our lease
        is fresh. Claims wait meanwhile, so every claimed row is either held or released.
        """
        async with self.claiming:
            held = set().union(*(lane.holds() for lane in self.lanes))
            released = await self.outbox.release_claims(self.worker, keep=held)
        if released:
            log.info("gave back %d deliveries claimed as the database went away", released)
        return released

    def wake(self) -> None:
        """New rows were enqueued: look now instead of at the next poll."""
        for lane in self.lanes:
            lane.wake.set()

    async def edit(
        self, to: ChatRef, message_id: str, alert: Alert, kind: ChatKind = ChatKind.PRIVATE
    ) -> DeliveryResult:
        """Edit a sent message in place, within the same limits as sends (story updates).

        A RETRY_AFTER pauses the chat (or adapter) for the lane's sends too; the caller
        decides whether to try again.
        """
        lane = next((lane for lane in self.lanes if lane.adapter.name == to.platform), None)
        if lane is None:
            return DeliveryResult.failed(f"no adapter for {to.platform}")
        while (wait := lane.pacer.wait_time(to, kind)) > 0:
            await self.clock.sleep(wait)
        lane.pacer.take(to, kind)
        try:
            result = await lane.adapter.edit(to, message_id, alert)
        except Exception as exc:
            log.warning("%s adapter raised on edit", to.platform, exc_info=True)
            return DeliveryResult.failed(f"adapter error: {type(exc).__name__}")
        if result.kind is ResultKind.RETRY_AFTER:
            seconds = max(0.0, result.retry_after or 0.0)
            if result.whole_adapter:
                lane.pacer.pause_all(seconds)
            else:
                lane.pacer.pause_chat(to, seconds)
        return result

    async def drain(self, *, horizon_s: float = 10.0) -> None:
        """Send until nothing is due within ``horizon_s`` seconds and nothing is in flight."""
        if self._tasks:
            while not all([await lane.idle(horizon_s) for lane in self.lanes]):
                self.wake()
                await self.clock.sleep(self.config.poll_interval_s)
            return
        await self.recover()
        await asyncio.gather(
            *(lane.run(until_idle=True, horizon_s=horizon_s) for lane in self.lanes)
        )

    async def stop(self) -> None:
        """Stop claiming, give back unstarted rows, let in-flight sends finish."""
        self.stopping = True
        self.wake()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
                self._tasks = []
            try:  # leave the fleet: drop our lease (nothing of ours is claimed any more)
                await self.outbox.release_worker(self.worker)
            except Unavailable:
                log.info("worker lease left to expire (database unreachable)")
            except Exception:
                log.warning("could not drop the worker lease", exc_info=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
        for platform, shared in self.budgets.items():  # how well this worker kept its slots
            log.info(
                "%s shared budget: %d slots reserved, %d missed and skipped",
                platform,
                shared.reserved,
                shared.skipped,
            )
