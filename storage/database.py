"""Engine and session handling for SQLite (embedded default) and PostgreSQL (scale-out).

Users write plain URLs (``sqlite:///cw.db``, ``postgresql://u@h/db``); we pick the async
driver. SQLite gets WAL, foreign keys and a busy timeout on every connection, and its
writes go one at a time through the write gate (``storage/sqlite_gate.py``): ``session()``
and ``connect()`` are write transactions (gate, then ``BEGIN IMMEDIATE``); ``reading()``
and ``read_connect()`` are for reads only and never wait for a writer.

SQLite file databases keep a few connections open and reuse them: opening one (an aiosqlite
thread, the file, four pragmas) costs about 3 ms, more than a `/latest` query. Reuse is safe
across event loops (the CLI runs one ``asyncio.run`` per command, tests one loop per test):
aiosqlite 0.22 creates each call's future on the loop that awaits it, and an unlimited
overflow means the pool never waits for a connection, so its queue never binds to a loop.
Whoever creates a ``Database`` still calls ``dispose()`` before its loop ends (closes the
threads). A connection goes back to the pool rolled back (SQLAlchemy's reset on return)
and async results are always fetched whole, so an idle pooled connection holds neither a
transaction (the SQLite write lock) nor a read snapshot.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from bot.errors import UserError
from storage.availability import Availability
from storage.pool_logs import quiet_cancelled_closes
from storage.sqlite_gate import ReadLimit, WriteGate

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_SYNC_TO_ASYNC = {
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+psycopg_async",
}
# WAL: many readers beside one writer. Kept open: enough for the bot's concurrent readers;
# a burst above it opens extra connections that close when returned (never a wait).
SQLITE_POOL_SIZE = 4
quiet_cancelled_closes()  # see pool_logs.py
SQLITE_READERS = 4  # reads at once (sqlite_gate.ReadLimit); writers go one by one


async def _begin_immediate(connection: AsyncConnection) -> None:
    """Take SQLite's write lock now (see ``sqlite_gate``). pysqlite begins lazily
    (DEFERRED) and passes an explicit BEGIN through; the driver's own ``execute`` is one
    hop to its thread instead of three through SQLAlchemy's cursor."""
    raw = await connection.get_raw_connection()
    await raw.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


class DatabaseUrlError(UserError):
    """The database URL cannot be used; the message is one line and has no password."""


def to_async_url(url: str) -> URL:
    """Map a URL as users write it to the async driver we ship."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(
            f"'{url.split('@')[-1]}' is not a database URL "
            "(examples: sqlite:///cryptowire.db, postgresql://user@host:5432/db)"
        ) from None
    driver = parsed.drivername
    if driver in _ASYNC_DRIVERS:
        driver = _ASYNC_DRIVERS[driver]
    driver = _SYNC_TO_ASYNC.get(driver, driver)
    if not driver.startswith(("sqlite", "postgresql")):
        raise DatabaseUrlError(
            f"unsupported database '{parsed.drivername}': use sqlite:/// or postgresql://"
        )
    return parsed.set(drivername=driver)


def redact(url: str | URL) -> str:
    """The URL with any password hidden, for logs and errors."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL lets readers run beside the writer; foreign keys keep the outbox consistent."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _make_parent(_dialect, _record, cargs, _cparams) -> None:  # type: ignore[no-untyped-def]
    """The folder of a new SQLite file is made when it is first opened, not before: a
    read-only command refuses a missing database without leaving a folder behind."""
    if cargs and isinstance(cargs[0], str) and cargs[0] not in ("", ":memory:"):
        if not cargs[0].startswith("file:"):
            Path(cargs[0]).expanduser().parent.mkdir(parents=True, exist_ok=True)


class _SqliteRead:
    """A Core SELECT compiled once for SQLite and run in one hop to aiosqlite's thread.

    Through SQLAlchemy's Core path a read is about six hops between the event loop
    and the connection's thread (cursor, execute, fetch, close, commit); each waits for
    a thread to be scheduled, which on a busy machine is most of a 0.1 ms query's time.
    Here: one hop for the query, one for the pool's rollback on return. Values still go
    through the columns' own types, so rows equal SQLAlchemy's; errors are sqlite3's own.
    """

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.binds = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or ()
        ]
        self.compiled = compiled
        self.columns: list[tuple[str, Callable[[Any], Any] | None]] = [
            (c.name, c.type.dialect_impl(dialect).result_processor(dialect, None))
            for c in statement.selected_columns
        ]
        if len({name for name, _ in self.columns}) != len(self.columns):
            raise ValueError("a fast read needs distinct column names")

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self.compiled.construct_params(dict(params))
        return tuple(
            process(values[name]) if process else values[name] for name, process in self.binds
        )

    def mapping(self, row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: process(value) if process else value
            for (name, process), value in zip(self.columns, row, strict=True)
        }


class Database:
    """One engine and its session factory; the only place that creates connections."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = to_async_url(url)
        self.dialect = "sqlite" if self.url.drivername.startswith("sqlite") else "postgresql"
        kwargs: dict[str, object] = {"echo": echo}
        if self.dialect == "sqlite":
            database = self.url.database
            if database and database != ":memory:":
                kwargs["poolclass"] = AsyncAdaptedQueuePool
                kwargs["pool_size"] = SQLITE_POOL_SIZE
                kwargs["max_overflow"] = -1  # never wait: see the module docstring
                kwargs["pool_reset_on_return"] = "rollback"
            else:  # each connection of an in-memory database is another database
                kwargs["poolclass"] = NullPool
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 10
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self.gate: WriteGate | None = None
        self.readers: ReadLimit | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "do_connect", _make_parent)
            self.gate = WriteGate()
            self.readers = ReadLimit(SQLITE_READERS)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # connection-level failures -> bot.errors.Unavailable, one log line per state change
        self.availability = Availability(postgres=self.dialect == "postgresql")
        self._reads: dict[Select[Any], _SqliteRead] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []  # helpers' own connections

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def sqlite_file(self) -> bool:
        """A SQLite database in a file (not in memory: each connection would be another)."""
        return self.gate is not None and self.url.database not in (None, "", ":memory:")

    def missing_file(self) -> Path | None:
        """The SQLite file when it does not exist yet (None for servers and memory)."""
        database = self.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return None
        path = Path(database).expanduser()
        return None if path.exists() else path

    @asynccontextmanager
    async def _available(self) -> AsyncIterator[None]:
        """An unreachable server raises ``bot.errors.Unavailable``
        (``storage/availability.py``); one log line per change of state."""
        began = time.monotonic()
        try:
            yield
        except Exception as exc:
            translated = self.availability.translate(exc, began)
            if translated is exc:
                raise
            raise translated from exc
        self.availability.succeeded(began)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one (write) transaction: committed on success, rolled back on
        error. On SQLite it waits for the write gate and begins IMMEDIATE."""
        async with self._available():
            if self.gate is None:
                async with self.sessions() as session, session.begin():
                    yield session
                return
            async with self.gate.hold(), self.sessions() as session, session.begin():
                await _begin_immediate(await session.connection())
                yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: never waits for the write gate (WAL snapshot)."""
        async with self._available(), self._read_slot():
            async with self.sessions() as session, session.begin():
                yield session

    def _read_slot(self) -> AbstractAsyncContextManager[Any]:
        return self.readers.slot() if self.readers is not None else nullcontext()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection in one (write) transaction; on SQLite behind the write gate."""
        async with self._available():
            if self.gate is None:
                async with self.engine.begin() as connection:
                    yield connection
                return
            async with self.gate.hold(), self.engine.begin() as connection:
                await _begin_immediate(connection)
                yield connection

    @asynccontextmanager
    async def read_connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only: never waits for the write gate."""
        async with self._available(), self._read_slot(), self.engine.connect() as connection:
            yield connection

    async def read(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> list[Mapping[str, Any]]:
        """The rows of a hot, read-only Core SELECT (a module constant) as mappings.

        On SQLite the query runs in one hop (see ``_SqliteRead``; no statement events or
        echo on that path); elsewhere through the usual connection.
        """
        if self.is_postgres:
            async with self.connect() as conn:
                return [row._mapping for row in await conn.execute(statement, params)]
        read = self._reads.get(statement)
        if read is None:
            read = self._reads[statement] = _SqliteRead(statement, self.engine.dialect)
        values = read.parameters(params)
        async with self._read_slot(), self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            rows = await raw.driver_connection.execute_fetchall(read.sql, values)  # type: ignore[union-attr]
        return [read.mapping(row) for row in rows]

    def on_dispose(self, close: Callable[[], Awaitable[None]]) -> None:
        """``close()`` runs at ``dispose()`` (a helper with a connection of its own)."""
        self._closers.append(close)

    async def dispose(self) -> None:
        """Close the pooled connections (and their threads): call it before the loop ends."""
        for close in self._closers:
            await close()
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({redact(self.url)!r})"
