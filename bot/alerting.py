"""From a newly published article to outbox rows: match, one per chat and story, schedule, route.

``AlertPlanner`` is an ingest listener. For an article that just became visible it asks
the index which chats want it (one entry per chat however many subscriptions match),
drops chats that already have a delivery of any kind for the story (one alert per story:
a later article of the story sends nothing new), decides per chat with
``schedule_rules`` (muted: dropped; quiet hours or digest mode: held), applies forum
topic routes, and enqueues everything in bulk. ``IndexSync`` keeps the in-memory index
equal to the database, also when other processes change subscriptions (PostgreSQL).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.matching import SubscriptionIndex
from bot.models import Article, DeliveryKind, NewDelivery, SubscriptionFilter
from bot.schedule_rules import plan_delivery

log = logging.getLogger("cryptowire.alerting")
ENQUEUE_BATCH = 20_000


class Outbox(Protocol):
    async def enqueue_many(self, deliveries: Sequence[NewDelivery]) -> int: ...


class PlanningStore(Protocol):
    """The reads of ``storage.chats.SqlChats`` the planner and the sync use."""

    async def planning_data(
        self, chat_ids: Sequence[int], subscription_ids: Sequence[int], tags: Sequence[str]
    ) -> Any: ...

    async def chats_with_story(self, story_id: int, chat_ids: Iterable[int]) -> set[int]: ...

    async def last_change_id(self) -> int: ...

    async def changes_since(self, after: int, limit: int = 10_000) -> list[Any]: ...

    def iter_active_subscriptions(
        self, batch_size: int = 5000
    ) -> AsyncIterator[list[tuple[int, int, SubscriptionFilter]]]: ...


class IndexSync:
    """Loads the index from storage once, then replays the subscription change log."""

    def __init__(self, chats: PlanningStore, index: SubscriptionIndex) -> None:
        self.chats = chats
        self.index = index
        self.cursor = 0

    async def load(self) -> int:
        """Index every active subscription; changes made meanwhile are replayed after."""
        self.cursor = await self.chats.last_change_id()
        async for batch in self.chats.iter_active_subscriptions():
            self.index.add_many(batch)
        await self.sync()
        return len(self.index)

    async def sync(self) -> int:
        """Apply log entries newer than the cursor (one indexed query when nothing changed)."""
        applied = 0
        while True:
            changes = await self.chats.changes_since(self.cursor)
            for change in changes:
                if change.op == "remove":
                    self.index.remove(change.subscription_id)
                elif change.filter is not None:
                    self.index.add(change.subscription_id, change.chat_id, change.filter)
                self.cursor = change.id
            applied += len(changes)
            if len(changes) < 10_000:
                return applied


class AlertPlanner:
    """Ingest listener: ``await planner(outcome)`` enqueues the alerts an article causes."""

    def __init__(
        self,
        chats: PlanningStore,
        outbox: Outbox,
        index: SubscriptionIndex,
        clock: Callable[[], datetime],
        *,
        sync: IndexSync | None = None,
    ) -> None:
        self.chats = chats
        self.outbox = outbox
        self.index = index
        self.clock = clock
        self.sync = sync if sync is not None else IndexSync(chats, index)

    async def __call__(self, outcome: Any) -> int:
        """Plan and enqueue; returns how many deliveries were newly enqueued."""
        article: Article | None = getattr(outcome, "article", None)
        if not getattr(outcome, "published_now", False) or article is None:
            return 0
        if article.draft or article.retracted or article.id is None:
            return 0
        await self.sync.sync()
        deliveries = await self.plan(article, story_joined=getattr(outcome, "story_joined", True))
        enqueued = 0
        for start in range(0, len(deliveries), ENQUEUE_BATCH):
            enqueued += await self.outbox.enqueue_many(deliveries[start : start + ENQUEUE_BATCH])
        log.info(
            "article %s (story %s): %d deliveries planned, %d enqueued",
            article.id,
            article.story_id,
            len(deliveries),
            enqueued,
        )
        return enqueued

    async def plan(self, article: Article, *, story_joined: bool = True) -> list[NewDelivery]:
        """The deliveries for one visible article, not yet enqueued."""
        chat_ids, subscription_ids = self.index.match_chat_arrays(article)
        if not len(chat_ids):
            return []
        chats = chat_ids.tolist()
        lowest = dict(zip(chats, subscription_ids.tolist(), strict=True))
        if story_joined and article.story_id is not None:
            already = await self.chats.chats_with_story(article.story_id, chats)
            chats = [c for c in chats if c not in already]
        data = await self.chats.planning_data(chats, [lowest[c] for c in chats], article.tags)
        now = self.clock()
        tags = [t.upper() for t in article.tags]
        made: list[NewDelivery] = []
        for chat_id in chats:
            special = data.settings.get(chat_id)
            if special is None:
                kind, due = DeliveryKind.ALERT, now
            else:
                decision = plan_delivery(special, now)
                if decision is None:
                    continue
                kind, due = decision
            payload: dict[str, object] = {}
            routes = data.routes.get(chat_id)
            if routes:
                thread = next((routes[t] for t in tags if t in routes), None)
                if thread is not None:
                    payload["thread_id"] = thread
            mention = data.mentions.get(lowest[chat_id])
            if mention:
                payload["mention"] = mention
            made.append(
                NewDelivery(
                    chat_id=chat_id,
                    kind=kind,
                    due_at=due,
                    story_id=article.story_id,
                    article_id=article.id,
                    subscription_id=lowest[chat_id],
                    payload=payload,
                )
            )
        return made
