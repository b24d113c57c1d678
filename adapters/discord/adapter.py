"""DiscordAdapter: the ChatAdapter for Discord, running discord.py inside our loop.

``start`` logs in (syncing slash commands in ``setup_hook``), runs the gateway as a
task of our own asyncio loop and waits until the client is ready. ``send``/``edit``
turn alerts into embeds and every failure into a DeliveryResult; they never raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.client import CryptowireClient
from adapters.discord.errors import TOKEN_PAUSE_S, InvalidRequestGuard, result_for
from adapters.discord.render import LIMITS, alert_embed, cut
from adapters.discord.slash import SlashCommands
from bot.config import DiscordConfig
from bot.errors import RuntimeFailure, UserError
from bot.models import Alert, Capabilities, ChatRef, DeliveryKind, DeliveryResult, ResultKind
from bot.ports import CoreServices

log = logging.getLogger("cryptowire.discord")

FETCHED_CHANNELS = 10_000
_MENTION = re.compile(r"<(@&|@!?)(\d{1,20})>")

CAPABILITIES = Capabilities(
    max_text_len=LIMITS.description,
    markup="markdown",
    sends_per_second=25.0,  # one central budget, half of Discord's 50 requests/s
    per_chat_interval_s=1.0,  # Discord allows 5 messages per 5 s in a channel
    per_group_per_minute=None,
    max_caption_len=None,
    supports_images=True,
    supports_edit=True,
)


def allowed_mentions(mention: str | None) -> discord.AllowedMentions:
    """Ping exactly the roles and users named (a subscription's, /mention's), never
    @everyone or anyone else."""
    found = _MENTION.findall(mention or "")
    if not found:
        return discord.AllowedMentions.none()
    roles = [discord.Object(int(i)) for kind, i in found if kind == "@&"]
    users = [discord.Object(int(i)) for kind, i in found if kind != "@&"]
    return discord.AllowedMentions(everyone=False, users=users or False, roles=roles or False)


def _snowflake(value: str | None) -> int | None:
    """A Discord id from a stored string, or None when it cannot be one."""
    return int(value) if value and value.isdigit() else None


def missing_access(channel: object) -> str | None:
    """Permissions the bot lacks to post an alert here, from the gateway cache.

    Checking first costs no request; posting anyway would earn a 403 that counts towards
    Discord's invalid request limit. None when unknown (DMs, channels not cached).
    """
    guild = getattr(channel, "guild", None)
    me = guild.me if guild is not None else None
    if me is None or not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return None
    perms = channel.permissions_for(me)
    post = "send_messages_in_threads" if isinstance(channel, discord.Thread) else "send_messages"
    needed = ("view_channel", post, "embed_links")
    missing = [name for name in needed if not getattr(perms, name)]
    return ", ".join(name.replace("_", " ").title() for name in missing) or None


class DiscordStartError(RuntimeFailure):
    """Discord could not be reached or did not get ready; the message is one line."""


class DiscordTokenError(UserError):
    """The configured token was rejected: a configuration problem the user fixes."""


class DiscordAdapter:
    """One Discord bot: slash commands in, alert embeds out."""

    name = "discord"
    capabilities = CAPABILITIES

    def __init__(
        self,
        config: DiscordConfig,
        *,
        defer_after_s: float = 1.0,
        ready_timeout_s: float = 60.0,
        guild_ready_timeout_s: float = 2.0,
        send_timeout_s: float = 60.0,
        guard: InvalidRequestGuard | None = None,
        client_factory: Callable[..., CryptowireClient] = CryptowireClient,
    ) -> None:
        if config.token is None:
            raise DiscordTokenError("[discord] token is not set (or CRYPTOWIRE_DISCORD_TOKEN)")
        self._config = config
        self._defer_after_s = defer_after_s
        self._ready_timeout_s = ready_timeout_s
        self._guild_ready_timeout_s = guild_ready_timeout_s
        self._send_timeout_s = send_timeout_s
        self.guard = guard or InvalidRequestGuard()
        self._client_factory = client_factory
        self.client: CryptowireClient | None = None
        self._task: asyncio.Task[None] | None = None
        # Channels the gateway cache lacks (DMs, mostly), fetched once; least recent out.
        self._channels: OrderedDict[int, discord.abc.Messageable | discord.ForumChannel] = (
            OrderedDict()
        )
        self._saved_endpoints: tuple[str, yarl.URL] | None = None
        self._stopped = False
        self._login_lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def _point_at(self, api_base: str) -> None:
        """Send REST calls to ``api_base`` (a proxy or test fake) instead of discord.com.

        discord.py builds every URL from the class attribute ``Route.BASE`` (it changes
        it itself for the API version), so this is process-wide; ``stop`` restores it.
        """
        self._saved_endpoints = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = api_base.rstrip("/")

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_endpoints
            self._saved_endpoints = None

    async def _login(self, client: CryptowireClient, *, gateway: bool) -> None:
        """Log ``client`` in over REST (and find the gateway); one-line errors."""
        self.client = client
        self._channels.clear()  # fetched channels hold the previous client's session
        token = self._config.token.get_secret_value() if self._config.token else ""
        if self._config.api_base and self._saved_endpoints is None:
            self._point_at(self._config.api_base)
        try:
            await client.login(token)
            if gateway and self._config.api_base:
                _, url, _ = await client.http.get_bot_gateway()
                DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        except discord.LoginFailure:
            await self._abandon()
            raise DiscordTokenError("discord rejected the bot token ([discord] token)") from None
        except (
            discord.HTTPException,
            discord.GatewayNotFound,
            aiohttp.ClientError,
            OSError,
            TimeoutError,
        ) as exc:
            await self._abandon()
            raise DiscordStartError(f"cannot log in to Discord: {type(exc).__name__}") from None

    async def start(self, core: CoreServices) -> None:
        """Log in, sync commands, connect the gateway in a task; return once ready."""
        self._stopped = False
        if self.client is not None and not self.client.is_closed():
            await self.client.close()  # a send-only client from before start
        commands = SlashCommands(
            core,
            admins=self._config.admins,
            defer_after_s=self._defer_after_s,
            on_channel_seen=self.guard.forget,
        )
        client = self._client_factory(
            commands.build(),
            guild_ids=self._config.guild_ids,
            guild_ready_timeout=self._guild_ready_timeout_s,
        )
        await self._login(client, gateway=True)
        self._task = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._task, ready},
            timeout=self._ready_timeout_s,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            failure = self._task.exception() if self._task in done else None
            await self.stop()
            if isinstance(failure, discord.PrivilegedIntentsRequired):
                raise DiscordStartError("discord refused the gateway intents")
            raise DiscordStartError("the Discord gateway did not get ready in time")
        log.info("discord ready as %s; commands synced: %d", client.user, len(client.synced))

    async def _sending_client(self) -> CryptowireClient | DeliveryResult:
        """The running client; before ``start`` a REST-only one (no gateway, no sync),
        so alerts can go out from a process that takes no commands (e.g. a CLI post)."""
        if self.client is not None and not self.client.is_closed():
            return self.client
        if self._stopped:
            return DeliveryResult.retry(5.0, whole_adapter=True)
        async with self._login_lock:
            if self.client is None or self.client.is_closed():
                try:
                    await self._login(self._client_factory([], sync_commands=False), gateway=False)
                except DiscordTokenError:
                    return DeliveryResult.retry(TOKEN_PAUSE_S, whole_adapter=True)
                except DiscordStartError:
                    return DeliveryResult.retry(30.0, whole_adapter=True)
        assert self.client is not None
        return self.client

    async def _abandon(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()
        self._restore_endpoints()

    async def stop(self) -> None:
        """Close the gateway and HTTP session; wait for the gateway task to end."""
        self._stopped = True
        client, task = self.client, self._task
        if client is not None and not client.is_closed():
            await client.close()
        if task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        self._task = None
        self._channels.clear()
        self._restore_endpoints()

    # -- delivery ----------------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.abc.Messageable | discord.ForumChannel:
        """The channel from the gateway cache, else fetched once (DMs, new channels)."""
        assert self.client is not None
        channel = self.client.get_channel(channel_id)
        if channel is not None:
            return channel  # type: ignore[return-value]
        channel = self._channels.get(channel_id)
        if channel is not None:
            self._channels.move_to_end(channel_id)
            return channel
        channel = await self.client.fetch_channel(channel_id)  # type: ignore[assignment]
        self._channels[channel_id] = channel  # type: ignore[assignment]
        if len(self._channels) > FETCHED_CHANNELS:
            self._channels.popitem(last=False)
        return channel  # type: ignore[return-value]

    async def send(self, to: ChatRef, alert: Alert) -> DeliveryResult:
        """Post one alert embed (a new thread in forum channels); never raises."""
        blocked = self.guard.check(to.chat_id)
        if blocked is not None:
            return blocked
        client = await self._sending_client()
        if isinstance(client, DeliveryResult):
            return client
        channel_id = _snowflake(to.thread_id or to.chat_id)
        if channel_id is None:
            return DeliveryResult.gone(f"not a Discord channel id: {to.chat_id!r}")
        try:
            async with asyncio.timeout(self._send_timeout_s):
                return await self._post(channel_id, alert)
        except Exception as exc:
            return self._failed(to, exc)

    async def _post(self, channel_id: int, alert: Alert) -> DeliveryResult:
        channel = await self._channel(channel_id)
        missing = missing_access(channel)
        if missing:
            return DeliveryResult.gone(f"the bot lacks {missing} in this channel")
        embed = alert_embed(alert)
        mention = alert.mention or None
        allowed = allowed_mentions(mention)
        if isinstance(channel, discord.ForumChannel):
            created = await channel.create_thread(
                name=cut(
                    alert.article.title
                    if alert.kind is not DeliveryKind.DIGEST
                    else embed.title or "Digest",
                    LIMITS.thread_name,
                )
                or "News",
                content=mention,
                embed=embed,
                allowed_mentions=allowed,
            )
            return DeliveryResult.sent(created.message.id)
        if not isinstance(channel, discord.abc.Messageable):
            return DeliveryResult.gone("this channel cannot receive messages")
        message = await channel.send(content=mention, embed=embed, allowed_mentions=allowed)
        return DeliveryResult.sent(message.id)

    async def edit(self, to: ChatRef, message_id: str, alert: Alert) -> DeliveryResult:
        """Replace a sent alert's embed in place (in its thread for forum posts)."""
        blocked = self.guard.check(to.chat_id)
        if blocked is not None:
            return blocked
        located = await self._locate(to, message_id)
        if isinstance(located, DeliveryResult):
            return located
        try:
            async with asyncio.timeout(self._send_timeout_s):
                await (await located()).edit(embed=alert_embed(alert))
                return DeliveryResult.sent(message_id)
        except Exception as exc:
            return self._failed(to, exc)

    async def _locate(
        self, to: ChatRef, message_id: str
    ) -> DeliveryResult | Callable[[], Awaitable[discord.PartialMessage]]:
        """A sent message to act on (edit, pin), or why it cannot be reached.

        Returns a coroutine factory so the channel lookup runs inside the caller's timeout.
        """
        client = await self._sending_client()
        if isinstance(client, DeliveryResult):
            return client
        channel_id, message = _snowflake(to.thread_id or to.chat_id), _snowflake(message_id)
        if channel_id is None or message is None:
            return DeliveryResult.failed(f"not a Discord message: {to} / {message_id!r}")

        async def partial() -> discord.PartialMessage:
            channel = await self._channel(channel_id)
            # A forum post's thread has the id of its starter message.
            where = message if isinstance(channel, discord.ForumChannel) else channel_id
            return client.get_partial_messageable(where).get_partial_message(message)

        return partial

    async def pin(self, to: ChatRef, message_id: str) -> DeliveryResult:
        """Pin a sent message (breaking news in a broadcast channel).

        A refusal here (no Manage Messages, 50 pins already) only means "not pinned": it
        is reported as FAILED and not counted against the channel like a failed send.
        """
        located = await self._locate(to, message_id)
        if isinstance(located, DeliveryResult):
            return located
        try:
            async with asyncio.timeout(self._send_timeout_s):
                await (await located()).pin(reason="Cryptowire breaking news")
        except Exception as exc:
            result = result_for(exc)
            log.info("discord pin in %s: %s (%s)", to, result.kind.value, result.reason or "")
            return DeliveryResult.failed(f"not pinned: {result.reason or result.kind.value}")
        return DeliveryResult.sent(message_id)

    def _failed(self, to: ChatRef, error: BaseException) -> DeliveryResult:
        result = result_for(error)
        self.guard.record(to.chat_id, error, result)
        if result.kind is ResultKind.CHAT_GONE and to.chat_id.isdigit():
            self._channels.pop(int(to.chat_id), None)
        log.info("discord delivery to %s: %s (%s)", to, result.kind.value, result.reason or "")
        return result
