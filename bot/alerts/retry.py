"""Work that must not be lost to a database outage: retried until the database answers.

Ingest listeners run after their article is committed: the alert plan, a breaking post
to the broadcast targets, the edits of messages already sent for a changed story. If the
database goes away in between, giving up would lose that work for good, and the source
will not send the article again. Each of them only enqueues outbox rows with idempotency
keys (one row per chat and story, one edit per message and revision), so running it
again after a partial success cannot double anything (decisions 009 and 012).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.errors import Unavailable

T = TypeVar("T")


async def until_stored(
    work: Callable[[], Awaitable[T]],
    keep: set[asyncio.Task[Any]],
    *,
    first_s: float = 0.25,
    most_s: float = 2.0,
) -> T:
    """Run ``work`` (idempotent enqueueing) again while the database is away. The retries
    run in a task kept in ``keep`` and shielded from the caller's cancellation: sources
    paused because the database went away do not drop a plan half made.
    """

    async def attempts() -> T:
        delay = first_s
        while True:
            try:
                return await work()
            except Unavailable:
                await asyncio.sleep(delay)
                delay = min(most_s, delay * 2)

    def done(task: asyncio.Task[T]) -> None:
        keep.discard(task)
        if not task.cancelled():
            task.exception()  # seen: a caller cancelled meanwhile cannot re-raise it

    task = asyncio.ensure_future(attempts())
    keep.add(task)
    task.add_done_callback(done)
    return await asyncio.shield(task)
