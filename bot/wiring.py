"""The core's parts between storage and adapters: pipeline, planner, commands, sources.

Separate from ``bot/app.py`` (lifecycle) so each file keeps one job.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.models import IncomingCommand, Reply
from bot.ports import CoreServices


async def build_core(
    settings: Settings,
    storage: Any,
    *,
    inbox: Path | None,
    on_enqueued: Callable[[], None],
) -> tuple[CoreServices, Any, Any, list[Any]]:
    """Return (core services for adapters, ingest pipeline, sources, other stoppables)."""

    async def handle(command: IncomingCommand) -> Reply:
        return Reply("Commands are not available in this build yet.", error=True)

    async def known_tags(prefix: str) -> list[str]:
        return []

    return CoreServices(handle, known_tags), None, None, []
