"""A clock that only moves when someone sleeps on it: pacing tests run in no real time."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta


class FakeClock:
    """Implements ``bot.delivery.pacing.Clock``; ``sleep`` advances time instead of waiting.

    Meant for one sleeping loop (a dispatcher lane), as in the tests that use it.
    """

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def advance(self, seconds: float) -> None:
        self.elapsed += max(0.0, seconds)

    async def sleep(self, seconds: float) -> None:
        # let tasks started "now" run first (a send begun before the sleep happens before it)
        await asyncio.sleep(0)
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        await self.sleep(seconds)
        return event.is_set()
