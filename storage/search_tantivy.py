"""``/search`` on a SQLite file through the tantivy index beside it, and the ranking blend.

Same answer as the FTS5 path (``storage/search_sql.py``): the newest 400 matches are the
candidates, ranked by relevance (normalised to the best candidate) blended with recency
(half-life a week from the newest candidate). tantivy finds the candidates and their
title/summary term counts; then one SQLite read returns the top articles together with
whether any article write is still waiting for the index (``search_changes``). A search
estimated cheap runs right on the event loop, never waiting for a lock there; a costly
one, or one that met a lock, runs in a search thread (decision 035). Pending writes, an
index not yet built, or a query tantivy cannot express: ``search`` returns None and FTS5
answers, so results are never stale.
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import Boolean, bindparam, column, func, select, text

from bot.commands.search_query import SearchQuery
from bot.models import Article
from storage.archive_rows import ARTICLE_COLUMNS, ARTICLES, article_from_row
from storage.database import Database, _SqliteRead
from storage.search_index import Candidates, Plan, available
from storage.search_sync import SearchSync

SEARCH_THREADS = 2  # searches at once (each thread keeps its own read connection)
BUSY_MS = 10_000  # a search thread waits this long for a lock on the file
# Searches expected to read at most this many postings run on the event loop: at 1M
# articles on a loaded 2-core machine they take up to ~5 ms, where the hop to a thread
# and back cost up to 10 ms of waiting to be scheduled (decision 035)
INLINE_WORK = 500_000

_PENDING = (
    text("SELECT EXISTS (SELECT 1 FROM search_changes) AS search_pending")
    .columns(search_pending=Boolean())
    .subquery("p")
)
_IDS = select(column("value")).select_from(func.json_each(bindparam("ids")))
# one row per found article (or one row of NULLs), each with the pending flag
_FOUND = select(_PENDING.c.search_pending, *ARTICLE_COLUMNS).select_from(
    _PENDING.outerjoin(ARTICLES, ARTICLES.c.id.in_(_IDS))
)


def blend(found: Candidates, weight: float, half_life_h: float) -> list[int]:
    """``rank`` for tantivy's candidates, vectorised (times in epoch microseconds), with
    the relevance of the FTS5 path: BM25-style saturating term frequency per column
    (title 10, summary 4)."""
    if not len(found.ids):
        return []
    tt, ts = found.in_title, found.in_summary
    relevance = 1.0 + 10.0 * tt / (tt + 1.2) + 4.0 * ts / (ts + 1.2)
    best = float(relevance.max()) or 1.0
    age_h = (found.ats.max() - found.ats) / 3.6e9
    score = weight * np.maximum(relevance, 0.0) / best + (1 - weight) * np.power(
        0.5, age_h / half_life_h
    )
    order = np.lexsort((found.ids, found.ats, score))[::-1]  # score, then newest, then id
    return found.ids[order].tolist()


def rank(rows: Sequence[object], weight: float, half_life_h: float) -> list[int]:
    """Order candidate ids by relevance (normalised to the best) blended with recency
    (half-life a week, measured from the newest candidate so old archives rank sanely)."""
    if not rows:
        return []
    best = max(float(r.relevance or 0.0) for r in rows) or 1.0  # type: ignore[attr-defined]
    newest = max(r.published_at for r in rows)  # type: ignore[attr-defined]
    scored = []
    for r in rows:
        relevance = max(float(r.relevance or 0.0), 0.0) / best  # type: ignore[attr-defined]
        age_h = (newest - r.published_at).total_seconds() / 3600.0  # type: ignore[attr-defined]
        recency = math.pow(0.5, age_h / half_life_h)
        score = weight * relevance + (1 - weight) * recency
        scored.append((score, r.published_at, r.id))  # type: ignore[attr-defined]
    scored.sort(reverse=True)
    return [i for _, _, i in scored]


class TantivySearch:
    """The index of one SQLite file, started on first use (a worker keeps it current)."""

    def __init__(self, db: Database, candidates: int, weight: float, half_life_h: float) -> None:
        self.db = db
        self.candidates, self.weight, self.half_life_h = candidates, weight, half_life_h
        assert db.url.database
        self.sync = SearchSync(Path(db.url.database).expanduser())
        self.answered = 0  # searches tantivy answered (the rest fell back to FTS5)
        self._executor = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="cw-search")
        self._local = threading.local()  # each search thread's read connection
        self._connections: list[sqlite3.Connection] = []
        self._read = _SqliteRead(_FOUND, db.engine.dialect)
        self._one_bind = self._read.binds == [("ids", None)]  # bind the JSON text as is

    @classmethod
    def open(
        cls, db: Database, engine: str, candidates: int, weight: float, half_life_h: float
    ) -> TantivySearch | None:
        """The index for ``engine = "tantivy"`` on a SQLite file with tantivy installed."""
        if engine != "tantivy" or not db.sqlite_file or not available():
            return None
        return cls(db, candidates, weight, half_life_h)

    def kick(self) -> None:
        self.sync.start()
        self.sync.kick()

    @contextmanager
    def forgets_held(self) -> Iterator[None]:
        """A bulk load's span: changes are indexed, their rows deleted only after it
        (``SearchSync.hold_forgets``)."""
        sync = self.sync
        sync.hold_forgets()
        try:
            yield
        finally:
            sync.release_forgets()

    async def settled(self, seconds: float = 60.0) -> bool:
        """Wait (in a thread) until the index holds every committed article."""
        self.sync.start()
        return await asyncio.to_thread(self.sync.settled, seconds)

    async def close(self) -> None:
        """Stop the worker and the search threads (thread joins: off the loop)."""
        await asyncio.to_thread(self.sync.stop)
        await asyncio.to_thread(self._executor.shutdown)
        for conn in self._connections:
            conn.close()
        self._connections.clear()
        # a storage closed and used again (another loop) starts afresh; threads are lazy
        self.sync = SearchSync(self.sync.database)
        self._executor = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="cw-search")
        self._local = threading.local()

    async def search(self, query: SearchQuery, limit: int) -> list[Article] | None:
        """The top ``limit`` articles, or None when FTS5 must answer."""
        self.sync.start()
        index = self.sync.index
        if not query.has_text or index is None or not self.sync.ready.is_set():
            return None
        plan = index.plan(query, self.candidates)  # tens of microseconds: analyse, count
        if plan is None:  # a term without a token: FTS5 answers
            return None
        found: list[Article] | _Busy | None = _BUSY
        if plan.work <= INLINE_WORK:
            found = self._find(plan, limit, wait=False)
        if found is _BUSY:  # costly, or a lock held on the file: in a search thread
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self._executor, self._find, plan, limit)
        if found is None:
            self.sync.kick()
            return None
        assert not isinstance(found, _Busy)
        self.answered += 1
        return found

    def _find(self, plan: Plan, limit: int, wait: bool = True) -> list[Article] | _Busy | None:
        """tantivy's candidates, the blend, then the articles and the pending flag in one
        statement on this thread's own read connection. On the event loop (``wait``
        false) a locked file answers ``_BUSY`` at once instead of waiting for it."""
        index = self.sync.index
        assert index is not None
        ids = blend(index.run(plan), self.weight, self.half_life_h)[:limit]
        read = self._read
        try:
            rows = self._connection(wait).execute(
                read.sql,
                (json.dumps(ids),) if self._one_bind else read.parameters({"ids": json.dumps(ids)}),
            )
            fetched = rows.fetchall()
        except sqlite3.OperationalError as exc:
            if wait or "locked" not in str(exc):
                raise
            return _BUSY
        mapped = [read.mapping(row) for row in fetched]
        if not mapped or mapped[0]["search_pending"]:
            return None
        by_id = {row["id"]: article_from_row(row) for row in mapped if row["id"] is not None}
        return [by_id[i] for i in ids if i in by_id]

    def _connection(self, wait: bool = True) -> sqlite3.Connection:
        """This thread's read connection; the event loop's never waits for a lock."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.sync.database, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout={BUSY_MS if wait else 0}")
            conn.execute("PRAGMA query_only=1")
            self._local.conn = conn
            self._connections.append(conn)
        return conn


class _Busy:
    """The loop could not answer without waiting: a search thread does."""


_BUSY = _Busy()
