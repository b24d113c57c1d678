"""The real core as ``bot/wiring.py`` builds it, around one storage, for the broadcast tests:
pipeline -> broadcaster, story edits, planner; admin commands in front of the handler;
a dispatcher on a fake clock (no real waiting on the platforms' pacing)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.planner import AlertPlanner
from bot.commands.handler import CommandHandler
from bot.config import BroadcastTarget, DeliveryConfig, DiscordConfig, Settings, TelegramConfig
from bot.delivery.dispatcher import Dispatcher
from bot.ingest.pipeline import IngestPipeline
from bot.models import Article, Sentiment
from bot.ports import CoreServices
from bot.wiring_broadcast import BroadcastParts, admin_handler, attach_broadcast
from storage.plugin import SqlStorage
from tests.archive_helpers import digest
from tests.fakes.clock import FakeClock

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def news(
    title: str,
    *,
    summary: str,
    source: str = "decrypt",
    at: datetime = AT,
    tags: tuple[str, ...] = ("BTC",),
    sentiment: Sentiment = Sentiment.POSITIVE,
    url: str | None = None,
    sticky: int = 0,
) -> Article:
    article = Article(
        title=title,
        summary=summary,
        body=f"{title}. {summary}",
        source_key=source,
        source_name=source.title(),
        published_at=at,
        tags=tags,
        sentiment=sentiment,
        url=url,
        sticky_weight=sticky,
    )
    return replace(article, content_hash=digest(article))


def revised(article: Article, minutes: int, **changes: Any) -> Article:
    """A newer version of ``article`` (same identity), ``minutes`` after it was published."""
    changed = replace(article, updated_at=article.published_at + timedelta(minutes=minutes))
    changed = replace(changed, **changes)
    raw = f"{digest(changed)}:{changed.retracted}:{minutes}"
    return replace(changed, content_hash=hashlib.sha256(raw.encode()).hexdigest())


ETF = news(
    "Ethereum ETF sees record $1.2B inflows as ether tops $4,000",
    summary="Spot ether funds took in $1.2 billion in one day while ether rose above $4,000.",
    tags=("ETH", "ETF"),
    url="https://example.org/eth-etf",
)
ETF_SECOND_SOURCE = news(
    "Ether tops $4,000 as Ethereum ETF inflows hit record $1.2B",
    summary="Record $1.2 billion inflows into spot ether ETFs pushed ether past $4,000.",
    source="coindesk",
    tags=("ETH",),
    at=AT + timedelta(hours=2),
)
SOLANA = news(
    "Solana network restarts after a five-hour outage",
    summary="Validators restarted Solana after block production halted for five hours.",
    tags=("SOL",),
    sentiment=Sentiment.NEGATIVE,
    at=AT + timedelta(hours=3),
    url="https://example.org/solana-outage",
)


@dataclass
class BroadcastCore:
    """Everything ``build_core`` wires for issue 8, with an injectable clock."""

    storage: SqlStorage
    settings: Settings
    clock: FakeClock
    pipeline: IngestPipeline
    planner: AlertPlanner
    parts: BroadcastParts
    services: CoreServices
    _dispatchers: dict[tuple[int, ...], Dispatcher] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        storage: SqlStorage,
        targets: list[BroadcastTarget],
        *,
        telegram_admins: list[int] | None = None,
        discord_admins: list[int] | None = None,
        sticky_weight: int = 10,
    ) -> BroadcastCore:
        settings = Settings(
            broadcast=targets,
            telegram=TelegramConfig(admins=telegram_admins or []),
            discord=DiscordConfig(admins=discord_admins or []),
            delivery=DeliveryConfig(poll_interval_s=0.01, breaking_sticky_weight=sticky_weight),
        )
        clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
        now = clock.now
        pipeline = IngestPipeline(
            storage.archive, max_bytes=1 << 21, story_window=timedelta(hours=72)
        )
        planner = AlertPlanner(storage.chats, storage.outbox, SubscriptionIndex(), now)
        parts = attach_broadcast(settings, storage, pipeline, planner, now)
        pipeline.add_listener(planner)
        handler = CommandHandler(storage.archive, storage.chats, planner.index, now)
        handle = admin_handler(settings, storage, pipeline, parts, handler.handle, now)
        services = CoreServices(handle, storage.archive.known_tags)
        return cls(storage, settings, clock, pipeline, planner, parts, services)

    def dispatcher(self, *adapters: Any) -> Dispatcher:
        return Dispatcher(
            self.storage.outbox,
            list(adapters),
            self.settings.delivery,
            clock=self.clock,
            on_chat_gone=self.storage.chats.deactivate,
        )

    async def deliver(self, *adapters: Any) -> None:
        """Send everything due (pacing waits pass on the fake clock); one dispatcher per
        set of adapters, so pacing carries over from one call to the next as in a run."""
        key = tuple(id(a) for a in adapters)
        if key not in self._dispatchers:
            self._dispatchers[key] = self.dispatcher(*adapters)
        await self._dispatchers[key].drain(horizon_s=120.0)

    async def ingest(self, article: Article, origin: str = "test") -> Any:
        outcome = await self.pipeline.ingest_article(article, origin=f"{origin}:{article.title}")
        assert outcome.status in ("new", "updated", "draft"), outcome
        return outcome

    async def pending(self) -> int:
        depth = await self.storage.outbox.depth(now=self.clock.now() + timedelta(days=1))
        return depth.pending
