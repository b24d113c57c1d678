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
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.alerts.breaking import breaking_delivery, is_breaking
from bot.alerts.index_bulk import BulkLoad, SubscriptionBatch
from bot.alerts.matching import SubscriptionIndex
from bot.alerts.schedule_rules import plan_delivery
from bot.models import Article, DeliveryKind, NewDelivery, SubscriptionFilter

log = logging.getLogger("cryptowire.alerting")
ENQUEUE_BATCH = 20_000
NO_PAYLOAD: dict[str, object] = {}  # shared by most deliveries of a fan-out; never mutated


class Outbox(Protocol):
    async def enqueue_many(self, deliveries: Sequence[NewDelivery]) -> int: ...


class PlanningStore(Protocol):
    """The reads of ``storage.chats.SqlChats`` the planner and the sync use."""

    async def planning_data(
        self, chat_ids: Sequence[int], subscription_ids: Sequence[int], tags: Sequence[str]
    ) -> Any: ...

    async def chats_with_story(self, story_id: int, chat_ids: Iterable[int]) -> set[int]: ...

    async def last_change_id(self) -> int: ...

    async def pruned_through(self) -> int: ...

    async def changes_since(
        self, after: int, limit: int = 10_000, *, also: Sequence[int] = ()
    ) -> list[Any]: ...

    def iter_active_subscriptions(
        self, batch_size: int = 5000
    ) -> AsyncIterator[list[tuple[int, int, SubscriptionFilter]]]: ...

    def subscription_batches(self, size: int = 50_000) -> AsyncIterator[SubscriptionBatch]: ...


class IndexSync:
    """Loads the index from storage once, then replays the subscription change log.

    Log ids come from a sequence, so on PostgreSQL a transaction can commit an id lower
    than one already read. Ids skipped over are kept as gaps and asked for again on
    each sync for ``gap_seconds`` (a rolled-back transaction leaves a gap forever).
    Replaying is safe in any order across subscriptions: adds of subscriptions no
    longer active carry no filter, and adds/removes are idempotent."""

    def __init__(
        self,
        chats: PlanningStore,
        index: SubscriptionIndex,
        *,
        gap_seconds: float = 120.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chats = chats
        self.index = index
        self.cursor = 0
        self.gap_seconds = gap_seconds
        self.monotonic = monotonic
        self.gaps: dict[int, float] = {}  # change id -> give up after this moment

    async def load(self) -> int:
        """Index every active subscription; changes made meanwhile are replayed after."""
        await self._scan()
        await self.sync()
        return len(self.index)

    async def _scan(self) -> None:
        """Take the cursor, then bring the index to the table's active subscriptions
        (adding what is missing, dropping what is no longer there). Changes committed
        during the scan are above the cursor and replayed by the next sync."""
        self.cursor = await self.chats.last_change_id()
        # Entries just below the cursor may belong to transactions still in flight.
        until = self.monotonic() + self.gap_seconds
        self.gaps = {n: until for n in range(max(1, self.cursor - 199), self.cursor + 1)}
        if not self.index.max_id:  # start-up: columns in bulk (decision 005)
            bulk = BulkLoad(self.index)
            async for columns in self.chats.subscription_batches():
                bulk.add(columns)
            bulk.build()
            return
        stale = set(self.index.subscription_ids())
        async for batch in self.chats.iter_active_subscriptions():
            self.index.add_many(batch)
            if stale:
                stale.difference_update(sid for sid, _chat, _flt in batch)
        for subscription_id in stale:
            self.index.remove(subscription_id)

    async def sync(self) -> int:
        """Apply log entries newer than the cursor, and late ones filling known gaps."""
        applied = 0
        now = self.monotonic()
        self.gaps = {gap: until for gap, until in self.gaps.items() if until > now}
        if not self.gaps and await self.chats.last_change_id() <= self.cursor:
            return 0  # the usual case before a match: one cheap read
        while True:
            changes = await self.chats.changes_since(self.cursor, also=sorted(self.gaps))
            if await self._fell_behind(changes):
                log.warning(
                    "subscription log pruned past this process's position (%d): "
                    "reloading the index",
                    self.cursor,
                )
                await self._scan()
                continue
            for change in changes:
                if change.id > self.cursor:
                    for missing in range(self.cursor + 1, min(change.id, self.cursor + 1001)):
                        self.gaps[missing] = now + self.gap_seconds
                    self.cursor = change.id
                elif self.gaps.pop(change.id, None) is None:
                    continue  # already applied
                self.gaps.pop(change.id, None)
                if change.op == "remove":
                    self.index.remove(change.subscription_id)
                elif change.filter is not None:
                    self.index.add(change.subscription_id, change.chat_id, change.filter)
            applied += len(changes)
            if len(changes) < 10_000:
                return applied

    async def _fell_behind(self, changes: Sequence[Any]) -> bool:
        """Were entries after the cursor pruned before we read them? Pruning deletes a
        prefix of ids, so a first new entry right after the cursor (or none) means
        nothing was missed; otherwise the prune marker says how far it deleted."""
        newer = [change.id for change in changes if change.id > self.cursor]
        if not newer or min(newer) == self.cursor + 1:
            return False
        return await self.chats.pruned_through() > self.cursor


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
        breaking_weight: int | None = None,
    ) -> None:
        self.chats = chats
        self.outbox = outbox
        self.index = index
        self.clock = clock
        self.sync = sync if sync is not None else IndexSync(chats, index)
        # Articles with stickyWeight >= this are breaking (issue 8); None: never automatic.
        self.breaking_weight = breaking_weight

    @classmethod
    async def load(
        cls, chats: PlanningStore, outbox: Outbox, clock: Callable[[], datetime]
    ) -> AlertPlanner:
        """A planner with its index loaded from storage (start-up); share ``planner.index``
        with the ``CommandHandler`` of the same process."""
        index = SubscriptionIndex()
        sync = IndexSync(chats, index)
        count = await sync.load()
        log.info("subscription index loaded: %d active subscriptions", count)
        return cls(chats, outbox, index, clock, sync=sync)

    async def __call__(self, outcome: Any) -> int:
        """Plan and enqueue; returns how many deliveries were newly enqueued."""
        article: Article | None = getattr(outcome, "article", None)
        if not getattr(outcome, "published_now", False) or article is None:
            return 0
        if article.draft or article.retracted or article.id is None:
            return 0
        await self.sync.sync()
        # Only a brand-new article that started a new story cannot have alerts already.
        fresh = getattr(outcome, "status", None) == "new" and not getattr(
            outcome, "story_joined", 1
        )
        deliveries = await self.plan(article, check_story=not fresh)
        enqueued = 0
        for start in range(0, len(deliveries), ENQUEUE_BATCH):
            enqueued += await self.outbox.enqueue_many(deliveries[start : start + ENQUEUE_BATCH])
        log.log(
            logging.INFO if deliveries else logging.DEBUG,
            "article %s (story %s): %d deliveries planned, %d enqueued",
            article.id,
            article.story_id,
            len(deliveries),
            enqueued,
        )
        return enqueued

    async def plan(
        self, article: Article, *, check_story: bool = True, breaking: bool = False
    ) -> list[NewDelivery]:
        """The deliveries for one visible article, not yet enqueued.

        Breaking ones (asked for, or by sticky weight) ignore quiet hours and digest mode
        but not mute (``bot/alerts/breaking.py``)."""
        breaking = breaking or is_breaking(article, self.breaking_weight)
        chat_array, subscription_array = self.index.match_chat_arrays(article)
        if not len(chat_array):
            return []
        chats, subscriptions = chat_array.tolist(), subscription_array.tolist()
        if check_story and article.story_id is not None:
            already = await self.chats.chats_with_story(article.story_id, chats)
            if already:
                kept = [
                    (c, s) for c, s in zip(chats, subscriptions, strict=True) if c not in already
                ]
                chats, subscriptions = [c for c, _ in kept], [s for _, s in kept]
        data = await self.chats.planning_data(chats, subscriptions, article.tags)
        now = self.clock()
        tags = [t.upper() for t in article.tags]
        special, routes, mentions = data.settings, data.routes, data.mentions
        story, article_id = article.story_id, article.id
        alert = DeliveryKind.BREAKING if breaking else DeliveryKind.ALERT
        rule = breaking_delivery if breaking else plan_delivery
        made: list[NewDelivery] = []
        append = made.append
        for chat_id, subscription_id in zip(chats, subscriptions, strict=True):
            kind, due = alert, now
            if special and chat_id in special:
                decision = rule(special[chat_id], now)
                if decision is None:
                    continue  # muted or inactive: dropped
                kind, due = decision
            payload = NO_PAYLOAD
            if (routes and chat_id in routes) or (mentions and subscription_id in mentions):
                payload = self._payload(routes.get(chat_id), mentions.get(subscription_id), tags)
            append(NewDelivery(chat_id, kind, due, story, article_id, subscription_id, payload))
        return made

    @staticmethod
    def _payload(
        routes: dict[str, str] | None, mention: str | None, tags: list[str]
    ) -> dict[str, object]:
        payload: dict[str, object] = {}
        thread = next((routes[t] for t in tags if t in routes), None) if routes else None
        if thread is not None:
            payload["thread_id"] = thread
        if mention:
            payload["mention"] = mention
        return payload
