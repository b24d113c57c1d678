"""Point reads of the command path on SQLite: concurrent ones run together in one hop.

Each command from Telegram reads its chat's row three times (the language of the
adapter's own words, the language of the answer, the chat itself) and, for
`/subscribe`, the chat's subscriptions. Through ``Database.read`` each read was two hops
between the event loop and a pooled aiosqlite connection's thread (the query, then the
pool's rollback on return): with 1,000 users writing at once, most of the bot's CPU left
after decision 033 went to those hand-offs (the event loop waking a thread and waiting
for the GIL back), not to SQLite.

Here reads queued while a group runs are run together: one hop to this reader's own
thread and pysqlite connection, each statement on its own (autocommit: every read sees
everything committed before it started, as through the pool). Only small reads by key
come here; searches and lists keep the pool, whose connections run side by side.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select

from storage.database import Database, _SqliteRead
from storage.sqlite_thread import ThreadConnection

MAX_GROUP = 500  # reads per hop
Pending = tuple[str, tuple[Any, ...], asyncio.Future[list[Sequence[Any]]]]


class _Group:
    def __init__(self) -> None:
        self.pending: list[Pending] = []
        self.runner: asyncio.Task[None] | None = None


class GroupedReader:
    """``await reader.read(statement, params)``: rows as mappings, like ``Database.read``."""

    def __init__(self, db: Database) -> None:
        self.dialect = db.engine.dialect
        self._compiled: dict[Select[Any], _SqliteRead] = {}
        self._groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = (
            weakref.WeakKeyDictionary()
        )
        self._thread = ThreadConnection(db, "cw-sqlite-reads")

    async def read(self, statement: Select[Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = _SqliteRead(statement, self.dialect)
        loop = asyncio.get_running_loop()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group()
        future: asyncio.Future[list[Sequence[Any]]] = loop.create_future()
        group.pending.append((compiled.sql, compiled.parameters(params), future))
        if group.runner is None or group.runner.done():
            group.runner = loop.create_task(self._run(group), name="sqlite point reads")
        rows = await future
        return [compiled.mapping(row) for row in rows]

    async def _run(self, group: _Group) -> None:
        while group.pending:
            batch, group.pending = group.pending[:MAX_GROUP], group.pending[MAX_GROUP:]
            try:
                outcomes = await self._thread.run(self._query, batch)
            except BaseException as exc:  # the connection itself failed: every read did
                outcomes = [(False, exc)] * len(batch)
            for (_sql, _values, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():  # the caller was cancelled
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _query(self, batch: list[Pending]) -> list[tuple[bool, Any]]:
        """In the reader's thread: each read on its own."""
        raw = self._thread.raw()
        outcomes: list[tuple[bool, Any]] = []
        for sql, values, _future in batch:
            try:
                outcomes.append((True, raw.execute(sql, values).fetchall()))
            except Exception as exc:
                outcomes.append((False, exc))
        return outcomes
