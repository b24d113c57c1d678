"""The outbox as the core sees it: claimed deliveries and the repository protocol.

``storage/outbox.py`` implements ``Outbox``; the dispatcher
(``bot/delivery/dispatcher.py``) only knows these shapes, so it runs unchanged on SQLite,
PostgreSQL or an in-memory test double.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.models import Article, ChatRef, ChatSettings, DeliveryKind, NewDelivery, Story


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """One outbox row a worker owns until it records the result, with what it needs to send."""

    id: int
    kind: DeliveryKind
    chat: ChatSettings
    to: ChatRef  # the chat, or the forum topic the row was routed to
    due_at: datetime
    attempts: int  # failed attempts so far (RETRY_AFTER and crashes do not count)
    article: Article | None = None
    story: Story | None = None
    subscription_id: int | None = None
    payload: dict[str, object] = field(default_factory=dict)

    @property
    def extra_sources(self) -> int:
        """How many other sources reported the story ("+N sources")."""
        if self.story is None:
            return 0
        sources = len(self.story.source_keys) or self.story.article_count
        return max(0, sources - 1)


@dataclass(frozen=True, slots=True)
class SentRecord:
    """One successful send to record: its outbox rows and the platform message id."""

    ids: list[int]
    message_id: str
    has_image: bool = False
    rendered_hash: str | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A platform message we sent for a story; the broadcast issue edits these in place."""

    id: int
    delivery_id: int | None
    chat_db_id: int
    to: ChatRef
    story_id: int | None
    article_id: int | None
    platform: str
    message_id: str
    has_image: bool
    sent_at: datetime
    edited_at: datetime | None = None
    kind: DeliveryKind | None = None  # a digest message covers several stories


@dataclass(frozen=True, slots=True)
class OutboxDepth:
    """Backlog figures for metrics and health checks."""

    pending: int
    due: int
    sending: int
    oldest_due_age_s: float | None


class Outbox(Protocol):
    """The persistent delivery queue; every method is one transaction."""

    async def enqueue_many(self, deliveries: Sequence[NewDelivery]) -> int:
        """Insert the rows whose idempotency key is new; return how many were inserted."""

    async def claim_due(
        self,
        worker: str,
        *,
        now: datetime,
        limit: int,
        platforms: Sequence[str] | None = None,
        chat_gap: timedelta | None = None,
    ) -> list[ClaimedDelivery]:
        """Take due rows, breaking first, then alerts, then digests, oldest due first.

        ``chat_gap``: skip chats with a row in flight or sent less than this long ago
        (several workers share the per-chat limit)."""

    async def mark_sent(
        self,
        ids: int | Sequence[int],
        message_id: str,
        *,
        now: datetime,
        has_image: bool = False,
        rendered_hash: str | None = None,
    ) -> None: ...

    async def mark_sent_many(self, records: Sequence[SentRecord], *, now: datetime) -> None:
        """Several sends in one transaction."""

    async def mark_edited(self, sent_message_id: int, *, now: datetime) -> None: ...

    async def mark_edit_sent(self, ids: int | Sequence[int], *, now: datetime) -> None:
        """Edit rows done (no new sent message); their messages get ``edited_at``."""

    async def replace_story_edits(self, story_id: int, edits: Sequence[NewDelivery]) -> int:
        """Cancel the story's pending edits, enqueue these; return how many were new."""

    async def retry_at(
        self,
        ids: int | Sequence[int],
        due_at: datetime,
        error: str | None = None,
        *,
        failed_attempt: bool = True,
    ) -> None: ...

    async def mark_failed(self, ids: int | Sequence[int], reason: str, *, now: datetime) -> None:
        """Give up on the rows, keeping the reason."""

    async def chat_gone(self, chat_id: int, reason: str, *, now: datetime) -> int:
        """Deactivate the chat and its subscriptions; cancel its unsent rows; return how many."""

    async def heartbeat(self, worker: str, *, now: datetime, role: str = "deliver") -> None:
        """``worker`` is alive; its claims are kept while it says so."""

    async def release_stale(self, older_than: timedelta, *, now: datetime) -> int:
        """Claimed rows of workers silent for ``older_than`` go back to the queue (crash)."""

    async def claimants(self) -> list[str]: ...

    async def release_worker(self, worker: str) -> int:
        """Rows claimed by a worker known to be dead go back at once."""

    async def release_claims(self, worker: str, *, keep: Collection[int]) -> int:
        """Rows ``worker`` claimed, except ``keep``, go back to the queue (its lease stays)."""

    async def next_due_at(self, platforms: Sequence[str] | None = None) -> datetime | None: ...

    async def depth(self, *, now: datetime) -> OutboxDepth: ...

    async def sent_messages_for_story(self, story_id: int) -> list[SentMessage]: ...


class GroupCommit:
    """Records successful sends, batching those that finish while a write is in progress.

    Each caller waits until its own send is stored, so a send slot is only freed once its
    row says "sent": a crash still repeats at most the sends in flight.
    """

    def __init__(self, outbox: Outbox, now: Callable[[], datetime]) -> None:
        self.outbox = outbox
        self.now = now
        self._waiting: list[tuple[SentRecord, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.writes = 0

    async def record(self, record: SentRecord) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((record, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self.outbox.mark_sent_many([r for r, _ in batch], now=self.now())
                self.writes += 1
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
