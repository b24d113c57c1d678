"""One SQLite writer at a time in this process: the write gate.

Why not ``busy_timeout`` alone: SQLite in WAL mode has one writer, and a transaction that
began by reading (pysqlite's deferred BEGIN) and then writes fails at once with "database
is locked" (SQLITE_BUSY_SNAPSHOT) when another connection committed since its read: the
busy handler is never called for it. And hundreds of connections spinning in busy
handlers are served in no order, so a burst can still run past any timeout.

So every write transaction on a SQLite file first takes this gate (an asyncio lock, FIFO
per event loop), and only then opens its transaction with ``BEGIN IMMEDIATE``: inside the
process writers queue without touching SQLite, each write starts on a fresh snapshot and
never has to upgrade a read lock, and ``busy_timeout`` only has to cover other processes
(a `cryptowire ingest` beside `cryptowire run`), which also take the lock up front.
Readers never take the gate (WAL lets them run beside the writer).

The gate is not reentrant: a task that holds it and opens a second write transaction
would wait for itself, so that raises at once instead of hanging.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class NestedWriteError(RuntimeError):
    """A task holding the write gate asked for it again (a nested write transaction)."""


class _LoopGate:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None


class WriteGate:
    """``async with gate.hold(): ...`` (or ``acquire``/``release``): one writer at a time.

    One lock per event loop: a ``Database`` outlives loops (the CLI runs one
    ``asyncio.run`` per command, tests one loop per test) and an asyncio lock binds to one.
    """

    def __init__(self) -> None:
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopGate] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> _LoopGate:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = _LoopGate()
        return gate

    def held_by_me(self) -> bool:
        gate = self._gate()
        return gate.owner is not None and gate.owner is asyncio.current_task()

    async def acquire(self) -> None:
        gate = self._gate()
        task = asyncio.current_task()
        if gate.owner is not None and gate.owner is task:
            raise NestedWriteError("a write transaction inside another one (same task)")
        await gate.lock.acquire()
        gate.owner = task

    def release(self) -> None:
        gate = self._gate()
        gate.owner = None
        gate.lock.release()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    def waiting(self) -> int:
        """Writers queued behind the current one (for tests and metrics)."""
        gate = self._gates.get(asyncio.get_running_loop())
        waiters = getattr(gate.lock, "_waiters", None) if gate else None
        return len(waiters) if waiters else 0


class ReadLimit:
    """At most ``size`` SQLite reads at once in this process (per event loop).

    Each pooled connection is a thread (aiosqlite): 256 commands read at once would run
    256 threads fighting for the GIL, every one of ~10 thread hops per command waiting
    behind the others. A few readers at a time get through sooner."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()

    def slot(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.size)
        return semaphore
