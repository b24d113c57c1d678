"""Where a live document (or feed) is parsed: never on the event loop, big ones in a process.

Small documents (almost all: articles are a few KiB) parse in a thread. A thread is not
enough for big ones: a regex pass over 2 MiB is one C call that holds the GIL for a
fifth of a second, and a hostile 2 MiB file stalled the loop (every command, every send)
for over a second. Documents from ``PROCESS_FROM`` bytes up therefore parse in one
worker process, under a time limit (the worker is killed and the document rejected) and
an address-space limit. The worker is started on the first big document; where processes
cannot run, big documents parse in a thread too. Feed bodies go the same way
(``run``). Bulk loads (the CLI) have their own pool in ``prefetch``.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any, TypeVar

from bot.ingest.errors import RejectedDocument
from bot.ingest.parse import SourceHint, parse_document
from bot.models import Article

log = logging.getLogger("cryptowire.ingest")
T = TypeVar("T")

PROCESS_FROM = 128 * 1024  # bytes; below this a parse holds the GIL for under ~40 ms
TIMEOUT_S = 10.0  # a 2 MiB document parses in under 1 s of CPU
MEMORY_BYTES = 2 * 1024**3  # the worker's address space (the interpreter and numpy included)
STARTUP_S = 60.0  # a worker that cannot import in this long is not coming


def _ready() -> bool:
    """Answered once the worker has imported everything: it can parse."""
    return True


class LimitExceeded(Exception):
    """The worker process ran out of time or memory on an input; the text says which."""


def _limit_memory(limit: int) -> None:
    """Worker initializer: an allocation past ``limit`` raises MemoryError in the worker
    (the document is rejected) instead of growing until the machine swaps."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not Linux, or a lower hard limit
        pass


class ParseWorker:
    """``parse_document`` off the event loop: a thread, or a worker process when big."""

    def __init__(
        self,
        *,
        process_from: int = PROCESS_FROM,
        timeout_s: float = TIMEOUT_S,
        memory_bytes: int = MEMORY_BYTES,
    ) -> None:
        self.process_from = process_from
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self._pool: ProcessPoolExecutor | None = None
        self._no_processes = False

    async def parse(
        self, raw: bytes, *, origin: str, source: SourceHint | None, max_bytes: int
    ) -> Article:
        """The article, or ``RejectedDocument`` (also when the limits were exceeded)."""
        try:
            return await self.run(
                parse_document,
                raw,
                size=len(raw),
                origin=origin,
                source=source,
                max_bytes=max_bytes,
            )
        except LimitExceeded as exc:
            raise RejectedDocument(f"document {exc}; not read") from None

    async def run(self, func: Callable[..., T], *args: Any, size: int, **kwargs: Any) -> T:
        """``func(*args, **kwargs)`` in a thread, or in the worker process when ``size``
        (bytes of input) reaches ``process_from``; ``LimitExceeded`` when the worker ran
        out of time or memory. ``func`` must be importable and its values picklable."""
        pool = await self._worker() if size >= self.process_from else None
        if pool is None:
            return await asyncio.to_thread(func, *args, **kwargs)
        future = pool.submit(func, *args, **kwargs)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except TimeoutError:
            self._kill(f"{getattr(func, '__name__', func)}: over {self.timeout_s:g} s")
            raise LimitExceeded(f"took over {self.timeout_s:g} s to read") from None
        except BrokenExecutor:  # the worker died on this input (killed, out of memory)
            self._kill(f"{getattr(func, '__name__', func)}: the parse worker died")
            raise LimitExceeded("could not be read within the memory limit") from None

    async def _worker(self) -> ProcessPoolExecutor | None:
        """The worker, started (and seen answering) on first use; None where processes
        cannot run (a sandbox, a ``__main__`` that spawn cannot import)."""
        if self._pool is not None or self._no_processes:
            return self._pool
        try:
            pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_memory,
                initargs=(self.memory_bytes,),
            )
            await asyncio.wait_for(asyncio.wrap_future(pool.submit(_ready)), STARTUP_S)
        except Exception as exc:  # BrokenExecutor, OSError, TimeoutError...
            log.warning("no parse worker process (%s): big documents parse in a thread", exc)
            self._no_processes = True
            return None
        self._pool = pool
        return pool

    def _kill(self, why: str) -> None:
        """Stop the worker for good (a stuck parse cannot be cancelled); the next big
        document starts a new one."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        log.warning("%s; the parse worker is restarted", why)
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
