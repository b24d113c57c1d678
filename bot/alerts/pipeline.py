"""The ingest pipeline as every ingesting command builds it: alerts planned on the way.

`cryptowire ingest` and `cryptowire poll --once` store articles like the running bot does,
so they also hand each newly published article to the alert planner: its deliveries wait in
the outbox and a running `cryptowire run` (any process sharing the database) sends them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.alerts.planner import AlertPlanner
from bot.config import Settings
from bot.ingest.pipeline import IngestPipeline
from bot.wiring_broadcast import attach_broadcast

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


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
