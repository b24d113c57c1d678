"""How a feed's document is parsed and its new items stored, sized to the feed.

feedparser is pure Python: a big document would hold the event loop for seconds, so it
is parsed in a thread; a small one is parsed on the loop (a CPU-bound thread makes every
database hop of every other task wait for the GIL: 1,000 small feeds parsed in threads
ran several times slower). A poll with many new items (a first poll, an archive dump)
goes through the bulk writer: grouped commits instead of one per item, so a 20,000-item
feed neither crawls nor starves the other sources (they write between groups).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bot.sources.base import Ingestor, PollReport

BULK_ITEMS = 100  # new or changed items in one poll from which the bulk writer is used
BULK_GROUP = 250  # items per commit then: other writers wait at most one group
THREAD_PARSE_BYTES = 256 * 1024  # documents larger than this are parsed in a thread

T = TypeVar("T")


async def parse_sized(parse: Callable[[], T], size: int) -> T:
    """``parse()`` in a thread for a big document, here for a small one."""
    return await asyncio.to_thread(parse) if size > THREAD_PARSE_BYTES else parse()


async def store_items(
    pipeline: Ingestor,
    fresh: Sequence[tuple[Any, str]],
    *,
    url: str,
    finish: Callable[[Any], Any],
    report: PollReport,
) -> None:
    """Send (item, memo) pairs through the pipeline, in bulk when there are many."""
    bulk = len(fresh) >= BULK_ITEMS
    async with pipeline.batch(group=BULK_GROUP) if bulk else contextlib.nullcontext():
        for item, memo in fresh:
            origin = f"{url}#{memo}"
            report.count(await pipeline.ingest_article(finish(item), origin=origin), origin)
