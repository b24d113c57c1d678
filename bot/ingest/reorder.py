"""Bulk loads in publication order: a folder handed to `cryptowire ingest` is read in name
order, which says nothing about when each article was published, and story grouping
compares a new article with the stories before it (its window and drift bound look
backwards in time). Fed newest-first, a story's first article is its latest and
paraphrases miss each other (measured on the labelled tune split: pair F1 0.559 in
publication order, 0.497 shuffled, 0.499 reversed). So parsed documents pass a bounded
priority queue that lets the earliest published go first.

Bounded: at most ``max_items`` articles or ``max_bytes`` of text wait at once; beyond
that the earliest waiting one is stored, so order is exact within that window and input
order beyond it. Rejections and failures pass straight through (they have no date).
"""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator
from datetime import UTC
from itertools import count

from bot.ingest.prefetch import Parsed

MAX_ITEMS = 20_000
MAX_BYTES = 64 * 1024 * 1024


def _when(parsed: Parsed) -> float:
    published = parsed.article.published_at  # type: ignore[union-attr]
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published.timestamp()


def _size(parsed: Parsed) -> int:
    article = parsed.article
    if article is None:
        return 0
    return len(article.body) + len(article.summary or "") + len(article.title) + 512


async def in_publication_order(
    parsed_all: AsyncIterator[Parsed], *, max_items: int = MAX_ITEMS, max_bytes: int = MAX_BYTES
) -> AsyncIterator[Parsed]:
    """``parsed_all`` with stored articles earliest-published first (stable for ties)."""
    waiting: list[tuple[float, int, Parsed]] = []
    sequence = count()
    held = 0
    async for parsed in parsed_all:
        article = parsed.article
        if article is None or parsed.failure is not None or parsed.document.error:
            yield parsed
            continue
        heapq.heappush(waiting, (_when(parsed), next(sequence), parsed))
        held += _size(parsed)
        while waiting and (len(waiting) > max_items or held > max_bytes):
            _, _, first = heapq.heappop(waiting)
            held -= _size(first)
            yield first
    while waiting:
        yield heapq.heappop(waiting)[2]
