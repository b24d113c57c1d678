"""A value computed at most once per ``ttl_s`` however many requests ask (single flight).

The dashboard's counts cost tens of milliseconds on a million-row archive and a loaded
machine; every operator's browser and every API client asks for them. Serving one
snapshot for a second keeps the page within its budget, and a second is what the live
story list promises anyway. ``clear`` drops it when this process changes what it shows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Snapshot(Generic[T]):
    """The last value and when it was computed; ``ttl_s = 0`` computes every time."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._value: T | None = None
        self._at = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, compute: Callable[[], Awaitable[T]]) -> T:
        if self._value is not None and self.clock() - self._at < self.ttl_s:
            return self._value
        async with self._lock:  # the others wait for this computation, not their own
            if self._value is not None and self.clock() - self._at < self.ttl_s:
                return self._value
            began = self.clock()
            value = await compute()
            if self.ttl_s > 0:
                self._value, self._at = value, began
            return value

    def clear(self) -> None:
        self._value, self._at = None, float("-inf")
