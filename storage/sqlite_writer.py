"""Batch writers: how ``SqlArchive.batch`` runs many saves.

SQLite: aiosqlite hops to its thread for every statement and an article needs about
eight, and a commit per article makes FTS5 and the band indexes flush every time. Here
the whole save runs in one call on a pysqlite connection owned by one thread, as raw
statements (``sqlite_save.save_raw``: SQLAlchemy's per-statement overhead was most of
the cost), each article inside its own SAVEPOINT (atomic: a failing article rolls back
alone), and the surrounding transaction commits every ``group`` articles and at the end.
PostgreSQL: one pooled connection, one transaction per article (``save_article``).
The SQLite writer holds the process's write gate (``storage/sqlite_gate.py``) while a
group is open and begins it IMMEDIATE: other writers wait for the group's commit instead
of failing on the lock, and get their turn between groups.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, RootTransaction
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from bot.ingest.outcome import IngestOutcome
from storage.archive_write import SaveRequest, save_article
from storage.database import _sqlite_pragmas
from storage.sqlite_gate import WriteGate
from storage.sqlite_save import BatchFeatures, save_raw
from storage.story_store import FeatureCache

T = TypeVar("T")
GC_YOUNG = 10_000  # new containers between the cyclic GC's youngest passes, inline loads


def _own_transactions(dbapi_connection: Any, _record: Any) -> None:
    """pysqlite's implicit BEGIN breaks SAVEPOINT: let SQLAlchemy emit BEGIN itself.
    A bigger page cache keeps the band and FTS index pages of a bulk load in memory.
    temp_store=MEMORY keeps each article's savepoint journal in memory: on disk it took
    ~170 page writes (pwrite syscalls) per article, one per page the article touched."""
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA cache_size=-65536")
    dbapi_connection.execute("PRAGMA temp_store=MEMORY")


def _emit_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock now: see sqlite_gate


class SqliteWriter:
    """One pysqlite connection used from one thread, committing every ``group`` saves."""

    # pysqlite connections may only be used by the thread that made them: every call,
    # from open() to close(), goes through ``_in_thread`` (one worker, or inline)

    def __init__(
        self,
        async_url: URL,
        *,
        group: int,
        inline: bool = False,
        features: FeatureCache | None = None,
        gate: WriteGate | None = None,
    ) -> None:
        self.group = max(1, group)
        self.gate = gate
        self._holding = False
        # inline: run on the caller's thread (a CLI with nothing else on its loop); a
        # thread hop per article costs more than the save on a busy machine
        self.inline = inline
        self._engine = create_engine(
            async_url.set(drivername="sqlite+pysqlite"),
            poolclass=NullPool,
            connect_args={"cached_statements": 1024},
        )
        event.listen(self._engine, "connect", _sqlite_pragmas)
        event.listen(self._engine, "connect", _own_transactions)
        event.listen(self._engine, "begin", _emit_begin)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cw-sqlite-writer")
        self._conn: Connection | None = None
        self._outer: RootTransaction | None = None
        self._memory = BatchFeatures(features)
        self._raw: Any = None
        self.pending = 0
        self._gc: tuple[int, int, int] | None = None

    def _fewer_collections(self) -> None:
        """Inline (a CLI's bulk load, nothing else in the process): the cyclic GC's
        youngest pass every 10,000 new containers instead of 700. A load allocates many
        short-lived ones per article while it holds many long-lived ones (queued first
        passes, features, the story mirror) that the older passes walk (decision 044).
        Restored at ``close``."""
        if self.inline and self._gc is None:
            self._gc = gc.get_threshold()
            gc.set_threshold(max(GC_YOUNG, self._gc[0]), *self._gc[1:])

    async def open(self) -> None:
        self._fewer_collections()
        self._conn = await self._in_thread(self._engine.connect)
        self._raw = self._conn.connection.driver_connection  # the same pysqlite connection

    def due(self) -> bool:
        """A full group waits for its commit."""
        return self.pending >= self.group

    async def save(self, request: SaveRequest) -> IngestOutcome:
        """Save one article atomically (a savepoint) inside the open group transaction."""
        if self.gate is not None and not self._holding:
            await self.gate.acquire()  # released when the group commits
            self._holding = True
        try:
            return await self._in_thread(lambda: self._save(request))
        except BaseException:
            if self._outer is None:  # nothing open: let the others write
                self._release()
            raise

    def _release(self) -> None:
        if self._holding and self.gate is not None:
            self._holding = False
            self.gate.release()

    def _save(self, request: SaveRequest) -> IngestOutcome:
        if self._conn is None:
            raise RuntimeError("SqliteWriter used before open()")
        raw = self._raw
        if self._outer is None:
            self._outer = self._conn.begin()
            self._memory.mirror.begin(raw)  # another connection's commit voids it
        raw.execute("SAVEPOINT cw_article")
        try:
            outcome = save_raw(raw, self._conn, request, self._memory)
        except BaseException:
            self._memory.drop_article()
            raw.execute("ROLLBACK TO cw_article")
            raw.execute("RELEASE cw_article")
            raise
        raw.execute("RELEASE cw_article")
        self._memory.keep_article()
        self.pending += 1
        return outcome

    async def flush(self) -> bool:
        """Commit the open group; True when something was committed."""
        try:
            return await self._in_thread(self._commit)
        finally:
            self._release()

    def _commit(self) -> bool:
        outer, self._outer = self._outer, None
        committed = self.pending > 0
        self.pending = 0
        if outer is not None:
            try:
                self._memory.bands.write(self._raw)  # the group's new stories' band rows
                outer.commit()
            except BaseException:
                self._memory.rolled_back()
                raise
        self._memory.committed()
        return committed

    async def close(self) -> None:
        """Commit what is pending, then release the connection and the thread."""
        try:
            if self._conn is not None:
                await self.flush()
        finally:
            conn, self._conn = self._conn, None
            try:
                if conn is not None:
                    await self._in_thread(conn.close)
            finally:
                self._executor.shutdown(wait=True)
                self._engine.dispose()
                if self._gc is not None:
                    gc.set_threshold(*self._gc)
                    self._gc = None

    async def _in_thread(self, func: Callable[[], T]) -> T:
        if self.inline:
            return func()
        return await asyncio.get_running_loop().run_in_executor(self._executor, func)


class AsyncWriter:
    """The PostgreSQL batch writer: one pooled connection, a transaction per save."""

    group = 1

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.pending = 0

    def due(self) -> bool:
        return self.pending > 0

    async def save(self, request: SaveRequest) -> IngestOutcome:
        async with self.conn.begin():
            outcome = await self.conn.run_sync(save_article, request)
        self.pending += 1
        return outcome

    async def flush(self) -> bool:
        committed, self.pending = self.pending > 0, 0
        return committed

    async def close(self) -> None:
        await self.flush()
