"""Exponential backoff with jitter for sources that keep failing.

A failing feed is retried later and later (base * 2^(failures-1), capped) so a broken
server is not hammered, and the jitter spreads retries of many sources apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay before the next attempt after ``failures`` consecutive failures."""

    base_s: float = 30.0
    max_s: float = 3600.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int) -> float:
        """Equal jitter: half the exponential step is fixed, half is random.

        Zero failures means no delay; the result never exceeds ``max_s``.
        """
        if failures <= 0:
            return 0.0
        step = min(self.max_s, self.base_s * 2 ** min(failures - 1, 32))
        return step / 2 + self.rng.uniform(0, step / 2)
