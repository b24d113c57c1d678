"""One platform rate budget shared by every delivery worker of a bot token.

The local ``Pacer`` keeps one process within the adapter's limits; with N delivery
workers each would use the whole budget. ``SharedSlots`` asks a ``SendBudget`` (a row in
PostgreSQL, see ``storage/coordination.py``) for a few consecutive send slots at a time
and hands them out one per send.

Slots are absolute times on the wall clock every worker shares (the database server's
clock, read back as epoch seconds, is ``time.time()`` on the same host): a worker whose
answer came back late still sends at the slot the budget gave it, instead of shifting
its whole batch by its round-trip delay onto the next worker's slots. A slot missed by
more than ``late_s`` -- before the send task got it, or because the process woke up late
from sleeping towards it -- is skipped, never used late: a stalled worker cannot burst.
Together the workers stay at or under the budget's rate.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from bot.delivery.pacing import Clock
from bot.ports import ChatAdapter


class SendBudget(Protocol):
    """Reserves consecutive slots ``1/rate`` apart, none sooner than ``lead`` seconds from
    now; answers when the first one is.

    The answer is epoch seconds on the clock all workers share, not a delay: a delay
    would be measured from whenever the answer arrived.
    """

    rate: float

    async def reserve_at(self, count: int, lead: float = 0.0) -> float: ...


class SharedSlots:
    """This worker's share of a ``SendBudget``: ``await wait_turn()`` before each send."""

    def __init__(
        self, budget: SendBudget, clock: Clock, *, batch_s: float = 0.1, late_s: float = 0.0
    ) -> None:
        self.budget = budget
        self.clock = clock
        self.interval = 1.0 / budget.rate
        self.batch = max(1, min(64, math.ceil(budget.rate * batch_s)))
        self.late_s = max(late_s, self.interval)  # a slot used late bunches the sends after it
        self.skipped = 0
        self.reserved = 0
        self.waiting = 0
        # Slots are asked for at least two round trips ahead: a slot starting "now" on the
        # server is already behind us by the time its answer arrives, and under load by
        # more than ``late_s`` -- every reservation would be skipped on arrival.
        self.round_trip: float | None = None  # seconds, a moving average
        self._slots: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        """Sleep until this worker's next slot (reserving more when none is left).

        A reservation covers the sends waiting now (at most ``batch``): slots nobody here
        can use would be taken from the other workers for nothing.
        """
        while True:
            self.waiting += 1
            try:
                slot = await self._next_slot()
            finally:
                self.waiting -= 1
            await self.clock.sleep(slot - self.clock.monotonic())
            if self.clock.monotonic() - slot <= self.late_s:
                return
            self.skipped += 1  # woke up too late (the process was busy): bunching; retry

    def _to_local(self, epoch: float) -> float:
        """An epoch time on the shared clock as a time on our monotonic clock."""
        return self.clock.monotonic() + (epoch - self.clock.now().timestamp())

    async def _next_slot(self) -> float:
        async with self._lock:
            while True:
                now = self.clock.monotonic()
                while self._slots and self._slots[0] < now - self.late_s:
                    self._slots.popleft()
                    self.skipped += 1
                if self._slots:
                    return self._slots.popleft()
                count = max(1, min(self.batch, self.waiting))
                asked = self.clock.monotonic()
                lead = 2 * self.round_trip if self.round_trip is not None else 0.0
                first = await self.budget.reserve_at(count, lead=lead)
                took = self.clock.monotonic() - asked
                known = self.round_trip
                self.round_trip = took if known is None else 0.7 * known + 0.3 * took
                first = self._to_local(first)
                self._slots.extend(first + i * self.interval for i in range(count))
                self.reserved += count


def scale_limits(adapters: Sequence[ChatAdapter], scale: float) -> None:
    """Multiply each adapter's declared send limits by ``scale`` (1: as declared).

    For a platform tier with higher limits, or a test whose fake platform runs its clock
    ``scale`` times faster than real time.
    """
    if scale == 1.0:
        return
    for adapter in adapters:
        caps = adapter.capabilities
        adapter.capabilities = replace(  # type: ignore[misc]
            caps,
            sends_per_second=caps.sends_per_second * scale,
            per_chat_interval_s=caps.per_chat_interval_s / scale,
            per_group_per_minute=(caps.per_group_per_minute or 0) * scale or None,
        )


def budget_key(platform: str, token: str | None) -> str:
    """The budget's name: per platform and bot token (a hash: the token stays secret)."""
    digest = hashlib.sha256((token or "").encode()).hexdigest()[:16]
    return f"{platform}:{digest}"
