"""Exponential backoff with equal jitter: grows, spreads, and stays capped."""

from __future__ import annotations

import random

from bot.sources.backoff import Backoff


def test_delays_double_with_jitter_and_stay_under_the_cap() -> None:
    backoff = Backoff(base_s=60, max_s=3600, rng=random.Random(3))
    assert backoff.delay(0) == 0
    for failures, step in [(1, 60), (2, 120), (3, 240), (7, 3600), (50, 3600)]:
        samples = [backoff.delay(failures) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in samples), failures
        assert max(samples) - min(samples) > step / 4  # jitter really spreads retries


def test_same_seed_same_schedule() -> None:
    one = Backoff(30, 600, random.Random(9))
    two = Backoff(30, 600, random.Random(9))
    assert [one.delay(n) for n in range(1, 8)] == [two.delay(n) for n in range(1, 8)]
