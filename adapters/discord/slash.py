"""The slash commands: typed options in, the core's text command out, its Reply back.

Every command goes through ``SlashCommands.run``: permission check, IncomingCommand,
the core's handler raced against ``defer_after_s`` (Discord allows 3 s for the first
answer, so anything slower is deferred first), then the reply, ephemeral for errors
and settings. No exception text ever reaches the chat.
"""

from __future__ import annotations

import asyncio
import logging
import zoneinfo
from collections.abc import Callable, Collection

import discord
from discord import app_commands

from adapters.discord import locales, translate
from adapters.discord.locales import L
from adapters.discord.permissions import ADMIN_REFUSAL, MANAGE_REFUSAL, describe
from adapters.discord.render import reply_message
from bot.errors import Unavailable
from bot.i18n import N_, _, use_locale
from bot.models import IncomingCommand, Reply
from bot.ports import CoreServices

log = logging.getLogger("cryptowire.discord.slash")

FAILURE_TEXT = N_("Sorry, that did not work. Please try again in a minute.")
NO_MENTIONS = discord.AllowedMentions.none()
PRIVATE_NOTE = N_("Answered privately.")
Count = app_commands.Range[int, 1, 25]
PositiveId = app_commands.Range[int, 1, None]
Text = app_commands.Range[str, 1, 300]
Headline = app_commands.Range[str, 1, 256]
Body = app_commands.Range[str, 1, 2000]
TemplateText = app_commands.Range[str, 1, 2000]


class SlashCommands:
    """Builds the app command set bound to one core; dependencies come in here."""

    def __init__(
        self,
        core: CoreServices,
        *,
        admins: Collection[int] = (),
        defer_after_s: float = 1.0,
        on_channel_seen: Callable[[str], None] | None = None,
    ) -> None:
        self.core = core
        self.admins = frozenset(admins)
        self.defer_after_s = defer_after_s
        self._on_channel_seen = on_channel_seen

    # -- the one path every command takes -------------------------------------------------

    async def run(self, interaction: discord.Interaction, name: str, text: str) -> None:
        """Check rights, ask the core (deferring when slow), answer; never raises."""
        with use_locale(str(interaction.locale.value)):  # this user's language
            try:
                await self._run(interaction, name, text)
            except Exception:
                log.exception("slash command /%s failed", name)
                await self._fail_quietly(interaction)

    async def _run(self, interaction: discord.Interaction, name: str, text: str) -> None:
        caller = describe(interaction, self.admins)
        if self._on_channel_seen is not None:
            self._on_channel_seen(caller.chat.chat_id)
        if name in translate.MANAGE_COMMANDS and not caller.can_manage:
            await interaction.response.send_message(
                _(MANAGE_REFUSAL), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        if name in translate.ADMIN_COMMANDS and not caller.is_admin:
            await interaction.response.send_message(
                _(ADMIN_REFUSAL), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        command = IncomingCommand(
            chat=caller.chat,
            text=text,
            user_id=caller.user_id,
            chat_kind=caller.kind,
            user_name=caller.user_name,
            can_manage=caller.can_manage,
            is_admin=caller.is_admin,
            chat_title=caller.title,
            language=str(interaction.locale.value),
            chat_language=str((interaction.guild_locale or interaction.locale).value),
        )
        public = name in translate.PUBLIC_COMMANDS
        task = asyncio.create_task(self._ask_core(command))
        done, _pending = await asyncio.wait({task}, timeout=self.defer_after_s)
        if not done:
            await interaction.response.defer(ephemeral=not public, thinking=True)
        reply = await task
        await self._answer(interaction, reply, public=public)

    async def _ask_core(self, command: IncomingCommand) -> Reply:
        try:
            return await self.core.handle_command(command)
        except Exception:
            log.exception("core failed on %r", command.text)
            return Reply(_(FAILURE_TEXT), error=True, ephemeral=True)

    async def _answer(
        self, interaction: discord.Interaction, reply: Reply, *, public: bool
    ) -> None:
        with use_locale(reply.language):  # our words around it in the reply's language
            content, embeds = reply_message(reply)
        ephemeral = reply.error or reply.ephemeral or not public
        if not interaction.response.is_done():
            await interaction.response.send_message(
                content, embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
            return
        if ephemeral and public:
            # Deferred in public, but the answer is private (an error). The first
            # follow-up after a public deferral must be public (it replaces "thinking..."),
            # so: settle the original, answer privately, then remove the original.
            await interaction.edit_original_response(content=_(PRIVATE_NOTE), embeds=[])
            await interaction.followup.send(
                content or discord.utils.MISSING,
                embeds=embeds,
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            await interaction.delete_original_response()
            return
        await interaction.edit_original_response(
            content=content, embeds=embeds, allowed_mentions=NO_MENTIONS
        )

    async def _fail_quietly(self, interaction: discord.Interaction) -> None:
        try:
            if interaction.response.is_done():
                await interaction.followup.send(_(FAILURE_TEXT), ephemeral=True)
            else:
                await interaction.response.send_message(_(FAILURE_TEXT), ephemeral=True)
        except Exception:
            log.warning("could not tell the user about a failed command", exc_info=True)

    # -- autocomplete ------------------------------------------------------------------------

    async def _tags(self, prefix: str) -> list[str]:
        try:
            # Discord drops autocomplete answers after 3 s; an empty list beats none.
            return list(await asyncio.wait_for(self.core.known_tags(prefix), timeout=2.0))
        except Unavailable:  # the database is away (logged once); no line per keystroke
            return []
        except Exception:
            log.warning("known_tags failed", exc_info=True)
            return []

    async def complete_tag(
        self, _interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        tags = await self._tags(translate.one_line(current))
        return [app_commands.Choice(name=t, value=t) for t in tags[:25] if 0 < len(t) <= 100]

    async def complete_tags(
        self, _interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        _head, word = translate.split_current(current)
        values = translate.tag_suggestions(current, await self._tags(word))
        return [app_commands.Choice(name=v, value=v) for v in values]

    async def complete_timezone(
        self, _interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = translate.one_line(current).lower()
        zones = sorted(z for z in zoneinfo.available_timezones() if needle in z.lower())
        return [app_commands.Choice(name=z, value=z) for z in zones[:25]]

    # -- the commands ------------------------------------------------------------------------

    def build(self) -> list[app_commands.Command]:
        """The app commands, bound to this instance (added to a tree by the client)."""

        @app_commands.command(
            name="latest",
            description=L(translate.description("latest", "Latest articles, optionally by tag")),
        )
        @app_commands.describe(tag=L("Only this tag, e.g. BTC"), count=L("How many (1-25)"))
        @app_commands.autocomplete(tag=self.complete_tag)
        async def latest(
            interaction: discord.Interaction, tag: str | None = None, count: Count | None = None
        ) -> None:
            await self.run(interaction, "latest", translate.latest_text(tag, count))

        @app_commands.command(
            name="search", description=L(translate.description("search", "Search the news archive"))
        )
        @app_commands.describe(query=L('Words, "phrases", -excluded, tag:BTC ...'))
        async def search(interaction: discord.Interaction, query: Text) -> None:
            await self.run(interaction, "search", translate.simple_text("search", query))

        @app_commands.command(
            name="subscribe",
            description=L(translate.description("subscribe", "Get alerts in this channel or DM")),
        )
        @app_commands.describe(
            tags=L("Any of these tags, space separated, e.g. BTC ETH"),
            sentiment=L("Only this market mood"),
            keywords=L('All of these words; "quoted phrases"; -word excludes'),
            source=L("Only this source, e.g. decrypt"),
            mention=L("Role to mention with each alert (server channels)"),
        )
        @app_commands.choices(sentiment=locales.SENTIMENTS)
        @app_commands.autocomplete(tags=self.complete_tags)
        async def subscribe(
            interaction: discord.Interaction,
            tags: Text | None = None,
            sentiment: app_commands.Choice[str] | None = None,
            keywords: Text | None = None,
            source: Text | None = None,
            mention: discord.Role | None = None,
        ) -> None:
            text = translate.subscribe_text(
                tags,
                sentiment.value if sentiment else None,
                keywords,
                source,
                mention.mention if mention is not None else None,
            )
            await self.run(interaction, "subscribe", text)

        @app_commands.command(
            name="unsubscribe",
            description=L(translate.description("unsubscribe", "Remove a subscription")),
        )
        @app_commands.describe(id=L("Subscription id, a tag, or all"))
        async def unsubscribe(interaction: discord.Interaction, id: Text) -> None:
            await self.run(interaction, "unsubscribe", translate.simple_text("unsubscribe", id))

        @app_commands.command(
            name="subscriptions",
            description=L(translate.description("subscriptions", "This chat's subscriptions")),
        )
        async def subscriptions(interaction: discord.Interaction) -> None:
            await self.run(interaction, "subscriptions", "/subscriptions")

        @app_commands.command(
            name="story", description=L(translate.description("story", "Every source of one story"))
        )
        @app_commands.describe(id=L("Story id"))
        async def story(interaction: discord.Interaction, id: PositiveId) -> None:
            await self.run(interaction, "story", translate.simple_text("story", id))

        @app_commands.command(
            name="why",
            description=L(translate.description("why", "Why an article did (not) alert here")),
        )
        @app_commands.describe(article=L("Article id"))
        async def why(interaction: discord.Interaction, article: PositiveId) -> None:
            await self.run(interaction, "why", translate.simple_text("why", article))

        @app_commands.command(
            name="digest",
            description=L(translate.description("digest", "Bundle alerts: off, hourly or daily")),
        )
        @app_commands.describe(
            schedule=L("off, hourly or daily"), time=L("HH:MM for daily digests")
        )
        @app_commands.choices(schedule=locales.DIGEST_MODES)
        async def digest(
            interaction: discord.Interaction,
            schedule: app_commands.Choice[str],
            time: Text | None = None,
        ) -> None:
            await self.run(interaction, "digest", translate.digest_text(schedule.value, time))

        @app_commands.command(
            name="quiet",
            description=L(translate.description("quiet", "Hold alerts during quiet hours")),
        )
        @app_commands.describe(hours=L("HH:MM-HH:MM, or off"))
        async def quiet(interaction: discord.Interaction, hours: Text) -> None:
            await self.run(interaction, "quiet", translate.simple_text("quiet", hours))

        @app_commands.command(
            name="timezone",
            description=L(
                translate.description("timezone", "Time zone for digests and quiet hours")
            ),
        )
        @app_commands.describe(zone=L("Area/City, e.g. Europe/Berlin"))
        @app_commands.autocomplete(zone=self.complete_timezone)
        async def timezone(interaction: discord.Interaction, zone: Text) -> None:
            await self.run(interaction, "timezone", translate.simple_text("timezone", zone))

        @app_commands.command(
            name="mute", description=L(translate.description("mute", "Pause alerts for a while"))
        )
        @app_commands.describe(duration=L("e.g. 2h, 30m, 1d, or off"))
        async def mute(interaction: discord.Interaction, duration: Text) -> None:
            await self.run(interaction, "mute", translate.simple_text("mute", duration))

        @app_commands.command(
            name="template", description=L(translate.description("template", "Alert layout"))
        )
        @app_commands.describe(
            text=L("A template ({{ title }} ...; \\n for a new line), preview or reset")
        )
        async def template(
            interaction: discord.Interaction, text: TemplateText | None = None
        ) -> None:
            await self.run(interaction, "template", translate.template_text(text))

        @app_commands.command(
            name="format", description=L(translate.description("format", "Shipped layouts"))
        )
        @app_commands.choices(style=locales.FORMATS)
        async def format_(
            interaction: discord.Interaction, style: app_commands.Choice[str] | None = None
        ) -> None:
            await self.run(
                interaction, "format", translate.simple_text("format", style and style.value)
            )

        @app_commands.command(
            name="mention", description=L(translate.description("mention", "Ping for a tag"))
        )
        @app_commands.describe(
            tag=L("A tag (BTC), * for every alert, or off"), role=L("Who to ping")
        )
        @app_commands.autocomplete(tag=self.complete_tag)
        async def mention(
            interaction: discord.Interaction,
            tag: Text | None = None,
            role: discord.Role | None = None,
            member: discord.User | None = None,
        ) -> None:
            who = [x.mention for x in (role, member) if x is not None]
            await self.run(interaction, "mention", translate.mention_text(tag, who))

        @app_commands.command(name="breaking", description=L("Admins: post a breaking story"))
        @app_commands.describe(
            title=L("Headline"), text=L("What happened"), url=L("Link to the source (optional)")
        )
        async def breaking(
            interaction: discord.Interaction,
            title: Headline,
            text: Body,
            url: Text | None = None,
        ) -> None:
            await self.run(interaction, "breaking", translate.breaking_text(title, text, url))

        @app_commands.command(name="post", description=L("Admins: post an archived article"))
        @app_commands.describe(article=L("Article id"))
        async def post(interaction: discord.Interaction, article: PositiveId) -> None:
            await self.run(interaction, "post", translate.simple_text("post", article))

        @app_commands.command(name="audit", description=L("Admins: recent admin actions"))
        @app_commands.describe(count=L("How many (default 20)"))
        async def audit(interaction: discord.Interaction, count: Count | None = None) -> None:
            await self.run(interaction, "audit", f"/audit {count}" if count else "/audit")

        @app_commands.command(
            name="language", description=L(translate.description("language", "Bot language"))
        )
        @app_commands.describe(code=L("The language for this chat; empty: show the choice"))
        @app_commands.choices(code=locales.LANGUAGE_CHOICES)
        async def language(
            interaction: discord.Interaction, code: app_commands.Choice[str] | None = None
        ) -> None:
            text = f"/language {code.value}" if code else "/language"
            await self.run(interaction, "language", text)

        @app_commands.command(
            name="help", description=L(translate.description("help", "What Cryptowire can do"))
        )
        async def help_(interaction: discord.Interaction) -> None:
            await self.run(interaction, "help", "/help")

        return [
            latest,
            search,
            subscribe,
            unsubscribe,
            subscriptions,
            story,
            why,
            digest,
            quiet,
            timezone,
            mute,
            template,
            format_,
            mention,
            breaking,
            post,
            audit,
            language,
            help_,
        ]
