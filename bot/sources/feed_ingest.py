"""How a feed's document is parsed and its new items stored, sized to the feed.

feedparser is pure Python: a big document would hold the event loop for seconds, so it
is parsed in the parse worker (a thread, or its process when bigger); a small one is
parsed on the loop (a CPU-bound thread makes every database hop of every other task wait
for the GIL: 1,000 small feeds parsed in threads ran several times slower). "Small" is
also few tags: a body with more tags than a feed may nest deep is scanned for its depth,
and parsed, in the worker too, so a short but deeply nested body costs the loop only a
byte count. A poll with many new items (a first poll, an archive dump)
goes through the bulk writer: grouped commits instead of one per item, so a 20,000-item
feed neither crawls nor starves the other sources (they write between groups).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import feedparser

from bot.ingest.parse_worker import LimitExceeded, ParseWorker
from bot.sources.base import Ingestor, PollReport, SourceError

BULK_ITEMS = 100  # new or changed items in one poll from which the bulk writer is used
BULK_GROUP = 250  # items per commit then: other writers wait at most one group
THREAD_PARSE_BYTES = 256 * 1024  # documents larger than this are parsed in a thread

T = TypeVar("T")


# feedparser's own HTML sanitizer and URI rewriting walk every tag of every item in pure
# Python; we turn HTML into text ourselves (scripts and styles dropped), so both are off.
FEEDPARSER_OPTIONS = {"sanitize_html": False, "resolve_relative_uris": False}
# Bodies whose cost in feedparser is not linear are refused before it sees them: it spends
# ~30 µs per element, more as they nest (100,000 nested elements: 15 s), and compares each
# category with every earlier one (5,000 categories: 2 s). Counting bytes is C-speed.
# feedparser's cost grows faster than the body only with nesting depth (100,000 nested
# tags: 15 s of CPU; 14,000: under a second; 16,000 leaves room for the envelope), so depth
# is bounded, not the count of flat tags: a 20,000-item feed has a few hundred thousand
# tags and must go through (the bulk path).
MAX_FEED_DEPTH = 16_000
_TAG = re.compile(rb"<(/?)[A-Za-z][^<>]*?(/?)>")
MAX_FEED_CATEGORIES = 3_000


def deepest(body: bytes) -> int:
    """How deep the body's elements nest (self-closing tags do not count; one regex pass)."""
    depth = top = 0
    for closing, self_closing in _TAG.findall(body):
        if closing:
            depth -= 1
        elif not self_closing:
            depth += 1
            top = max(top, depth)
    return top


def may_nest_too_deep(body: bytes) -> bool:
    """Whether the body has enough tags to nest past the bound (C-speed count of "<")."""
    return body.count(b"<") > MAX_FEED_DEPTH


def read_feed(body: bytes, headers: dict[str, str]) -> Any:
    """``feedparser.parse`` of a body we fetched, within the limits above."""
    depth = deepest(body) if may_nest_too_deep(body) else 0
    if depth > MAX_FEED_DEPTH:
        raise SourceError(
            f"feed nests tags {depth:,} deep, over the {MAX_FEED_DEPTH:,} a feed may have"
        )
    categories = body.count(b"<category") + body.count(b":category")
    if categories > MAX_FEED_CATEGORIES:
        raise SourceError(
            f"feed has {categories:,} categories, over the {MAX_FEED_CATEGORIES:,} a feed may have"
        )
    return feedparser.parse(io.BytesIO(body), response_headers=headers, **FEEDPARSER_OPTIONS)


async def parse_sized(parse: Callable[[], T], body: bytes, worker: object = None) -> T:
    """``parse()`` of ``body`` here for a small document with few tags; otherwise in the
    pipeline's parse worker when there is one (its process for big bodies: no GIL held
    against the loop; time and memory limits), else in a thread."""
    size = len(body)
    if size <= THREAD_PARSE_BYTES and not may_nest_too_deep(body):
        return parse()
    if isinstance(worker, ParseWorker) and isinstance(parse, functools.partial):
        try:
            return await worker.run(parse.func, *parse.args, size=size, **parse.keywords)
        except LimitExceeded as exc:
            raise SourceError(f"feed {exc}") from None
    return await asyncio.to_thread(parse)


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
