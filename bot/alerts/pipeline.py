"""The ingest pipeline as every ingesting command builds it: alerts planned on the way.

`cryptowire ingest` and `cryptowire poll --once` store articles like the running bot does,
so they also hand each newly published article to the alert planner: its deliveries wait in
the outbox and a running `cryptowire run` (any process sharing the database) sends them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.alerts.planner import AlertPlanner
from bot.config import Settings
from bot.errors import Unavailable
from bot.ingest.pipeline import IngestPipeline
from bot.wiring_broadcast import attach_broadcast

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


async def until_stored(
    work: Callable[[], Awaitable[T]],
    keep: set[asyncio.Task[Any]],
    *,
    first_s: float = 0.25,
    most_s: float = 2.0,
) -> T:
    """Run ``work`` (planning an article's alerts) again while the database is away.

    The article is already stored, so giving up would lose its alerts for good; enqueueing
    is idempotent (one row per chat and story), so a retry cannot double them. The retries
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


def plain_pipeline(settings: Settings, storage: Any) -> IngestPipeline:
    """Parse, enrich, store and group into stories; nothing else listens yet."""
    return IngestPipeline(
        storage.archive,
        max_bytes=settings.ingest.max_file_bytes,
        story_window=timedelta(hours=settings.ingest.story_window_hours),
        story_method=settings.stories.method,
    )


async def alerting_pipeline(settings: Settings, storage: Any) -> IngestPipeline:
    """The pipeline with an alert planner (subscriptions loaded from storage) listening."""
    pipeline = plain_pipeline(settings, storage)
    planner = await AlertPlanner.load(storage.chats, storage.outbox, utcnow)
    # Breaking broadcasts (sticky articles) and edits of sent messages, before the planner.
    attach_broadcast(settings, storage, pipeline, planner, utcnow)
    pipeline.add_listener(planner)
    return pipeline
