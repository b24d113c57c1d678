"""Parsing ahead for bulk ingestion: worker processes parse documents (and compute their
story keys) while the caller stores the ones before, in order.

Why processes: parsing and story features are pure Python (the GIL allows no overlap
in threads) and cost more than the store itself; on a bulk load the writer otherwise
waits for them. Everything here is pure, so a document parses to the same article in
a worker as inline; results come back in input order. Workers are spawned (no fork of a
process with threads and an event loop) and need a moment to import: until the first
worker answers, the caller parses inline, so small inputs never wait for them.

A parse has two passes (decision 043): ``read_one`` (decode, format, fields: the date)
and ``finish_one`` (enrichment, identity, story features: about three quarters of the
CPU). A load stored in publication order runs the first over every file, sorts, and
streams the second beside the writer (``reorder.parsed_in_publication_order``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.enrich import enrich
from bot.ingest.fields import MAX_SUMMARY, MAX_TITLE, ParsedFields
from bot.ingest.identity import identity_key
from bot.ingest.parse import RejectedDocument, finish_article, read_fields
from bot.ingest.plaintext_format import lead, shorten
from bot.models import Article, tuple_state
from bot.stories import grouping as rules
from bot.stories import semantic

CHUNK = 32  # documents per worker task: amortises the inter-process hop
AHEAD = 4  # tasks in flight per worker
X = TypeVar("X")
R = TypeVar("R")


@tuple_state
@dataclass(frozen=True, slots=True)
class Document:
    """One input of a bulk load; ``error`` set means rejected before parsing (unreadable,
    too large): the outcome is "rejected" with that message and nothing is parsed."""

    origin: str
    raw: bytes = b""
    error: str | None = None


@tuple_state
@dataclass(frozen=True, slots=True)
class Parsed:
    """A document after the pure part of ingestion (what a worker sends back)."""

    document: Document
    article: Article | None = None
    identity: str = ""
    features: rules.StoryFeatures | None = None
    bands: tuple[int, ...] = ()
    rejection: str | None = None  # the parser's one-line reason
    failure: BaseException | None = None  # a bug: re-raised where the document is stored


def one_line(message: str) -> str:
    return " ".join(message.split())


class Sealed:
    """What the first pass read (the fields and the moment), carried between processes as
    one pickled blob: the main process only orders it and passes it on to the second pass,
    so it copies bytes instead of unpickling and pickling every field (decision 048).
    Inline (no process in between) it is never pickled."""

    __slots__ = ("_blob", "_value")

    def __init__(self, value: tuple[ParsedFields, datetime] | None, blob: bytes = b"") -> None:
        self._value = value
        self._blob = blob

    def value(self) -> tuple[ParsedFields, datetime]:
        if self._value is None:
            self._value = pickle.loads(self._blob)
        return self._value

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        blob = self._blob or pickle.dumps(self._value, pickle.HIGHEST_PROTOCOL)
        return Sealed, (None, blob)


@tuple_state
@dataclass(frozen=True, slots=True)
class Dated:
    """A document read as far as its date (the first pass of a load stored in publication
    order): what it states and the moment it was read (the default date, given again to
    the second pass), sealed; and what ``reorder`` sorts and bounds by. No raw bytes."""

    document: Document
    read: Sealed | None = None  # None: rejected or failed (no second pass)
    when: float = 0.0  # the article's published_at as a POSIX timestamp
    size: int = 0  # ``article_size`` of the article it will be
    rejection: str | None = None
    failure: BaseException | None = None

    @property
    def fields(self) -> ParsedFields | None:
        return None if self.read is None else self.read.value()[0]

    @property
    def moment(self) -> datetime | None:
        return None if self.read is None else self.read.value()[1]


def posix_time(published: datetime) -> float:
    """The sort key of a publication time (a naive one is UTC, as stored)."""
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published.timestamp()


def article_size(title: str, summary: str | None, body: str) -> int:
    """What an article waiting in ``reorder`` is counted as (bytes, roughly)."""
    return len(body) + len(summary or "") + len(title) + 512


def story_features(article: Article, method: str = "semantic") -> rules.StoryFeatures:
    """The story features of ``[stories] method``: vectors and names for "semantic"
    (decision 018), words and figures only for "lexical" (decision 010)."""
    return semantic.features(article) if method == "semantic" else rules.features(article)


def read_one(document: Document, max_bytes: int) -> Dated:
    """The first pass: ``read_fields`` and the date; never raises."""
    bare = _without_raw(document)
    if document.error is not None:
        return Dated(bare)
    moment = datetime.now(UTC)
    try:
        fields = read_fields(document.raw, max_bytes=max_bytes, now=moment)
    except RejectedDocument as exc:
        return Dated(bare, rejection=one_line(str(exc)))
    except Exception as exc:  # a bug: raised again where the document is stored
        return Dated(bare, failure=exc)
    # as build_article will say: the stated date, else the moment read (recorded inferred)
    published = fields.published_at or moment.replace(microsecond=0)
    summary = fields.summary
    if summary is None:
        summary = lead(fields.body)
    size = article_size(
        shorten(fields.title, MAX_TITLE), shorten(summary, MAX_SUMMARY), fields.body
    )
    return Dated(bare, Sealed((fields, moment)), posix_time(published), size)


def finish_one(dated: Dated, method: str = "semantic") -> Parsed:
    """The second pass: enrichment, identity, story features and bands; never raises."""
    if dated.read is None:
        return Parsed(dated.document, rejection=dated.rejection, failure=dated.failure)
    try:
        fields, moment = dated.read.value()
        article = finish_article(fields, source=None, now=moment)
        return _with_story(dated.document, article, method)
    except RejectedDocument as exc:
        return Parsed(dated.document, rejection=one_line(str(exc)))
    except Exception as exc:  # a bug: raised again by the caller, in order
        return Parsed(dated.document, failure=exc)


def parse_one(document: Document, max_bytes: int, method: str = "semantic") -> Parsed:
    """Parse, identify and sign one document (both passes); never raises."""
    return finish_one(read_one(document, max_bytes), method)


def _with_story(document: Document, article: Article, method: str) -> Parsed:
    features = story_features(article, method)
    return Parsed(
        document,
        article=article,
        identity=identity_key(article),
        features=features,
        bands=rules.article_bands(features),
    )


def _without_raw(document: Document) -> Document:
    # the raw bytes need not travel back: the caller still holds its documents
    return replace(document, raw=b"") if document.raw else document


def _each(func: Callable[..., R], items: list[X], *args: Any) -> list[R]:
    """A worker task: ``func`` over one chunk (one inter-process hop for ``CHUNK`` items)."""
    return [func(item, *args) for item in items]


def warm_up(method: str) -> None:
    """Load what the first article would otherwise wait for (the tagger, the sentiment
    weights, the story vectors when ``method`` is semantic): a parse worker is ready after
    it, and a live bot calls it in a thread before its sources start, so the first file
    after start-up is not ~0.3 s slower than the rest."""
    enrich.default_tagger()
    enrich.default_sentiment()
    if method == "semantic":
        semantic.default_embedder()


def default_workers() -> int:
    """One parse worker per core. A load stored in publication order reads every file
    before its first write (the dates), with every core; then the second pass streams
    beside the writer. Measured on 2 cores (decision 043): see there for 1 against 2."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


class Workers:
    """Worker processes for one bulk load, shared by its passes (spawned: no fork of a
    process with threads and an event loop). Until the first answers (they need a moment
    to import), and where none can start, work is done inline: small inputs never wait."""

    def __init__(self, count: int, method: str = "semantic") -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[None] | None = None
        if count > 0:
            self._pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
            self._ready = self._pool.submit(warm_up, method)

    def _usable(self) -> bool:
        ready = self._ready
        if ready is None or not ready.done():
            return False
        if ready.exception() is not None:  # no workers here (sandbox, unguarded __main__...)
            self._ready = None
            return False
        return True

    async def map(
        self, items: Iterable[X] | AsyncIterator[X], func: Callable[..., R], *args: Any
    ) -> AsyncIterator[R]:
        """``func(item, *args)`` for each item, in order; ``count * AHEAD`` chunks in flight
        (``func`` importable, never raising, items and results picklable)."""
        source = _async(items)
        queued: deque[tuple[list[X], Future[list[R]] | None]] = deque()
        exhausted = False
        while True:
            while not exhausted and self._usable() and len(queued) < self.count * AHEAD:
                chunk = await _take(source)
                exhausted = not chunk
                if chunk:
                    queued.append((chunk, self._submit(func, chunk, args)))
            if not queued:  # the workers are still starting: this chunk is done here
                chunk = [] if exhausted else await _take(source)
                if not chunk:
                    return
                queued.append((chunk, None))
            chunk, future = queued.popleft()
            for result in await _results(chunk, future, func, args):
                yield result

    def _submit(
        self, func: Callable[..., R], chunk: list[X], args: tuple[Any, ...]
    ) -> Future[list[R]] | None:
        assert self._pool is not None
        try:
            return self._pool.submit(_each, func, chunk, *args)
        except BrokenExecutor:
            return None

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


async def parse_ahead(
    documents: Iterable[Document], *, max_bytes: int, workers: int, method: str = "semantic"
) -> AsyncIterator[Parsed]:
    """``parse_one`` over ``documents``, in order; ``workers`` processes parse ahead
    (0: everything inline)."""
    pool = Workers(workers, method)
    try:
        async with aclosing(pool.map(documents, parse_one, max_bytes, method)) as parsed_all:
            async for parsed in parsed_all:
                yield parsed
    finally:
        pool.close()


async def _async(items: Iterable[X] | AsyncIterator[X]) -> AsyncIterator[X]:
    if isinstance(items, AsyncIterator):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


async def _take(source: AsyncIterator[X]) -> list[X]:
    chunk: list[X] = []
    async for item in source:
        chunk.append(item)
        if len(chunk) == CHUNK:
            break
    return chunk


async def _results(
    chunk: list[X], future: Future[list[R]] | None, func: Callable[..., R], args: tuple[Any, ...]
) -> list[R]:
    if future is not None:
        try:
            return await asyncio.wrap_future(future)
        except BrokenExecutor:  # a worker died: this chunk is done here instead
            pass
    return _each(func, chunk, *args)
