"""A small Discord world for tests: the fake API, one server, the real adapter running.

``DiscordWorld`` starts the fake, builds a guild with a text, a forum and a DM channel,
then starts the real DiscordAdapter (real discord.py) against it with a given core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import SecretStr

from adapters.discord.adapter import DiscordAdapter
from bot.config import DiscordConfig
from bot.models import IncomingCommand, Reply
from bot.ports import CoreServices
from tests.fakes.discord_api import FORUM, FakeDiscord

MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
TOKEN = "fake.discord.token-123456"


@dataclass
class RecordingCore:
    """Stands in for the core's CommandHandler where a test needs no database."""

    answer: Callable[[IncomingCommand], Awaitable[Reply]] | None = None
    tags: list[str] = field(default_factory=lambda: ["BTC", "ETH", "ETC", "SOL", "XRP"])
    commands: list[IncomingCommand] = field(default_factory=list)
    tag_prefixes: list[str] = field(default_factory=list)

    async def handle(self, command: IncomingCommand) -> Reply:
        self.commands.append(command)
        if self.answer is not None:
            return await self.answer(command)
        return Reply(f"ok: {command.text}")

    async def known_tags(self, prefix: str) -> list[str]:
        self.tag_prefixes.append(prefix)
        return [t for t in self.tags if t.lower().startswith(prefix.lower())]

    def services(self) -> CoreServices:
        return CoreServices(handle_command=self.handle, known_tags=self.known_tags)


class DiscordWorld:
    """Fake Discord + one guild + the adapter; use as ``async with DiscordWorld(...)``."""

    def __init__(
        self,
        core: CoreServices,
        *,
        admins: list[int] | None = None,
        guild_ids: bool = False,
        defer_after_s: float = 1.0,
        send_timeout_s: float = 60.0,
    ) -> None:
        self.core = core
        self.fake = FakeDiscord()
        self.guild = self.fake.add_guild()
        self.text = self.fake.add_channel(self.guild, "news")
        self.other = self.fake.add_channel(self.guild, "markets")
        self.forum = self.fake.add_channel(self.guild, "stories", FORUM)
        self.traders = self.fake.add_role(self.guild, "Traders")
        self.alice = self.fake.user("alice")
        self.dm = self.fake.add_dm(self.alice)
        self._admins = admins or []
        self._guild_ids = guild_ids
        self._defer_after_s = defer_after_s
        self._send_timeout_s = send_timeout_s
        self.adapter: DiscordAdapter | None = None

    async def __aenter__(self) -> DiscordWorld:
        api_base = await self.fake.start()
        config = DiscordConfig(
            token=SecretStr(TOKEN),
            admins=self._admins,
            guild_ids=[int(self.guild)] if self._guild_ids else [],
            api_base=api_base,
        )
        self.adapter = DiscordAdapter(
            config,
            defer_after_s=self._defer_after_s,
            send_timeout_s=self._send_timeout_s,
            ready_timeout_s=10.0,
            guild_ready_timeout_s=0.05,
        )
        try:
            await self.adapter.start(self.core)
        except BaseException:
            await self.fake.stop()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
        await self.fake.stop()
