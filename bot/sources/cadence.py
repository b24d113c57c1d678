"""When to poll a feed next: what the publisher asks for, and how often it publishes.

Three signals, all bounded:

- ``<ttl>`` (RSS, minutes) and ``Cache-Control: max-age`` (seconds) say the document will
  not change sooner: polls wait at least that long (at most ``MAX_SERVER_WAIT_S``).
- A feed that publishes often is polled faster than its configured interval: half the
  median gap between its newest items, never under ``MIN_POLL_S`` nor a fifth of the
  configured interval.
- A feed with a live WebSub subscription is only polled as a safety net (``push_poll_s``).

Never slower than the configured interval unless the publisher said so.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Iterable
from datetime import datetime

MIN_POLL_S = 60.0
MAX_SERVER_WAIT_S = 6 * 3600.0
RECENT_ITEMS = 10
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d{1,9})", re.IGNORECASE)


def max_age_s(cache_control: str | None) -> float | None:
    """Seconds from ``Cache-Control: max-age=N`` (``no-cache``/``no-store``: None)."""
    if not cache_control or re.search(r"no-(?:cache|store)", cache_control, re.IGNORECASE):
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def ttl_s(value: object) -> float | None:
    """RSS ``<ttl>`` minutes as seconds; junk is None."""
    try:
        minutes = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60.0 if 0 < minutes < 10**6 else None


def publishing_gap_s(published: Iterable[datetime]) -> float | None:
    """The median gap between the newest items (None with fewer than three)."""
    newest = sorted(published, reverse=True)[:RECENT_ITEMS]
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(newest)]
    gaps = [gap for gap in gaps if gap > 0]
    return statistics.median(gaps) if len(gaps) >= 2 else None


def next_poll_s(
    interval_s: float,
    *,
    server_wait_s: float | None = None,
    gap_s: float | None = None,
    push_poll_s: float | None = None,
) -> float:
    """Seconds until the next poll of a feed configured to be polled every ``interval_s``."""
    delay = interval_s
    if gap_s is not None:
        delay = min(delay, max(gap_s / 2, MIN_POLL_S, interval_s / 5))
    if server_wait_s is not None:
        delay = max(delay, min(server_wait_s, MAX_SERVER_WAIT_S))
    if push_poll_s is not None:
        delay = max(delay, push_poll_s)
    return delay
