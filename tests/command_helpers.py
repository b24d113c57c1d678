"""A chat driving the real CommandHandler on real storage, as an adapter would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.alerts.matching import SubscriptionIndex
from bot.commands.handler import CommandHandler
from bot.models import ChatKind, ChatRef, IncomingCommand, Reply
from storage.plugin import SqlStorage

T0 = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """The time commands see; tests move it explicitly."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Bot:
    """One handler plus helpers to speak to it from different chats and users."""

    storage: SqlStorage
    clock: FakeClock = field(default_factory=FakeClock)
    index: SubscriptionIndex = field(default_factory=SubscriptionIndex)
    limit: int = 50
    handler: CommandHandler = field(init=False)

    def __post_init__(self) -> None:
        self.handler = CommandHandler(
            self.storage.archive,  # type: ignore[attr-defined]
            self.storage.chats,
            self.index,
            self.clock,
            bot_name="CryptowireBot",
            max_subscriptions=self.limit,
        )

    async def say(
        self,
        text: str,
        *,
        chat: str = "100",
        platform: str = "telegram",
        kind: ChatKind = ChatKind.PRIVATE,
        thread: str | None = None,
        can_manage: bool = True,
        user: str = "u1",
    ) -> Reply:
        command = IncomingCommand(
            chat=ChatRef(platform, chat, thread),
            text=text,
            user_id=user,
            chat_kind=kind,
            can_manage=can_manage,
        )
        return await self.handler.handle(command)

    async def ok(self, text: str, **where: object) -> str:
        """Say something that must succeed; return the reply text."""
        reply = await self.say(text, **where)  # type: ignore[arg-type]
        assert not reply.error, reply.text
        return reply.text

    async def fails(self, text: str, **where: object) -> str:
        """Say something that must be refused with one line; return that line."""
        reply = await self.say(text, **where)  # type: ignore[arg-type]
        assert reply.error, reply.text
        assert "\n" not in reply.text and "Traceback" not in reply.text
        return reply.text
