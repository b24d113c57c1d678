"""One path for every incoming article: parse (or take a parsed feed item), store with
identity/update/story rules in one transaction, then tell the listeners.

Listeners (alert planning, metrics) run after the commit and only for stored changes
(new, updated, draft); a failing listener is logged and never breaks ingestion.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import aclosing, asynccontextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.ingest.fields import bounded_article
from bot.ingest.identity import content_hash, identity_key
from bot.ingest.normalise import check_date_range
from bot.ingest.outcome import IngestOutcome
from bot.ingest.parse import RejectedDocument, SourceHint
from bot.ingest.parse_worker import ParseWorker
from bot.ingest.prefetch import Document, Parsed, one_line, parse_ahead, story_features
from bot.ingest.reorder import parsed_in_publication_order
from bot.models import Article
from bot.ports import Archive
from bot.stories.grouping import StoryFeatures, article_bands

log = logging.getLogger("cryptowire.ingest")

Listener = Callable[[IngestOutcome], Awaitable[None]]


class IngestPipeline:
    """Turns raw documents and feed items into stored articles and outcomes."""

    def __init__(
        self,
        archive: Archive,
        *,
        max_bytes: int,
        story_window: timedelta,
        story_method: str = "semantic",
    ) -> None:
        self.archive = archive
        self.max_bytes = max_bytes
        self.story_window = story_window
        self.story_method = story_method
        self._listeners: list[Listener] = []
        self.parser = ParseWorker()
        self._pending: ContextVar[list[IngestOutcome] | None] = ContextVar(
            f"ingest_pending_{id(self)}", default=None
        )

    @asynccontextmanager
    async def batch(self, *, group: int = 1000, inline: bool = False) -> AsyncIterator[None]:
        """Wrap a finite bulk loop (CLI, scans): ``async with pipeline.batch(): ...``.

        Every article stays atomic, but commits are grouped (SQLite: up to ``group``
        articles per commit), so listeners hear about outcomes at each commit point
        instead of right away: never before the article is durable. ``inline=True``
        (CLI only) writes on the loop's thread: nothing else may need the loop meanwhile.
        """
        if self._pending.get() is not None:
            yield
            return
        pending: list[IngestOutcome] = []
        token = self._pending.set(pending)

        async def announce() -> None:
            ready = list(pending)
            pending.clear()
            for outcome in ready:
                await self._notify(outcome)

        try:
            async with self.archive.batch(group=group, on_commit=announce, inline=inline):
                yield
        finally:
            self._pending.reset(token)

    def add_listener(self, listener: Listener) -> None:
        """``await listener(outcome)`` after each committed new/updated/draft article."""
        self._listeners.append(listener)

    async def ingest_bytes(
        self, raw: bytes, *, origin: str, source: SourceHint | None = None
    ) -> IngestOutcome:
        """Parse one document and store it; a bad document is "rejected", nothing stored.

        Parsing never runs on the event loop (``ParseWorker``: a thread, or a process with
        time and memory limits for big documents), so a hostile file does not delay commands
        and sends; the parsers' own limits keep every document's cost bounded (decision
        002, tests/hostile/)."""
        try:
            article = await self.parser.parse(
                raw, origin=origin, source=source, max_bytes=self.max_bytes
            )
        except RejectedDocument as exc:
            return IngestOutcome.rejected(origin, one_line(str(exc)))
        return await self._store(article, origin)

    async def ingest_article(self, article: Article, *, origin: str) -> IngestOutcome:
        """Store an item a feed already parsed and enriched (hash filled in when missing)."""
        if not article.title.strip():
            return IngestOutcome.rejected(origin, f"{origin}: no title")
        if article.published_at.tzinfo is None:
            article = replace(article, published_at=article.published_at.replace(tzinfo=UTC))
        if article.updated_at is not None and article.updated_at.tzinfo is None:
            article = replace(article, updated_at=article.updated_at.replace(tzinfo=UTC))
        now = datetime.now(UTC)
        try:  # year 9999 overflows as soon as the story window is added to it
            check_date_range(article.published_at, field="published", now=now)
            if article.updated_at is not None:
                check_date_range(article.updated_at, field="updated", now=now)
        except RejectedDocument as exc:
            return IngestOutcome.rejected(origin, f"{origin}: {one_line(str(exc))}")
        bounded = bounded_article(article, max_body=self.max_bytes)
        if bounded is not article or not article.content_hash:
            article = replace(bounded, content_hash=content_hash(bounded))
        return await self._store(article, origin)

    async def ingest_documents(
        self,
        documents: Iterable[Document],
        on_outcome: Callable[[Document, IngestOutcome], object],
        *,
        workers: int = 0,
        publication_order: bool = False,
    ) -> None:
        """``ingest_bytes`` over many documents, stored one by one in input order, with
        ``workers`` processes parsing ahead (bulk loads: the CLI). Outcomes, order and
        announcements are those of calling ``ingest_bytes`` in a loop; a document that
        failed before parsing (``Document.error``) is rejected with that message.
        ``publication_order``: store the earliest published first instead (bounded; see
        ``bot.ingest.reorder``), as stories form when news arrives live; every document
        is read for its date first, then the rest is parsed while the writer writes."""
        parse = parsed_in_publication_order if publication_order else parse_ahead
        parsed_documents = parse(
            documents, max_bytes=self.max_bytes, workers=workers, method=self.story_method
        )
        async with aclosing(parsed_documents) as parsed_all:
            async for parsed in parsed_all:
                on_outcome(parsed.document, await self._store_parsed(parsed))

    async def _store_parsed(self, parsed: Parsed) -> IngestOutcome:
        document = parsed.document
        if document.error is not None:
            return IngestOutcome.rejected(document.origin, document.error)
        if parsed.failure is not None:
            raise parsed.failure
        if parsed.article is None:
            return IngestOutcome.rejected(document.origin, parsed.rejection or "rejected")
        return await self._store(
            parsed.article,
            document.origin,
            identity=parsed.identity,
            features=parsed.features,
            bands=parsed.bands,
        )

    async def _store(
        self,
        article: Article,
        origin: str,
        *,
        identity: str | None = None,
        features: StoryFeatures | None = None,
        bands: tuple[int, ...] | None = None,
    ) -> IngestOutcome:
        if features is None or bands is None:
            # live path: the vectors are CPU work, computed off the event loop
            loop = asyncio.get_running_loop()
            features = await loop.run_in_executor(None, story_features, article, self.story_method)
            bands = article_bands(features)
        outcome = await self.archive.save(
            article,
            identity=identity or identity_key(article),
            origin=origin,
            story_window=self.story_window,
            features=features,
            bands=bands,
        )
        if outcome.notifies:
            pending = self._pending.get()
            if pending is not None:
                pending.append(outcome)  # announced after the group commits
            else:
                await self._notify(outcome)
        return outcome

    async def _notify(self, outcome: IngestOutcome) -> None:
        for listener in list(self._listeners):
            try:
                await listener(outcome)
            except Exception:
                log.exception(
                    "ingest listener %s failed for %s",
                    getattr(listener, "__qualname__", repr(listener)),
                    outcome.origin,
                )
