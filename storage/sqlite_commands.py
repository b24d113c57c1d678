"""Command writes on SQLite: raw statements, one thread hop and one commit per group.

A new user's `/subscribe` creates a chat and a subscription. Through SQLAlchemy's ORM
each was a session: about a dozen hops between the event loop and aiosqlite's thread
(begin, get, insert, flush, log, commit), each waiting for a thread to be scheduled,
plus the ORM's unit of work: about 5 ms of CPU per command, and on a busy 2-core machine
1,000 users subscribing at once waited 20-60 s for their answers.

Here each write is a small function of a pysqlite connection (pre-compiled statements,
values through the columns' own types, so rows are what the ORM would have written).
Writes queued while another group is being committed are committed together: the group
takes the process's write gate (``sqlite_gate.py``: other writers still get their turns
between groups), makes one hop to this writer's own thread, begins IMMEDIATE, runs each
write inside its own SAVEPOINT (a failing write rolls back alone and raises to its
caller) and commits once. PostgreSQL keeps the ORM path.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from storage.database import Database
from storage.sqlite_gate import NestedWriteError
from storage.sqlite_thread import ThreadConnection

T = TypeVar("T")
Write = Callable[[sqlite3.Connection], Any]
MAX_GROUP = 500  # writes per commit: bounds how long other writers wait for the gate


class Prepared:
    """A Core statement compiled once for SQLite: its SQL and how to bind its values."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.compiled = compiled
        self.binds = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or ()
        ]

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self.compiled.construct_params(dict(params))
        return tuple(
            process(values[name]) if process else values[name] for name, process in self.binds
        )


class _Group:
    """The writes waiting on one event loop and the task committing them."""

    def __init__(self) -> None:
        self.pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self.flusher: asyncio.Task[None] | None = None


class CommandWriter:
    """``await writer.run(write)``: ``write(connection)`` committed with its neighbours."""

    def __init__(self, db: Database) -> None:
        assert db.gate is not None, "SQLite only"
        self.db = db
        self.dialect = db.engine.dialect
        self._prepared: dict[ClauseElement, Prepared] = {}
        self._groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = (
            weakref.WeakKeyDictionary()
        )
        self._thread = ThreadConnection(db, "cw-sqlite-commands")

    def prepared(self, statement: ClauseElement) -> Prepared:
        """The compiled form of a module-level statement (compiled on first use)."""
        found = self._prepared.get(statement)
        if found is None:
            found = self._prepared[statement] = Prepared(statement, self.dialect)
        return found

    async def run(self, write: Callable[[sqlite3.Connection], T]) -> T:
        assert self.db.gate is not None
        if self.db.gate.held_by_me():  # the group would wait for this very task
            raise NestedWriteError("a command write inside a write transaction (same task)")
        loop = asyncio.get_running_loop()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group()
        future: asyncio.Future[T] = loop.create_future()
        group.pending.append((write, future))
        if group.flusher is None or group.flusher.done():
            group.flusher = loop.create_task(self._flush(group), name="sqlite command writes")
        return await future

    async def _flush(self, group: _Group) -> None:
        assert self.db.gate is not None
        while group.pending:
            async with self.db.gate.hold():  # taken before the batch: writes queued meanwhile join
                batch, group.pending = group.pending[:MAX_GROUP], group.pending[MAX_GROUP:]
                try:
                    outcomes = await self._thread.run(self._commit, batch)
                except BaseException as exc:  # the commit itself failed: every write did
                    outcomes = [(False, exc)] * len(batch)
            for (_write, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():  # the caller was cancelled
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _commit(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> list[tuple[bool, Any]]:
        """In the writer's thread: the batch in one IMMEDIATE transaction."""
        raw = self._thread.raw()
        outcomes: list[tuple[bool, Any]] = []
        raw.execute("BEGIN IMMEDIATE")
        try:
            for write, _future in batch:
                raw.execute("SAVEPOINT command")
                try:
                    outcomes.append((True, write(raw)))
                except Exception as exc:
                    raw.execute("ROLLBACK TO command")
                    outcomes.append((False, exc))
                raw.execute("RELEASE command")
            raw.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        return outcomes
