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
import math
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.config import DeliveryConfig
from bot.delivery import ClaimedDelivery, Outbox
from bot.models import (
    PRIORITY,
    Alert,
    ChatKind,
    ChatRef,
    DeliveryKind,
    DeliveryResult,
    ResultKind,
)
from bot.pacing import Clock, Pacer, RateLimits, SystemClock
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


def build_alert(jobs: Sequence[ClaimedDelivery]) -> Alert | None:
    """The alert for one send: a single story, or a chat's whole digest as one message."""
    first = jobs[0]
    if first.kind is DeliveryKind.DIGEST:
        items = tuple(j.article for j in jobs if j.article is not None)
        if not items:
            return None
        return Alert(article=items[0], kind=DeliveryKind.DIGEST, digest_items=items)
    if first.article is None:
        return None
    mention = first.payload.get("mention")
    return Alert(
        article=first.article,
        kind=first.kind,
        extra_sources=first.extra_sources,
        updated=bool(first.payload.get("updated")),
        retracted=first.article.retracted,
        mention=str(mention) if mention else None,
    )


def backoff_seconds(attempt: int, config: DeliveryConfig, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped."""
    ceiling = min(config.backoff_max_s, config.backoff_base_s * 2 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class _Job:
    """One send: a single delivery, or all of a chat's claimed digest rows."""

    __slots__ = ("deliveries", "order")

    def __init__(self, deliveries: list[ClaimedDelivery]) -> None:
        self.deliveries = deliveries
        first = deliveries[0]
        self.order = (PRIORITY[first.kind], first.due_at, first.id)

    @property
    def first(self) -> ClaimedDelivery:
        return self.deliveries[0]

    @property
    def ids(self) -> list[int]:
        return [d.id for d in self.deliveries]


def _jobs(claimed: list[ClaimedDelivery]) -> list[_Job]:
    digests: dict[int, list[ClaimedDelivery]] = {}
    jobs = []
    for delivery in claimed:
        if delivery.kind is DeliveryKind.DIGEST:
            digests.setdefault(delivery.chat.id, []).append(delivery)
        else:
            jobs.append(_Job([delivery]))
    jobs.extend(_Job(rows) for rows in digests.values())
    return jobs


class _Lane:
    """The worker loop of one adapter."""

    def __init__(self, dispatcher: Dispatcher, adapter: ChatAdapter) -> None:
        self.d = dispatcher
        self.adapter = adapter
        self.pacer = Pacer(RateLimits.from_capabilities(adapter.capabilities), dispatcher.clock)
        rate = adapter.capabilities.sends_per_second or 1000.0
        self.claim_size = max(4, min(dispatcher.config.batch_size, math.ceil(rate * 2)))
        self.queue: list[_Job] = []
        self.in_flight: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(dispatcher.max_in_flight)
        self.wake = asyncio.Event()
        self.sent = 0
        self.busy = False  # inside a cycle: claimed rows may not be in the queue yet
        self.quiet = -math.inf  # no claim before this (the outbox had nothing more due)

    async def run(self, *, until_idle: bool = False, horizon_s: float = 0.0) -> None:
        clock = self.d.clock
        while not self.d.stopping:
            self.busy = True
            try:
                progressed = await self.cycle()
            finally:
                self.busy = False
            if progressed:
                continue
            if until_idle and await self.idle(horizon_s):
                return
            await clock.wait(self.wake, self.d.config.poll_interval_s)
            self.quiet = -math.inf
        await self.release_queue()
        await self.settle()

    async def idle(self, horizon_s: float) -> bool:
        """Nothing sendable now: are we done (for ``drain``)?"""
        await self.settle()
        if self.queue or self.busy or self.in_flight:
            return False
        due = await self.d.outbox.next_due_at([self.adapter.name])
        return due is None or due > self.d.clock.now() + timedelta(seconds=horizon_s)

    async def cycle(self) -> bool:
        """Claim if low, start the most urgent sendable job; False when there was nothing."""
        clock = self.d.clock
        woken = self.wake.is_set()
        if len(self.queue) <= self.claim_size // 2 and (woken or clock.monotonic() >= self.quiet):
            self.wake.clear()
            limit = self.claim_size - len(self.queue)
            claimed = await self.d.outbox.claim_due(
                self.d.worker, now=clock.now(), limit=limit, platforms=[self.adapter.name]
            )
            if len(claimed) < limit:  # the queue is dry: look again at the next poll or wake
                self.quiet = clock.monotonic() + self.d.config.poll_interval_s
            if claimed:
                self.queue.extend(_jobs(claimed))
                self.queue.sort(key=lambda job: job.order)
        if not self.queue:
            return False
        shortest = math.inf
        for job in self.queue:
            wait = self.pacer.wait_time(job.first.to, job.first.chat.kind)
            if wait <= 0:
                await self.slots.acquire()
                if self.d.stopping or self.pacer.wait_time(job.first.to, job.first.chat.kind) > 0:
                    self.slots.release()  # stopping, or a RETRY_AFTER came in meanwhile
                    return True
                self.queue.remove(job)
                self.pacer.take(job.first.to, job.first.chat.kind)
                task = asyncio.create_task(self.send(job))
                self.in_flight.add(task)
                task.add_done_callback(self.in_flight.discard)
                return True
            shortest = min(shortest, wait)
        await self._hold_or_release(shortest)
        return True

    async def _hold_or_release(self, shortest: float) -> None:
        """Everything waits on pacing: keep what goes soon, requeue the rest, then sleep."""
        hold = self.d.hold_limit_s
        now = self.d.clock.now()
        for job in list(self.queue):
            wait = self.pacer.wait_time(job.first.to, job.first.chat.kind)
            if wait > hold:
                self.queue.remove(job)
                due = max(job.first.due_at, now + timedelta(seconds=wait))
                await self.d.outbox.retry_at(job.ids, due, failed_attempt=False)
        await self.d.clock.sleep(min(shortest, self.d.config.poll_interval_s, hold))

    async def send(self, job: _Job) -> None:
        try:
            alert = build_alert(job.deliveries)
            if alert is None:
                await self.d.outbox.mark_failed(
                    job.ids, "the article is no longer in the archive", now=self.d.clock.now()
                )
                return
            started = time.perf_counter()
            try:
                result = await self.adapter.send(job.first.to, alert)
            except Exception as exc:  # adapters should not raise; never lose the row if one does
                log.warning("%s adapter raised on send", self.adapter.name, exc_info=True)
                result = DeliveryResult.failed(f"adapter error: {type(exc).__name__}")
            if self.d.on_result is not None:
                self.d.on_result(
                    self.adapter.name, result.kind.value, time.perf_counter() - started
                )
            await self.record(job, result)
        except Exception:
            # The database is unreachable: the row stays claimed and release_stale returns it.
            log.exception("could not record delivery %s", job.ids)
        finally:
            self.slots.release()

    async def record(self, job: _Job, result: DeliveryResult) -> None:
        outbox, now, first = self.d.outbox, self.d.clock.now(), job.first
        if result.kind is ResultKind.SENT:
            self.sent += 1
            image = self.adapter.capabilities.supports_images and first.article is not None
            has_image = bool(image and first.article and first.article.image_url)
            await outbox.mark_sent(job.ids, result.message_id or "", now=now, has_image=has_image)
        elif result.kind is ResultKind.RETRY_AFTER:
            seconds = max(0.0, result.retry_after or 0.0)
            if result.whole_adapter:
                self.pacer.pause_all(seconds)
            else:
                self.pacer.pause_chat(first.to, seconds)
            due = now + timedelta(seconds=seconds)
            await outbox.retry_at(job.ids, due, f"retry after {seconds:g}s", failed_attempt=False)
        elif result.kind is ResultKind.CHAT_GONE:
            reason = result.reason or "chat unavailable"
            log.info("chat %s gone: %s", first.to, reason)
            self.queue = [j for j in self.queue if j.first.chat.id != first.chat.id]
            if self.d.on_chat_gone is not None:  # the chats repository logs the change
                await self.d.on_chat_gone(first.chat.id, reason)
            await outbox.chat_gone(first.chat.id, reason, now=now)
        else:
            reason = result.reason or "send failed"
            attempt = first.attempts + 1
            if attempt >= self.d.config.max_attempts:
                await outbox.mark_failed(job.ids, f"{reason} (after {attempt} attempts)", now=now)
            else:
                delay = backoff_seconds(attempt, self.d.config, self.d.rng)
                await outbox.retry_at(job.ids, now + timedelta(seconds=delay), reason)

    async def release_queue(self) -> None:
        """On stop: claimed but unstarted rows go back to the queue untouched."""
        jobs, self.queue = self.queue, []
        for job in jobs:
            await self.d.outbox.retry_at(job.ids, job.first.due_at, failed_attempt=False)

    async def settle(self) -> None:
        if self.in_flight:
            await asyncio.gather(*list(self.in_flight), return_exceptions=True)


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
        max_in_flight: int = 8,
        hold_limit_s: float = 5.0,
        stale_after: timedelta | None = None,
        sweep_every_s: float = 10.0,
        on_chat_gone: Callable[[int, str], Awaitable[object]] | None = None,
        on_result: Callable[[str, str, float], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.worker = worker or default_worker_name()
        self.rng = rng or random.Random()
        self.max_in_flight = max_in_flight
        self.hold_limit_s = hold_limit_s
        self.stale_after = stale_after
        self.sweep_every_s = sweep_every_s
        self.on_chat_gone = on_chat_gone
        self.on_result = on_result  # (platform, result kind, send seconds): metrics
        self.stopping = False
        self.lanes = [_Lane(self, adapter) for adapter in adapters]
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
            except Exception:
                log.warning("lease heartbeat or stale sweep failed", exc_info=True)

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
