"""The core's parts between storage and adapters: pipeline, planner, commands, sources.

Separate from ``bot/app.py`` (lifecycle) so each file keeps one job. Everything is built
from the storage's repositories and the settings; nothing here starts a task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.pipeline import plain_pipeline, utcnow
from bot.alerts.planner import AlertPlanner
from bot.alerts.retry import until_stored
from bot.cli.demo import example_files, recent_dates
from bot.commands.handler import CommandHandler
from bot.commands.rate_limit import CommandRateLimit
from bot.config import Settings
from bot.delivery.templating.book import TemplateBook
from bot.ingest.parse import RejectedDocument, SourceHint, parse_document
from bot.ingest.pipeline import IngestPipeline
from bot.models import ChatRef
from bot.ops.housekeeping import Housekeeper
from bot.ops.metrics import Metrics
from bot.ports import CoreServices
from bot.sources.scheduler import SourceScheduler
from bot.wiring_broadcast import admin_handler, attach_broadcast

log = logging.getLogger("cryptowire.app")
EXAMPLES = SourceHint(key="cryptowire-examples", name="Cryptowire Examples")
INBOX_NAME = "inbox"


@dataclass
class Core:
    """What ``build_core`` made: services for adapters and the parts the app starts/stops."""

    services: CoreServices
    pipeline: IngestPipeline
    planner: AlertPlanner
    sources: SourceScheduler
    metrics: Metrics
    housekeeper: Housekeeper | None = None  # prunes finished deliveries (the leader runs it)
    templates: TemplateBook | None = None  # chat templates and the admin's defaults
    broadcast: Any = None  # BroadcastParts: the console's composer posts through it


def template_book(settings: Settings) -> TemplateBook:
    """``[templates]`` and each ``[[broadcast]] template``, checked (one line when bad)."""
    targets = [(b.platform, b.chat, b.template or "") for b in settings.broadcast]
    return TemplateBook(settings.templates.model_dump(), targets)


async def build_core(
    settings: Settings,
    storage: Any,
    *,
    inbox: Path | None,
    on_enqueued: Callable[[], None],
    index_subscriptions: bool = True,
) -> Core:
    """Pipeline -> planner (listener) -> dispatcher wake-up; command handler; sources."""
    pipeline = plain_pipeline(settings, storage)
    if index_subscriptions:
        planner = await AlertPlanner.load(storage.chats, storage.outbox, utcnow)
    else:  # a delivery-only worker (--role deliver) never matches: nothing to load
        planner = AlertPlanner(storage.chats, storage.outbox, SubscriptionIndex(), utcnow)

    broadcast = attach_broadcast(settings, storage, pipeline, planner, utcnow, on_enqueued)

    planning: set[Any] = set()  # plans waiting for the database (until_stored)

    async def plan_and_wake(outcome: Any) -> None:
        if await until_stored(lambda: planner(outcome), planning):
            on_enqueued()

    pipeline.add_listener(plan_and_wake)
    metrics = Metrics()
    pipeline.add_listener(metrics.on_ingest)
    templates = template_book(settings)
    limits = settings.commands
    handler = CommandHandler(
        storage.archive,
        storage.chats,
        planner.index,
        utcnow,
        templates=templates,
        rate_limit=CommandRateLimit(limits.per_minute, limits.burst) if limits.per_minute else None,
        app_url=f"{settings.web.public_url.rstrip('/')}/miniapp"
        if settings.web.public_url
        else None,
    )
    handle = admin_handler(settings, storage, pipeline, broadcast, handler.handle, utcnow)

    async def chat_gone(ref: ChatRef, reason: str) -> None:
        """A command's reply found the chat gone: stop its alerts, as a failed send does."""
        chat = await storage.chats.find(ref)
        if chat is not None and chat.active:
            await storage.chats.deactivate(chat.id, reason)
            await storage.outbox.chat_gone(chat.id, reason, now=utcnow())

    services = CoreServices(
        handle,
        storage.archive.known_tags,
        handler.subscribed_tags,
        chat_gone=chat_gone,
        reply_language=handler.reply_language,
    )
    sources = SourceScheduler(settings, pipeline, storage.sources, metrics=metrics)
    if inbox is not None:
        sources.add_folder(INBOX_NAME, inbox, interval_s=1.0)
    retention = getattr(storage, "retention", None)  # a storage without it keeps everything
    keeper = (
        Housekeeper(retention, settings.retention, utcnow, sync=planner.sync.sync)
        if retention
        else None
    )
    return Core(services, pipeline, planner, sources, metrics, keeper, templates, broadcast)


async def seed_examples(pipeline: IngestPipeline) -> int:
    """Ingest the shipped example articles (the demo's archive); returns how many stored.

    Their stated dates are moved together so the newest is an hour old: `/search ...
    since:24h` and `/latest` then show what a live archive would (spacing kept, so the
    same stories form)."""
    articles = []
    for item in example_files():
        try:
            articles.append(
                (item.name, parse_document(item.read_bytes(), origin=item.name, source=EXAMPLES))
            )
        except RejectedDocument as exc:
            log.warning("example %s: %s", item.name, exc)
    stored = 0
    shifted = recent_dates([a for _, a in articles], utcnow())
    for (name, _), article in zip(articles, shifted, strict=True):
        outcome = await pipeline.ingest_article(article, origin=f"example:{name}")
        if outcome.status in ("new", "updated"):
            stored += 1
        else:
            log.warning("example %s: %s", name, outcome.error or outcome.status)
    return stored
