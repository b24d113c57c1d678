"""The article archive on SQLite and PostgreSQL: one API (``bot.ports.Archive``).

Writes: one transaction per article (article row, revision, tag postings, story, bands,
and the full-text row through the FTS5 triggers / generated tsvector), so nothing is ever
half-written. On PostgreSQL a transaction-level advisory lock serialises story assignment
and the identity unique key + ON CONFLICT catches any insert race.
Reads: visible (non-draft) articles only, from indexes sized for a million rows.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Float, Integer, Select, bindparam, false, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands.search_query import SearchQuery, parse_search
from bot.ingest.outcome import IngestOutcome
from bot.models import Article, Story
from bot.stories.grouping import StoryFeatures
from storage import search_sql
from storage.archive_rows import (
    ARTICLE_COLUMNS,
    ARTICLES,
    MEMBERS,
    STORIES,
    STORY_COLUMNS,
    TAGS,
    article_from_row,
    story_from_row,
)
from storage.archive_rows import NOT_DRAFT_IN_STORY as _NOT_DRAFT
from storage.archive_write import InsertRace, SaveRequest, prepare, save_article
from storage.database import Database
from storage.search_tantivy import TantivySearch, rank
from storage.sqlite_writer import AsyncWriter, SqliteWriter
from storage.story_store import FeatureCache
from storage.story_vectors import VectorIndex

RANKED_STATEMENTS = 256  # compiled search statements kept (one per query shape)
SEARCH_CANDIDATES = 400  # newest matches ranked per search (bounded cost at any size)
RECENCY_HALF_LIFE_H = 24.0 * 7
RELEVANCE_WEIGHT = 0.7
TAG_CACHE_SECONDS = 60.0
MAX_LIMIT = 100

_BY_ID = select(*ARTICLE_COLUMNS).where(ARTICLES.c.id == bindparam("id"))
_BY_IDS = select(*ARTICLE_COLUMNS).where(ARTICLES.c.id.in_(bindparam("ids", expanding=True)))
_LATEST = (
    select(*ARTICLE_COLUMNS)
    .where(ARTICLES.c.draft == false())
    .order_by(ARTICLES.c.published_at.desc(), ARTICLES.c.id.desc())
    .limit(bindparam("limit"))
)
# One statement: the tag postings index read backwards, each article by primary key.
_LATEST_TAG = (
    select(*ARTICLE_COLUMNS)
    .select_from(TAGS.join(ARTICLES, ARTICLES.c.id == TAGS.c.article_id))
    .where(TAGS.c.tag == bindparam("tag"))
    .order_by(TAGS.c.published_at.desc(), TAGS.c.article_id.desc())
    .limit(bindparam("limit"))
)
_STORY = select(*STORY_COLUMNS).where(STORIES.c.id == bindparam("id"))
_STORY_SOURCES = (
    select(ARTICLES.c.source_key)
    .where(ARTICLES.c.story_id == bindparam("id"), _NOT_DRAFT)
    .distinct()
)
_STORY_ARTICLES = (
    select(*ARTICLE_COLUMNS)
    .where(ARTICLES.c.story_id == bindparam("id"), _NOT_DRAFT)
    .order_by(ARTICLES.c.published_at, ARTICLES.c.id)
)
_TAG_COUNTS = (
    select(TAGS.c.tag, func.count().label("n")).group_by(TAGS.c.tag).order_by(func.count().desc())
)


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


class SqlArchive:
    """Articles, stories and search over one ``Database`` (``storage/search_tantivy.py``)."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] | None = None,
        search_index: str = "tantivy",
    ) -> None:
        self.db = db
        self._tantivy = TantivySearch.open(
            db, search_index, SEARCH_CANDIDATES, RELEVANCE_WEIGHT, RECENCY_HALF_LIFE_H
        )
        self.clock = clock or (lambda: datetime.now(UTC))
        self._tag_cache: tuple[float, list[str], frozenset[str]] | None = None
        self._sql_math: bool | None = None  # SQLite has pow(): search ranks in SQL
        self._ranked_statements: dict[str, Select[Any]] = {}
        self._features = FeatureCache()
        self._live: SqliteWriter | None = None  # single saves on a SQLite file
        self._vectors = VectorIndex()  # recent articles' story vectors (semantic candidates)
        # the writer of the batch the current task runs in (see ``batch``)
        self._batch: ContextVar[_Batch | None] = ContextVar(
            f"archive_batch_{id(self)}", default=None
        )

    @asynccontextmanager
    async def batch(
        self,
        *,
        group: int = 1000,
        on_commit: Callable[[], Awaitable[None]] | None = None,
        inline: bool = False,
    ) -> AsyncIterator[None]:
        """Run this task's saves through one writer (bulk ingestion: CLI, scans, benches).

        Every article stays atomic. On SQLite the saves run in a dedicated writer thread
        and commit every ``group`` articles (and at the end); on PostgreSQL each commits
        alone on one pooled connection. ``on_commit`` is awaited after each commit point
        (before the next group starts, and at the end), so callers can announce the
        articles saved so far only once they are durable. Other tasks are unaffected:
        the writer belongs to this task's context only. Meant for finite loops: a live
        source should save one by one so nothing waits for a group to fill.
        ``inline`` (SQLite) saves on the event loop's own thread: for a CLI or benchmark
        whose loop serves nothing else; never inside the running bot.
        """
        if self._batch.get() is not None:
            yield
            return
        writer: _Writer
        async with contextlib.AsyncExitStack() as stack:
            in_memory = self.db.url.database in (None, "", ":memory:")
            if self.db.is_postgres or in_memory:  # a second connection would see another DB
                conn = await stack.enter_async_context(self.db.engine.connect())
                writer = AsyncWriter(conn)
            else:
                writer = SqliteWriter(
                    self.db.url,
                    group=group,
                    inline=inline,
                    features=self._features,
                    gate=self.db.gate,
                )
                await writer.open()
                if inline and self._tantivy is not None:  # keeps the writer's mirror valid
                    stack.enter_context(self._tantivy.forgets_held())
            token = self._batch.set(_Batch(writer, on_commit))
            try:
                yield
            finally:
                self._batch.reset(token)
                committed = await _close_quietly(writer)
                if committed and on_commit is not None:
                    await on_commit()  # also when the loop failed: these are stored

    # ---- writes -------------------------------------------------------------------

    async def save(
        self,
        article: Article,
        *,
        identity: str,
        origin: str,
        story_window: timedelta,
        features: StoryFeatures | None = None,
        bands: tuple[int, ...] | None = None,
    ) -> IngestOutcome:
        """Store ``article`` as new, an in-place update, or recognise a duplicate."""
        request = prepare(
            article,
            identity=identity,
            origin=origin,
            window=story_window,
            clock=self.clock,
            cache=self._features,
            features=features,
            bands=bands,
            vectors=self._vectors,
        )
        batch = self._batch.get()
        if batch is not None and batch.writer.due():
            await batch.commit()
        for attempt in range(2):
            try:
                if batch is not None:
                    outcome = await batch.writer.save(request)
                elif self._live_writer_usable():
                    outcome = await self._save_live(request)
                else:
                    async with self.db.connect() as conn:
                        outcome = await conn.run_sync(save_article, request)
                break
            except InsertRace:
                if attempt:
                    raise
        self._note_tags(outcome)
        if self._tantivy is not None:  # its worker drains what is committed
            self._tantivy.kick()
        return outcome

    def _live_writer_usable(self) -> bool:
        database = self.db.url.database
        return self.db.gate is not None and database not in (None, "", ":memory:")

    async def _save_live(self, request: SaveRequest) -> IngestOutcome:
        """One article, committed alone, through the SQLite writer's own connection and
        thread: one hop for the save and one for the commit, where the SQLAlchemy path
        takes about thirty (each waits for a thread on a busy machine). Same statements
        as the bulk path (``sqlite_save``), behind the same write gate."""
        assert self.db.gate is not None
        async with self.db.gate.hold():
            if self._live is None:
                writer = SqliteWriter(self.db.url, group=1, features=self._features)
                await writer.open()
                self._live = writer
            try:
                return await self._live.save(request)
            finally:
                await self._live.flush()

    async def close(self) -> None:
        """Release the live writer's connection and thread (``SqlStorage.close``)."""
        writer, self._live = self._live, None
        if self._tantivy is not None:
            await self._tantivy.close()  # its worker thread
        if writer is not None:
            await writer.close()

    def _note_tags(self, outcome: IngestOutcome) -> None:
        """A new tag makes the autocomplete cache stale."""
        if self._tag_cache is None or outcome.article is None or outcome.article.draft:
            return
        if not self._tag_cache[2].issuperset(t.upper() for t in outcome.article.tags):
            self._tag_cache = None

    # ---- reads --------------------------------------------------------------------

    async def _with_sources(self, conn: AsyncConnection, story: Story) -> Story:
        keys = tuple(sorted(r[0] for r in await conn.execute(_STORY_SOURCES, {"id": story.id})))
        return replace(story, source_keys=keys)

    async def latest(self, tag: str | None = None, limit: int = 10) -> list[Article]:
        """Newest visible articles, optionally with one tag (an index range scan)."""
        if not tag:
            rows = await self.db.read(_LATEST, {"limit": _clamp(limit)})
        else:
            params = {"tag": tag.strip().upper()[:40], "limit": _clamp(limit)}
            rows = await self.db.read(_LATEST_TAG, params)
        return [article_from_row(r) for r in rows]

    async def search(self, query: str, limit: int = 10) -> list[Article]:
        """Relevance blended with recency over the newest matching candidates."""
        return await self.search_parsed(parse_search(query, now=self.clock()), limit)

    async def search_parsed(self, query: SearchQuery, limit: int = 10) -> list[Article]:
        if query.is_empty:
            return []
        if self._tantivy is not None:
            found = await self._tantivy.search(query, _clamp(limit))
            if found is not None:
                return found
        if not self.db.is_postgres and await self._ranks_in_sql():
            return await self._search_sqlite(query, _clamp(limit))
        build = (
            search_sql.postgres_candidates if self.db.is_postgres else search_sql.sqlite_candidates
        )
        statement, params = build(query, SEARCH_CANDIDATES)
        async with self.db.read_connect() as conn:
            rows = list(await conn.execute(statement, params))
            ranked = rank(rows, RELEVANCE_WEIGHT, RECENCY_HALF_LIFE_H)[: _clamp(limit)]
            return await self._articles_in_order(conn, ranked)

    async def search_settled(self, seconds: float = 60.0) -> bool:
        """Wait until the search index holds every committed article (benches, tests)."""
        return self._tantivy is None or await self._tantivy.settled(seconds)

    async def _search_sqlite(self, query: SearchQuery, limit: int) -> list[Article]:
        """One statement, one hop to the connection's thread: candidates, ranking and the
        articles. The fixed cost this removes was outside SQL: six thread hops per
        statement through SQLAlchemy's async path, a second statement for the articles,
        and 400 candidate rows decoded and sorted in Python."""
        ranked_sql, params = search_sql.sqlite_ranked(
            query,
            SEARCH_CANDIDATES,
            limit,
            weight=RELEVANCE_WEIGHT,
            half_life_h=RECENCY_HALF_LIFE_H,
        )
        statement = self._ranked_statements.get(ranked_sql)
        if statement is None:  # one per query shape (words vs phrases, filters)
            if len(self._ranked_statements) >= RANKED_STATEMENTS:
                self._ranked_statements.clear()
            ranked = text(ranked_sql).columns(id=Integer(), score=Float()).subquery("ranked")
            statement = self._ranked_statements[ranked_sql] = (
                select(*ARTICLE_COLUMNS)
                .join_from(ARTICLES, ranked, ARTICLES.c.id == ranked.c.id)
                .order_by(
                    ranked.c.score.desc(), ARTICLES.c.published_at.desc(), ARTICLES.c.id.desc()
                )
            )
        return [article_from_row(row) for row in await self.db.read(statement, params)]

    async def _ranks_in_sql(self) -> bool:
        """SQLite built without math functions (pow) ranks in Python instead."""
        if self._sql_math is None:
            try:
                async with self.db.connect() as conn:
                    await conn.execute(text("SELECT pow(0.5, 1.0)"))
                self._sql_math = True
            except OperationalError:  # "no such function: pow"
                self._sql_math = False
        return self._sql_math

    async def get_article(self, article_id: int) -> Article | None:
        """Any stored article by id, drafts included (the CLI shows them as drafts)."""
        async with self.db.read_connect() as conn:
            row = (await conn.execute(_BY_ID, {"id": article_id})).first()
        return article_from_row(row._mapping) if row else None

    async def get_story(self, story_id: int) -> Story | None:
        async with self.db.read_connect() as conn:
            row = (await conn.execute(_STORY, {"id": story_id})).first()
            if row is None:
                return None
            return await self._with_sources(conn, story_from_row(row._mapping))

    async def story_articles(self, story_id: int) -> list[Article]:
        """The story's visible articles, oldest first (the first report leads)."""
        async with self.db.read_connect() as conn:
            rows = await conn.execute(_STORY_ARTICLES, {"id": story_id})
            return [article_from_row(r._mapping) for r in rows]

    async def story_evidence(self, story_id: int) -> dict[int, dict[str, object]]:
        """Why each article joined the story (``story_members``), by article id."""
        query = select(MEMBERS.c.article_id, MEMBERS.c.method, MEMBERS.c.evidence).where(
            MEMBERS.c.story_id == story_id
        )
        async with self.db.connect() as conn:
            rows = await conn.execute(query)
            return {r.article_id: {"method": r.method, **(r.evidence or {})} for r in rows}

    async def known_tags(self, prefix: str = "", limit: int = 25) -> list[str]:
        """Tags of visible articles, most used first; cached for a minute."""
        now = time.monotonic()
        if self._tag_cache is None or now - self._tag_cache[0] > TAG_CACHE_SECONDS:
            async with self.db.read_connect() as conn:
                ordered = [r.tag for r in await conn.execute(_TAG_COUNTS)]
            self._tag_cache = (now, ordered, frozenset(ordered))
        wanted = prefix.strip().upper()
        tags = [tag for tag in self._tag_cache[1] if tag.startswith(wanted)]
        return tags[: max(0, int(limit))]

    async def _articles_in_order(self, conn: AsyncConnection, ids: list[int]) -> list[Article]:
        if not ids:
            return []
        rows = await conn.execute(_BY_IDS, {"ids": ids})
        by_id = {r.id: article_from_row(r._mapping) for r in rows}
        return [by_id[i] for i in ids if i in by_id]


class _Writer(Protocol):
    group: int
    pending: int

    def due(self) -> bool: ...

    async def save(self, request: SaveRequest) -> IngestOutcome: ...

    async def flush(self) -> bool: ...

    async def close(self) -> None: ...


class _Batch:
    """The writer of one ``batch()`` and whom to tell after each commit."""

    def __init__(self, writer: _Writer, on_commit: Callable[[], Awaitable[None]] | None) -> None:
        self.writer = writer
        self.on_commit = on_commit

    async def commit(self) -> None:
        if await self.writer.flush() and self.on_commit is not None:
            await self.on_commit()


async def _close_quietly(writer: _Writer) -> bool:
    """Commit the tail and close; True when the tail held saved articles."""
    pending = writer.pending > 0
    await writer.close()
    return pending
