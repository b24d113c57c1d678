"""One adapter's worker loop: claim, pace, send, record the result.

Run by ``bot/delivery/dispatcher.py``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol

from bot.alerts.breaking import pin_sent
from bot.alerts.story_updates import edit_alert, edit_message_id
from bot.config import DeliveryConfig
from bot.delivery.outbox import ClaimedDelivery, GroupCommit, Outbox, SentRecord
from bot.delivery.pacing import Clock, Pacer, RateLimits
from bot.delivery.shared_pacing import SharedSlots
from bot.delivery.templating.book import TemplateBook
from bot.errors import Unavailable
from bot.models import PRIORITY, Alert, DeliveryKind, DeliveryResult, ResultKind
from bot.ports import ChatAdapter

log = logging.getLogger("cryptowire.dispatch")

# The database away (``Unavailable``): try again after 0.25 s, 0.5 s, then every second --
# a few cheap attempts while it is down, and sends resume within about a second of its
# return. Storage logs the outage itself, once; the lanes stay quiet.
OUTAGE_FIRST_S = 0.25
OUTAGE_MAX_S = 1.0


def outage_backoff(previous: float) -> float:
    """The next wait while the database is away (0 = it was not)."""
    return OUTAGE_FIRST_S if previous <= 0 else min(OUTAGE_MAX_S, previous * 2)


def build_alert(jobs: Sequence[ClaimedDelivery]) -> Alert | None:
    """The alert for one send: a single story, or a chat's whole digest as one message."""
    first = jobs[0]
    if first.kind is DeliveryKind.DIGEST:
        items = tuple(j.article for j in jobs if j.article is not None)
        if not items:
            return None
        return Alert(
            article=items[0],
            kind=DeliveryKind.DIGEST,
            digest_items=items,
            timezone=first.chat.timezone,
            language=first.chat.locale,
        )
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
        timezone=first.chat.timezone,
        language=first.chat.locale,
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


class LaneHost(Protocol):
    """What a lane reads from the dispatcher that runs it (``Dispatcher`` is the one host).

    A protocol rather than an import, so the dispatcher and its lanes do not import each other.
    """

    outbox: Outbox
    config: DeliveryConfig
    clock: Clock
    worker: str
    rng: random.Random
    max_in_flight: int
    hold_limit_s: float
    on_chat_gone: Callable[..., object] | None
    on_result: Callable[..., object] | None
    budgets: dict[str, SharedSlots]
    shared_chats: bool
    stopping: bool
    recorder: GroupCommit
    templates: TemplateBook
    claiming: asyncio.Lock  # held while claiming, and while giving back orphaned claims

    async def release_orphans(self) -> int: ...


class Lane:
    """The worker loop of one adapter."""

    def __init__(self, dispatcher: LaneHost, adapter: ChatAdapter) -> None:
        self.d = dispatcher
        self.adapter = adapter
        self.pacer = Pacer(RateLimits.from_capabilities(adapter.capabilities), dispatcher.clock)
        rate = adapter.capabilities.sends_per_second or 1000.0
        self.claim_size = max(4, min(dispatcher.config.batch_size, math.ceil(rate * 2)))
        gap = adapter.capabilities.per_chat_interval_s
        self.chat_gap = timedelta(seconds=gap) if dispatcher.shared_chats and gap else None
        self.queue: list[_Job] = []
        self.in_flight: set[asyncio.Task[None]] = set()
        self.sending: set[int] = set()  # ids of the rows of the sends in flight
        self.slots = asyncio.Semaphore(dispatcher.max_in_flight)
        self.wake = asyncio.Event()
        self.sent = 0
        self.busy = False  # inside a cycle: claimed rows may not be in the queue yet
        self.quiet = -math.inf  # no claim before this (the outbox had nothing more due)
        self.errors = 0

    async def run(self, *, until_idle: bool = False, horizon_s: float = 0.0) -> None:
        clock = self.d.clock
        backoff = 0.0  # > 0 while the outbox cannot be reached
        while not self.d.stopping:
            self.busy = True
            try:
                progressed = await self.cycle()
            except Unavailable:  # the database is away: keep the lane alive, retry
                progressed, backoff = False, outage_backoff(backoff)
                self.errors += 1
            except Exception:
                log.warning("%s deliveries: outbox failed", self.adapter.name, exc_info=True)
                progressed, backoff = False, outage_backoff(backoff)
                self.errors += 1
            else:
                if backoff:  # back: rows claimed as the connection broke are ours alone
                    backoff = 0.0
                    await self._release_orphans()
            finally:
                self.busy = False
            if backoff:
                await clock.wait(self.wake, backoff)
                self.quiet = -math.inf
                continue
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
            async with self.d.claiming:
                claimed = await self.d.outbox.claim_due(
                    self.d.worker,
                    now=clock.now(),
                    limit=limit,
                    platforms=[self.adapter.name],
                    chat_gap=self.chat_gap,
                )
                if claimed:
                    self.queue.extend(_jobs(claimed))
                    self.queue.sort(key=lambda job: job.order)
            if len(claimed) < limit:  # the queue is dry: look again at the next poll or wake
                self.quiet = clock.monotonic() + self.d.config.poll_interval_s
        if not self.queue:
            return False
        overall = self.pacer.overall_wait()
        if overall > 0:  # nobody may send yet: no need to look at each chat
            await clock.sleep(min(overall, self.d.config.poll_interval_s))
            return True
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
                self.sending.update(job.ids)
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
            editing = job.first.kind is DeliveryKind.EDIT  # a sent message, edited in place
            alert = edit_alert(job.first) if editing else build_alert(job.deliveries)
            if alert is None:
                await self.d.outbox.mark_failed(
                    job.ids, "the article is no longer in the archive", now=self.d.clock.now()
                )
                return
            story = job.first.story
            sources = tuple(story.source_keys) if story is not None else ()
            alert = self.d.templates.apply(alert, job.first.chat, sources)
            shared = self.d.budgets.get(self.adapter.name)
            if shared is not None:  # other workers send for the same bot token too
                try:
                    await shared.wait_turn()
                except Unavailable:  # the budget lives in the database: nothing was sent
                    self.queue.append(job)
                    self.queue.sort(key=lambda queued: queued.order)
                    return
            started = time.perf_counter()
            try:
                if editing:
                    result = await self.adapter.edit(
                        job.first.to, edit_message_id(job.first), alert
                    )
                else:
                    result = await self.adapter.send(job.first.to, alert)
            except Exception as exc:  # adapters should not raise; never lose the row if one does
                log.warning("%s adapter raised on send", self.adapter.name, exc_info=True)
                result = DeliveryResult.failed(f"adapter error: {type(exc).__name__}")
            if self.d.on_result is not None:
                self.d.on_result(
                    self.adapter.name, result.kind.value, time.perf_counter() - started
                )
            await self.record_until_stored(job, result)
        except Unavailable:  # stopping during an outage: the rows go back at the next start
            log.info("delivery %s: sent, not recorded; the next start may repeat it", job.ids)
        except Exception:
            # The row stays claimed; release_stale (or the next start) returns it.
            log.exception("could not record delivery %s", job.ids)
        finally:
            self.sending.difference_update(job.ids)
            self.slots.release()

    async def record_until_stored(self, job: _Job, result: DeliveryResult) -> None:
        """Record a result, waiting out a database outage: the send happened, so sending
        it again would repeat it. The send keeps its in-flight slot meanwhile, so at most
        ``max_in_flight`` sends wait like this (and no new one starts). Gives up with
        ``Unavailable`` only when the dispatcher stops."""
        backoff = 0.0
        while True:
            try:
                await self.record(job, result)
                return
            except Unavailable:
                if self.d.stopping:
                    raise
                backoff = outage_backoff(backoff)
                await self.d.clock.sleep(backoff)

    async def record(self, job: _Job, result: DeliveryResult) -> None:
        outbox, now, first = self.d.outbox, self.d.clock.now(), job.first
        if result.kind is ResultKind.SENT and first.kind is DeliveryKind.EDIT:
            await outbox.mark_edit_sent(job.ids, now=now)
        elif result.kind is ResultKind.SENT:
            image = self.adapter.capabilities.supports_images and first.article is not None
            has_image = bool(image and first.article and first.article.image_url)
            record = SentRecord(job.ids, result.message_id or "", has_image)
            await self.d.recorder.record(record)
            self.sent += 1
            if first.payload.get("pin") and result.message_id:  # breaking, broadcast target
                self.pacer.take(first.to, first.chat.kind)  # a pin is a request too
                await pin_sent(self.adapter, first.to, result.message_id)
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
        for n, job in enumerate(jobs):
            try:
                await self.d.outbox.retry_at(job.ids, job.first.due_at, failed_attempt=False)
            except Unavailable:  # they stay claimed; the next start releases them
                log.info("%d claimed deliveries stay claimed until the next start", len(jobs) - n)
                return
            except Exception:  # they stay claimed; the next start releases them
                log.warning("could not give back deliveries %s", job.ids, exc_info=True)

    async def _release_orphans(self) -> None:
        try:
            await self.d.release_orphans()
        except Exception:  # tried again after the next outage; the next start frees them too
            log.warning("could not give back orphaned claims", exc_info=True)

    def holds(self) -> set[int]:
        """Ids of the rows this lane holds claimed: queued or being sent."""
        return {i for job in self.queue for i in job.ids} | self.sending

    async def settle(self) -> None:
        if self.in_flight:
            await asyncio.gather(*list(self.in_flight), return_exceptions=True)
