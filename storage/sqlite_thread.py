"""One pysqlite connection of a SQLite file, used only in a thread of its own.

The grouped command reads (``sqlite_reads.py``) and writes (``sqlite_commands.py``) each
make one hop per group to such a thread instead of two per statement through the pool.
The connection is in autocommit mode: readers see everything committed before each
statement, writers BEGIN themselves. It opens on first use and is closed with the
database (``Database.on_dispose``); used again after that, it reopens.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.pool import NullPool

from storage.database import Database, _sqlite_pragmas

T = TypeVar("T")


class ThreadConnection:
    """``await conn.run(func, *args)``: ``func`` runs in the thread, ``conn.raw()`` there."""

    def __init__(self, db: Database, thread_name: str) -> None:
        self._engine = create_engine(db.url.set(drivername="sqlite+pysqlite"), poolclass=NullPool)
        event.listen(self._engine, "connect", _sqlite_pragmas)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self._connection: Any = None  # the pool's proxy; used only in the executor's thread
        db.on_dispose(self.close)

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    def raw(self) -> sqlite3.Connection:
        """The connection (call in the thread only)."""
        if self._connection is None:
            self._connection = self._engine.raw_connection()
            self._connection.dbapi_connection.isolation_level = None  # autocommit
        return self._connection.dbapi_connection  # type: ignore[no-any-return]

    def _close_in_thread(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        """Close the connection (in its thread); it reopens if used again."""
        await self.run(self._close_in_thread)
