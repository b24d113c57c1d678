"""Wiring of breaking news into the core: the broadcaster, story edits and admin commands.

Kept apart from ``bot/wiring.py`` so that file only gains two calls. Order matters: the
broadcaster must hear about an article before the alert planner (see ``bot/alerts/breaking.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.alerts.breaking import Broadcaster
from bot.alerts.retry import until_stored
from bot.alerts.story_updates import StoryUpdates
from bot.commands.admin import AdminCommands
from bot.config import Settings
from bot.models import IncomingCommand, Reply


@dataclass
class BroadcastParts:
    broadcaster: Broadcaster
    updates: StoryUpdates


def admin_ids(settings: Settings) -> dict[str, list[str]]:
    """Configured bot admins per platform (user ids as the adapters report them)."""
    return {
        "telegram": [str(i) for i in settings.telegram.admins],
        "discord": [str(i) for i in settings.discord.admins],
    }


def attach_broadcast(
    settings: Settings,
    storage: Any,
    pipeline: Any,
    planner: Any,
    clock: Callable[[], datetime],
    on_enqueued: Callable[[], None] | None = None,
) -> BroadcastParts:
    """Create the broadcaster (listener, before the planner's) and the story-edit listener.

    Call before the planner's listener is added; ``planner.breaking_weight`` is set here.
    """
    weight = settings.delivery.breaking_sticky_weight
    planner.breaking_weight = weight
    broadcaster = Broadcaster(
        settings.broadcast,
        storage.chats,
        storage.outbox,
        clock,
        planner=planner,
        breaking_weight=weight,
        on_enqueued=on_enqueued,
    )
    updates = StoryUpdates(storage.outbox, storage.archive, clock, on_enqueued=on_enqueued)
    retrying: set[Any] = set()

    async def edit_sent_messages(outcome: Any) -> int:
        """Story edits outlast a database outage (``bot/alerts/retry.py``)."""
        return await until_stored(lambda: updates(outcome), retrying)

    pipeline.add_listener(broadcaster.on_ingest)  # retries its own posts
    pipeline.add_listener(edit_sent_messages)
    return BroadcastParts(broadcaster, updates)


def admin_handler(
    settings: Settings,
    storage: Any,
    pipeline: Any,
    parts: BroadcastParts,
    inner: Callable[[IncomingCommand], Awaitable[Reply]],
    clock: Callable[[], datetime],
) -> Callable[[IncomingCommand], Awaitable[Reply]]:
    """The command entry point adapters get: admin commands first, then ``inner``."""
    admin = AdminCommands(
        inner,
        broadcaster=parts.broadcaster,
        pipeline=pipeline,
        archive=storage.archive,
        audit=storage.audit,
        clock=clock,
        admins=admin_ids(settings),
        breaking_weight=settings.delivery.breaking_sticky_weight,
    )
    return admin.handle
