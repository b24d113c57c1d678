"""Run the real TelegramAdapter against the fake Bot API, with a recording core.

``RecordingCore`` stands in for the core only where a test exercises the transport (what
Telegram sends and receives); tests of command semantics use the real CommandHandler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from adapters.telegram.adapter import TelegramAdapter
from bot.config import TelegramConfig
from bot.models import IncomingCommand, Reply
from bot.ops.logs import SecretMasker
from bot.ports import CoreServices
from tests.fakes.telegram_api import FakeBotApi


@dataclass(frozen=True)
class Spec:
    """The shape of ``bot.commands.handler.CommandSpec`` the adapter reads."""

    name: str
    usage: str
    description: str


SPECS = (
    Spec("start", "/start", "Welcome and quick help"),
    Spec("subscribe", "/subscribe BTC [positive]", "Get alerts for tags or sentiments"),
    Spec("latest", "/latest [TAG] [N]", "Latest articles"),
)


@dataclass
class RecordingCore:
    """Records every command; answers with ``respond(command)`` (echo by default)."""

    respond: Callable[[IncomingCommand], Reply] = lambda cmd: Reply(f"ok: {cmd.text}")
    tags: Sequence[str] = ("BTC", "ETH", "SOL", "XRP", "ETF", "DeFi")
    received: list[IncomingCommand] = field(default_factory=list)

    async def handle_command(self, command: IncomingCommand) -> Reply:
        self.received.append(command)
        return self.respond(command)

    async def known_tags(self, prefix: str) -> list[str]:
        return [tag for tag in self.tags if tag.lower().startswith(prefix.lower())]

    def services(self) -> CoreServices:
        return CoreServices(handle_command=self.handle_command, known_tags=self.known_tags)


def config_for(fake: FakeBotApi, **overrides: Any) -> TelegramConfig:
    values: dict[str, Any] = {
        "token": fake.token,
        "base_url": fake.base_url,
        "base_file_url": fake.base_file_url,
        "poll_timeout": 5,
        **overrides,
    }
    return TelegramConfig(**values)


@asynccontextmanager
async def running_adapter(
    core: CoreServices,
    *,
    commands: Sequence[Any] = SPECS,
    masker: SecretMasker | None = None,
    clock: Callable[[], float] | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[FakeBotApi, TelegramAdapter]]:
    """A started adapter polling a fresh fake; stopped (and checked stopped) on exit."""
    async with FakeBotApi() as fake:
        extra: dict[str, Any] = {"clock": clock} if clock else {}
        adapter = TelegramAdapter(
            config_for(fake, **overrides),
            masker=masker or SecretMasker(),
            commands=commands,
            **extra,
        )
        await adapter.start(core)
        try:
            yield fake, adapter
        finally:
            await adapter.stop()
