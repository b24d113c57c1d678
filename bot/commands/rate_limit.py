"""Per-user command rate limit: a token bucket per (platform, user), bounded in memory.

Why hand-written and not ``limits``: this is a few lines of arithmetic on the event loop
with no storage, and ``limits`` is only an optional extra (the Redis send budget). A user
may send ``burst`` commands at once and then one every ``60 / per_minute`` seconds;
past that each command gets one polite line with how long to wait, and nothing runs (no
database write, no change-log entry). At most ``max_users`` buckets are kept, least
recently active dropped first: a dropped user simply starts again with a full bucket.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.i18n import _

MAX_USERS = 10_000


class CommandRateLimit:
    """``wait(key)``: 0 when the command may run now, else seconds until it may."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_users: int = MAX_USERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self.max_users = max(1, max_users)
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: tuple[str, str]) -> float:
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            tokens -= 1.0
            waited = 0.0
        else:
            waited = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)  # most recently active last
        while len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        return waited


def slow_down(seconds: float) -> str:
    """The one line a limited user gets."""
    return _(
        "You are sending commands faster than I can answer; please wait {seconds} s and try again.",
        seconds=max(1, math.ceil(seconds)),
    )
