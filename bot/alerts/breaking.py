"""Breaking news: what makes an article breaking, and posting it to every broadcast target.

An article is breaking when an admin posts it (``/breaking``, ``/post``, ``cryptowire
post``) or when its front matter ``stickyWeight`` reaches ``[delivery]
breaking_sticky_weight``. Breaking deliveries have the top priority, ignore quiet hours
and digest mode, and still respect ``/mute`` (a chat that asked for silence gets it).

``Broadcaster`` enqueues the rows for the ``[[broadcast]]`` targets (get-or-create those
chats, optional pin) and, for ``/post`` of an archived article, the matching subscribers
through the ``AlertPlanner``. It is also an ingest listener, registered *before* the
planner, so a target's row (with its pin flag) exists before the planner's subscriber row
with the same idempotency key (chat:story:breaking) could take its place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.alerts.retry import until_stored
from bot.alerts.schedule_rules import is_muted
from bot.config import BroadcastTarget
from bot.i18n import _, _n
from bot.models import (
    Article,
    ChatKind,
    ChatRef,
    ChatSettings,
    DeliveryKind,
    DeliveryResult,
    NewDelivery,
    ResultKind,
)

log = logging.getLogger("cryptowire.broadcast")


def is_breaking(article: Article, weight: int | None) -> bool:
    """Sticky articles at or above the configured weight are breaking automatically."""
    return weight is not None and weight > 0 and article.sticky_weight >= weight


def breaking_delivery(chat: ChatSettings, now: datetime) -> tuple[DeliveryKind, datetime] | None:
    """Breaking news goes out now, through quiet hours and digest mode; muted chats skip it."""
    if not chat.active or is_muted(chat, now):
        return None
    return DeliveryKind.BREAKING, now


class TargetChats(Protocol):
    """The reads/writes of ``storage.chats.SqlChats`` the broadcaster needs."""

    async def find(self, ref: ChatRef) -> ChatSettings | None: ...

    async def get_or_create(
        self, ref: ChatRef, *, kind: ChatKind = ChatKind.PRIVATE, title: str | None = None
    ) -> ChatSettings: ...


class BreakingOutbox(Protocol):
    async def enqueue_many(self, deliveries: Sequence[NewDelivery]) -> int: ...


class SubscriberPlanner(Protocol):
    """``bot.alerts.planner.AlertPlanner.plan`` with the breaking switch."""

    async def plan(
        self, article: Article, *, check_story: bool = True, breaking: bool = False
    ) -> list[NewDelivery]: ...


@dataclass
class PostResult:
    """What one post did, for the admin's reply and the audit log."""

    article: Article
    targets: list[str] = field(default_factory=list)  # rows enqueued ("telegram:-100...")
    already: list[str] = field(default_factory=list)  # targets that had it as breaking
    inactive: list[str] = field(default_factory=list)  # targets the platform refused before
    pinned: list[str] = field(default_factory=list)  # targets asked to pin
    subscribers: int = 0

    def summary(self) -> str:
        """One line: where it goes, in the call's language (English for logs and the CLI)."""
        parts = []
        if self.targets:
            parts.append(_("to {targets}", targets=", ".join(self.targets)))
        if self.subscribers:
            parts.append(
                _n("to {count} subscribed chat", "to {count} subscribed chats", self.subscribers)
            )
        if len(parts) == 2:
            text = _("{first} and {second}", first=parts[0], second=parts[1])
        else:
            text = parts[0] if parts else _("to nobody new")
        if self.pinned:
            text += _("; pinned in {targets}", targets=", ".join(self.pinned))
        if self.already:
            text += _("; already posted in {targets}", targets=", ".join(self.already))
        if self.inactive:
            text += _("; not reachable: {targets}", targets=", ".join(self.inactive))
        return text


@dataclass
class PostRequest:
    """An explicit post waiting for its article to come out of the ingest pipeline."""

    platforms: frozenset[str] | None = None
    pin: bool | None = None
    result: PostResult | None = None


class Broadcaster:
    """Enqueues breaking deliveries: broadcast targets first, then matching subscribers."""

    def __init__(
        self,
        targets: Sequence[BroadcastTarget],
        chats: TargetChats,
        outbox: BreakingOutbox,
        clock: Callable[[], datetime],
        *,
        planner: SubscriberPlanner | None = None,
        breaking_weight: int | None = None,
        on_enqueued: Callable[[], None] | None = None,
    ) -> None:
        self.targets = list(targets)
        self.chats = chats
        self.outbox = outbox
        self.clock = clock
        self.planner = planner
        self.breaking_weight = breaking_weight
        self.on_enqueued = on_enqueued
        self._pending: dict[str, PostRequest] = {}
        self._retrying: set[Any] = set()  # posts waiting for the database (until_stored)

    def platforms(self) -> list[str]:
        return sorted({t.platform for t in self.targets})

    def expect(
        self, origin: str, *, platforms: Collection[str] | None = None, pin: bool | None = None
    ) -> PostRequest:
        """Register an explicit post of the article about to be ingested from ``origin``."""
        request = PostRequest(frozenset(platforms) if platforms else None, pin)
        self._pending[origin] = request
        return request

    def forget(self, origin: str) -> None:
        self._pending.pop(origin, None)

    async def on_ingest(self, outcome: Any) -> int:
        """Ingest listener: an expected post, or a sticky article from a source, goes to
        the targets (the planner, registered after us, handles the subscribers)."""
        article: Article | None = getattr(outcome, "article", None)
        request = self._pending.get(getattr(outcome, "origin", ""))
        if article is None or not getattr(outcome, "published_now", False):
            return 0
        if article.draft or article.retracted or article.id is None:
            return 0
        if request is None and not is_breaking(article, self.breaking_weight):
            return 0
        request = request or PostRequest()
        result = PostResult(article)
        # the article is stored: a database outage now must not lose its post (retry.py)
        await until_stored(lambda: self._targets(article, request, result), self._retrying)
        request.result = result
        log.info("breaking article %s: %s", article.id, result.summary())
        return len(result.targets)

    async def post(
        self,
        article: Article,
        *,
        platforms: Collection[str] | None = None,
        pin: bool | None = None,
    ) -> PostResult:
        """Post an archived, visible article as breaking: targets, then subscribers."""
        request = PostRequest(frozenset(platforms) if platforms else None, pin)
        result = PostResult(article)
        await self._targets(article, request, result)
        if self.planner is not None:
            sync = getattr(self.planner, "sync", None)
            if sync is not None:  # subscriptions changed by other processes
                await sync.sync()
            rows = await self.planner.plan(article, check_story=True, breaking=True)
            result.subscribers = await self.outbox.enqueue_many(rows)
            if result.subscribers and self.on_enqueued is not None:
                self.on_enqueued()
        log.info("article %s posted as breaking: %s", article.id, result.summary())
        return result

    def chosen(self, platforms: frozenset[str] | None) -> list[BroadcastTarget]:
        return [t for t in self.targets if platforms is None or t.platform in platforms]

    async def _targets(self, article: Article, request: PostRequest, result: PostResult) -> None:
        now = self.clock()
        rows: list[tuple[str, bool, NewDelivery]] = []
        for target in self.chosen(request.platforms):
            ref = ChatRef(target.platform, target.chat)
            if str(ref) in result.targets:  # enqueued by an attempt cut short by an outage
                continue
            chat = await self.chats.find(ref)
            if chat is None:
                chat = await self.chats.get_or_create(ref, kind=ChatKind.CHANNEL)
            if not chat.active:
                result.inactive.append(str(ref))
                continue
            pin = target.pin if request.pin is None else request.pin
            payload: dict[str, object] = {"pin": True} if pin else {}
            delivery = NewDelivery(
                chat.id, DeliveryKind.BREAKING, now, article.story_id, article.id, None, payload
            )
            rows.append((str(ref), pin, delivery))
        for name, pin, delivery in rows:  # one by one: the count says which were new
            if await self.outbox.enqueue_many([delivery]):
                result.targets.append(name)
                if pin:
                    result.pinned.append(name)
            else:
                result.already.append(name)
        if result.targets and self.on_enqueued is not None:
            self.on_enqueued()


async def pin_sent(adapter: Any, to: ChatRef, message_id: str) -> bool:
    """Pin a just-sent breaking message; an adapter without ``pin`` says so in the log.

    A failed pin never fails the delivery: the message is out, only the pin is missing.
    """
    pin = getattr(adapter, "pin", None)
    if pin is None:
        log.warning(
            "%s cannot pin messages: breaking message %s in %s stays unpinned",
            getattr(adapter, "name", "adapter"),
            message_id,
            to,
        )
        return False
    try:
        result: DeliveryResult = await pin(to, message_id)
    except Exception:
        log.warning("pinning message %s in %s raised", message_id, to, exc_info=True)
        return False
    if result.kind is not ResultKind.SENT:
        log.warning("could not pin message %s in %s: %s", message_id, to, result.reason)
        return False
    return True
