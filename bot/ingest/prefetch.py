"""Parsing ahead for bulk ingestion: worker processes parse documents (and compute their
story keys) while the caller stores the ones before, in order.

Why processes: parsing and story features are pure Python (the GIL allows no overlap
in threads) and cost more than the store itself; on a bulk load the writer otherwise
waits for them. Everything here is pure, so a document parses to the same article in
a worker as inline; results come back in input order. Workers are spawned (no fork of a
process with threads and an event loop) and need a moment to import: until the first
worker answers, the caller parses inline, so small inputs never wait for them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from itertools import islice

from bot.ingest.identity import identity_key
from bot.ingest.parse import RejectedDocument, parse_document
from bot.models import Article
from bot.stories import grouping as rules
from bot.stories import semantic

CHUNK = 32  # documents per worker task: amortises the inter-process hop
AHEAD = 4  # tasks in flight per worker


@dataclass(frozen=True, slots=True)
class Document:
    """One input of a bulk load; ``error`` set means rejected before parsing (unreadable,
    too large): the outcome is "rejected" with that message and nothing is parsed."""

    origin: str
    raw: bytes = b""
    error: str | None = None


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


def story_features(article: Article, method: str = "semantic") -> rules.StoryFeatures:
    """The story features of ``[stories] method``: vectors and names for "semantic"
    (decision 018), words and figures only for "lexical" (decision 010)."""
    return semantic.features(article) if method == "semantic" else rules.features(article)


def parse_one(document: Document, max_bytes: int, method: str = "semantic") -> Parsed:
    """Parse, identify and sign one document; never raises (failures travel back)."""
    if document.error is not None:
        return Parsed(document)
    try:
        article = parse_document(document.raw, origin=document.origin, max_bytes=max_bytes)
        features = story_features(article, method)
        return Parsed(
            document,
            article=article,
            identity=identity_key(article),
            features=features,
            bands=rules.article_bands(features),
        )
    except RejectedDocument as exc:
        return Parsed(document, rejection=one_line(str(exc)))
    except Exception as exc:  # a bug: raised again by the caller, in input order
        return Parsed(document, failure=exc)


def parse_chunk(documents: list[Document], max_bytes: int, method: str) -> list[Parsed]:
    # the raw bytes need not travel back: the caller still holds its documents
    return [_without_raw(parse_one(d, max_bytes, method)) for d in documents]


def _without_raw(parsed: Parsed) -> Parsed:
    if not parsed.document.raw:
        return parsed
    return replace(parsed, document=replace(parsed.document, raw=b""))


def _warm_up(method: str) -> None:
    """Imports done (and the story vectors loaded when used): the worker is ready."""
    if method == "semantic":
        semantic.default_embedder()


def default_workers(*, writer_waits: bool = False) -> int:
    """One parse worker per core but the writer's own: the writer is the slower side, and
    a worker sharing its core slows it (measured on 2 cores: 1 worker 688 articles/s, 2
    workers 345/s, inline 498/s); one core parses inline. ``writer_waits``: the writer
    starts only once everything is parsed (a load stored in publication order that fits
    its window, ``bot.ingest.reorder``), so every core parses."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    if writer_waits and cores > 1:
        return cores
    return max(0, cores - 1)


async def parse_ahead(
    documents: Iterable[Document], *, max_bytes: int, workers: int, method: str = "semantic"
) -> AsyncIterator[Parsed]:
    """``parse_one`` over ``documents``, in order; ``workers`` processes parse ahead
    (0: everything inline)."""
    source = iter(documents)
    if workers <= 0:
        for document in source:
            yield parse_one(document, max_bytes, method)
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        ready: Future[None] | None = pool.submit(_warm_up, method)
        queued: deque[tuple[list[Document], Future[list[Parsed]] | None]] = deque()
        while True:
            if ready is not None and ready.done():
                if ready.exception() is None:
                    _fill(pool, source, queued, (max_bytes, method), workers * AHEAD)
                else:  # no workers here (sandbox, unguarded __main__...): parse inline
                    ready = None
            if not queued:  # the workers are still starting: parse this chunk here
                chunk = list(islice(source, CHUNK))
                if not chunk:
                    return
                queued.append((chunk, None))
            chunk, future = queued.popleft()
            results = await _results(chunk, future, max_bytes, method)
            for document, parsed in zip(chunk, results, strict=True):
                yield replace(parsed, document=document)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


async def _results(
    chunk: list[Document], future: Future[list[Parsed]] | None, max_bytes: int, method: str
) -> list[Parsed]:
    if future is not None:
        try:
            return await asyncio.wrap_future(future)
        except BrokenExecutor:  # a worker died: this chunk is parsed here instead
            pass
    return [parse_one(d, max_bytes, method) for d in chunk]


def _fill(
    pool: ProcessPoolExecutor,
    source: Iterator[Document],
    queued: deque[tuple[list[Document], Future[list[Parsed]] | None]],
    args: tuple[int, str],
    limit: int,
) -> None:
    """Keep ``limit`` chunks in flight in the workers."""
    while len(queued) < limit:
        chunk = list(islice(source, CHUNK))
        if not chunk:
            return
        try:
            future: Future[list[Parsed]] | None = pool.submit(parse_chunk, chunk, *args)
        except BrokenExecutor:
            future = None
        queued.append((chunk, future))
