"""What a command needs: the ports it reads and writes, and the context of one call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.alerts.schedule_rules import zone
from bot.models import (
    Article,
    ChatKind,
    ChatRef,
    ChatSettings,
    IncomingCommand,
    Reply,
    Story,
    Subscription,
    SubscriptionFilter,
)


class ArchiveReader(Protocol):
    """The reads of ``bot.ports.Archive`` that commands use."""

    async def latest(self, tag: str | None = None, limit: int = 10) -> list[Article]: ...

    async def search(self, query: str, limit: int = 10) -> list[Article]: ...

    async def get_article(self, article_id: int) -> Article | None: ...

    async def get_story(self, story_id: int) -> Story | None: ...

    async def story_articles(self, story_id: int) -> list[Article]: ...

    async def known_tags(self, prefix: str = "", limit: int = 25) -> list[str]: ...


class ChatStore(Protocol):
    """Chats, subscriptions and routes (``storage.chats.SqlChats``)."""

    async def get_or_create(
        self,
        ref: ChatRef,
        *,
        kind: ChatKind = ChatKind.PRIVATE,
        title: str | None = None,
        language_hint: str | None = None,
    ) -> ChatSettings: ...

    async def get(self, chat_id: int) -> ChatSettings | None: ...

    async def find(self, ref: ChatRef) -> ChatSettings | None: ...

    async def get_many(self, chat_ids: Iterable[int]) -> dict[int, ChatSettings]: ...

    async def update_settings(self, chat_id: int, **changes: Any) -> ChatSettings: ...

    async def reactivate(self, chat_id: int) -> list[int]: ...

    async def reschedule_held(self, chat_id: int, due_at: datetime) -> int: ...

    async def add_subscription(
        self,
        chat_id: int,
        flt: SubscriptionFilter,
        *,
        created_by: str | None = None,
        mention: str | None = None,
    ) -> Subscription: ...

    async def list_subscriptions(self, chat_id: int) -> list[Subscription]: ...

    async def count_subscriptions(self, chat_id: int) -> int: ...

    async def remove_subscription(self, chat_id: int, subscription_id: int) -> bool: ...

    async def remove_subscriptions_by_tag(self, chat_id: int, tag: str) -> list[Subscription]: ...

    async def remove_all_subscriptions(self, chat_id: int) -> list[int]: ...

    async def set_route(self, chat_id: int, tag: str, thread_id: str) -> None: ...

    async def remove_routes(
        self, chat_id: int, *, tag: str | None = None, thread_id: str | None = None
    ) -> int: ...

    async def routes(self, chat_ids: Iterable[int]) -> dict[int, dict[str, str]]: ...

    async def chats_with_story(self, story_id: int, chat_ids: Iterable[int]) -> set[int]: ...

    def iter_active_subscriptions(
        self, batch_size: int = 5000
    ) -> AsyncIterator[list[tuple[int, int, SubscriptionFilter]]]: ...


@dataclass
class Context:
    """One command call: who, where, the parsed arguments, the chat and the moment."""

    cmd: IncomingCommand
    name: str
    args: list[str]
    rest: str
    chat: ChatSettings
    now: datetime
    notes: list[str] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.chat.timezone)

    def reply(self, text: str, articles: tuple[Article, ...] = (), **extra: Any) -> Reply:
        """A reply with any notes gathered on the way (e.g. "welcome back") in front."""
        return Reply("\n".join([*self.notes, text]), articles=articles, **extra)
