"""The command language every adapter shares: ``CommandHandler.handle(cmd) -> Reply``.

Adapters translate platform updates into ``IncomingCommand`` and register ``COMMANDS``
(Telegram setMyCommands, Discord slash commands). Nothing a user types can make an
exception text reach a chat: user mistakes get one line with an example, anything else
is logged with its context and answered with a short apology.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.alerts.matching import SubscriptionIndex
from bot.commands.app_settings import settings_reply
from bot.commands.archive import ArchiveCommands
from bot.commands.context import ArchiveReader, ChatStore, Context
from bot.commands.language import LanguageCommand, locale_for
from bot.commands.parser import CommandError, ParsedCommand, shown, split_command
from bot.commands.rate_limit import CommandRateLimit, slow_down
from bot.commands.replies import HELP_FOOTER, WELCOME
from bot.commands.settings import SettingsCommands
from bot.commands.subscriptions import SubscriptionCommands
from bot.commands.templates import TemplateCommands, template_help
from bot.delivery.templating.book import TemplateBook
from bot.errors import UserError
from bot.i18n import N_, _, normalize, use_locale
from bot.models import ChatRef, IncomingCommand, Reply

log = logging.getLogger("cryptowire.commands")
APOLOGY = N_("Something went wrong on our side; please try again in a minute.")


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """What adapters register: name (no slash), argument synopsis, one-line description
    (English, marked for translation: ``described()`` gives it in the call's language)."""

    name: str
    args: str
    description: str
    manages: bool = False  # changes the chat's subscriptions or settings

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.args}".rstrip()

    def described(self) -> str:
        return _(self.description)


COMMANDS: list[CommandSpec] = [
    CommandSpec("start", "", N_("Welcome and a first step")),
    CommandSpec("help", "[COMMAND]", N_("What every command does")),
    CommandSpec(
        "subscribe",
        'TAG... [positive|negative|neutral] [source:KEY] [keyword:"words"] '
        "[-keyword:WORD] [lang:xx]",
        N_("Get alerts for matching news"),
        manages=True,
    ),
    CommandSpec("unsubscribe", "ID|TAG|all", N_("Stop a subscription"), manages=True),
    CommandSpec("subscriptions", "", N_("List this chat's subscriptions and settings")),
    CommandSpec("latest", "[TAG] [N]", N_("The newest articles, optionally for a tag")),
    CommandSpec("search", "WORDS...", N_("Search the archive")),
    CommandSpec("story", "ID", N_("Every source of one story")),
    CommandSpec("why", "ARTICLE_ID", N_("Why an article was or was not sent here")),
    CommandSpec("digest", "off|hourly|daily HH:MM", N_("Alerts as a digest"), manages=True),
    CommandSpec("quiet", "HH:MM-HH:MM|off", N_("Hold alerts during quiet hours"), manages=True),
    CommandSpec("timezone", "Area/City", N_("The chat's time zone"), manages=True),
    CommandSpec("mute", "DURATION|off", N_("Drop alerts for a while (e.g. 2h)"), manages=True),
    CommandSpec("route", "TAG|off", N_("Send a tag's alerts to this forum topic"), manages=True),
    CommandSpec(
        "template", "[TEXT|preview|reset]", N_("How this chat's alerts look"), manages=True
    ),
    CommandSpec("format", "compact|standard|full", N_("Pick a shipped alert layout"), manages=True),
    CommandSpec("mention", "TAG @who...|TAG off|off", N_("Ping people for a tag"), manages=True),
    CommandSpec("language", "[CODE]", N_("The bot's language in this chat"), manages=True),
    CommandSpec("settings", "", N_("This chat's settings in one place (a Mini App on Telegram)")),
]
SPECS = {spec.name: spec for spec in COMMANDS}
Handler = Callable[[Context], Awaitable[Reply]]


class CommandHandler:
    """Parses, checks permissions, runs one command and always returns a Reply."""

    def __init__(
        self,
        archive: ArchiveReader,
        chats: ChatStore,
        index: SubscriptionIndex | None,
        clock: Callable[[], datetime],
        *,
        bot_name: str | None = None,
        popular_tags: Iterable[str] | None = None,
        max_subscriptions: int = 50,
        templates: TemplateBook | None = None,
        rate_limit: CommandRateLimit | None = None,
        app_url: str | None = None,  # the settings Mini App ([web] public_url)
    ) -> None:
        self.archive = archive
        self.rate_limit = rate_limit
        self.chats = chats
        self.index = index
        self.clock = clock
        self.bot_name = bot_name
        subscriptions = SubscriptionCommands(
            archive, chats, index, clock, popular_tags, max_subscriptions
        )
        settings = SettingsCommands(chats)
        reads = ArchiveCommands(archive, chats)
        looks = TemplateCommands(chats, archive, templates or TemplateBook())
        self._handlers: dict[str, Handler] = {
            "start": self._start,
            "help": self._help,
            "subscribe": subscriptions.subscribe,
            "unsubscribe": subscriptions.unsubscribe,
            "subscriptions": subscriptions.show,
            "latest": reads.latest,
            "search": reads.search,
            "story": reads.story,
            "why": reads.why,
            "digest": settings.digest,
            "quiet": settings.quiet,
            "timezone": settings.timezone,
            "mute": settings.mute,
            "route": settings.route,
            "template": looks.template,
            "format": looks.format,
            "mention": looks.mention,
            "settings": lambda ctx: self._settings(ctx, app_url),
            "language": LanguageCommand(chats).language,
        }
        self._aliases = {"unsub": "unsubscribe", "sub": "subscribe", "subs": "subscriptions"}
        self._aliases |= {"list": "subscriptions", "tz": "timezone", "find": "search"}
        self._aliases |= {"lang": "language"}

    async def handle(self, cmd: IncomingCommand) -> Reply:
        """Run one command in its chat's language. An empty reply text means "not for us;
        send nothing"."""
        if self.rate_limit is not None:
            wait = self.rate_limit.wait((cmd.chat.platform, cmd.user_id))
            if wait > 0:
                with use_locale(cmd.language or cmd.chat_language):
                    return Reply(slow_down(wait), error=True, ephemeral=True)
        with use_locale(await self._locale(cmd)) as code:
            reply = await self._handle(cmd)
            return reply if reply.language else replace(reply, language=code)

    async def _locale(self, cmd: IncomingCommand) -> str | None:
        """The chat's /language choice, else the user's own language, else the chat's."""
        try:
            chat = await self.chats.find(cmd.chat) if cmd.text.startswith("/") else None
        except Exception:  # the command itself reports a storage outage, in a language
            chat = None
        return locale_for(chat, cmd)

    async def _handle(self, cmd: IncomingCommand) -> Reply:
        name = "?"
        try:
            parsed = split_command(cmd.text)
            if parsed is None:
                return Reply(_("Commands start with a slash; try /help."), error=True)
            name = self._aliases.get(parsed.name, parsed.name)
            if not self._for_us(parsed):
                return Reply("")
            handler = self._handlers.get(name)
            if handler is None:
                return Reply(self._unknown(parsed.name), error=True)
            if not parsed.balanced and name not in ("search", "template"):
                raise CommandError(_('a quote is not closed; example: keyword:"spot etf"'))
            if SPECS[name].manages and parsed.args and not cmd.can_manage:
                return Reply(_refusal(cmd), error=True, ephemeral=True)
            ctx = await self._context(cmd, parsed)
            return await handler(ctx)
        except UserError as exc:
            text = str(exc).splitlines()[0] if str(exc) else _("That did not work; see /help.")
            text = text if len(text) <= 500 else text[:499] + "…"  # one line, bounded
            return Reply(text[:1].upper() + text[1:], error=True, ephemeral=True)
        except Exception:
            log.exception(
                "command /%s failed in %s for user %s (%s)",
                name,
                cmd.chat,
                cmd.user_id,
                cmd.text[:200],
            )
            return Reply(_(APOLOGY), error=True, ephemeral=True)

    async def reply_language(self, ref: ChatRef, user_language: str | None) -> str | None:
        """The language a command in this chat is answered in (``locale_for``), for the
        words an adapter writes itself; the user's own when the chat cannot be read."""
        try:
            chat = await self.chats.find(ref)
        except Exception:  # the adapter's own words still need a language
            chat = None
        return locale_for(chat, IncomingCommand(ref, "", "", language=user_language))

    async def subscribed_tags(self, ref: ChatRef) -> set[str]:
        """Every tag this chat's subscriptions name: what a /subscribe picker shows as on
        (switching a tag off is ``/unsubscribe TAG``, which removes each one naming it)."""
        chat = await self.chats.find(ref)
        if chat is None:
            return set()
        subscriptions = await self.chats.list_subscriptions(chat.id)
        return {tag for s in subscriptions for tag in s.filter.tags}

    # ------------------------------------------------------------------ internals

    def _for_us(self, parsed: ParsedCommand) -> bool:
        addressed = parsed.addressed_to
        return not (addressed and self.bot_name and addressed.lower() != self.bot_name.lower())

    async def _context(self, cmd: IncomingCommand, parsed: ParsedCommand) -> Context:
        chat = await self.chats.get_or_create(  # alerts follow the platform's language
            cmd.chat,
            kind=cmd.chat_kind,
            title=cmd.chat_title,
            language_hint=normalize(cmd.chat_language) or None,
        )
        ctx = Context(cmd, parsed.name, parsed.args, parsed.rest, chat, self.clock())
        if not chat.active:  # the chat talks to us again, so it is reachable again
            back = await self.chats.reactivate(chat.id)
            if self.index is not None:
                for subscription in await self.chats.list_subscriptions(chat.id):
                    if subscription.id in back:
                        self.index.add_subscription(subscription, chat.id)
            ctx.chat = await self.chats.get(chat.id) or chat
            ctx.notes.append(
                _("Welcome back: {count} subscription(s) are active again.", count=len(back))
            )
        return ctx

    def _unknown(self, name: str) -> str:
        near = difflib.get_close_matches(name, list(SPECS), n=1, cutoff=0.6)
        if near:
            return _(
                "Unknown command /{name}; did you mean /{near}? /help lists them all.",
                name=name,
                near=near[0],
            )
        return _("Unknown command /{name}; /help lists them all.", name=name)

    async def _start(self, ctx: Context) -> Reply:
        count = await self.chats.count_subscriptions(ctx.chat.id)
        text = _(WELCOME)
        if count:
            text += "\n" + _("This chat has {count} subscription(s).", count=count)
        return ctx.reply(text)

    async def _settings(self, ctx: Context, app_url: str | None) -> Reply:
        return settings_reply(ctx, app_url)

    async def _help(self, ctx: Context) -> Reply:
        if ctx.args:
            wanted = ctx.args[0].lstrip("/").lower()
            spec = SPECS.get(self._aliases.get(wanted, wanted))
            if spec is None:
                raise CommandError(
                    _("no command /{name}; /help lists them all", name=shown(wanted))
                )
            if spec.name in ("template", "format"):
                return ctx.reply(template_help())
            return ctx.reply(f"{spec.usage}\n{spec.described()}.")
        lines = [f"{spec.usage} - {spec.described()}" for spec in COMMANDS]
        return ctx.reply("\n".join([*lines, _(HELP_FOOTER)]))


def _refusal(cmd: IncomingCommand) -> str:
    if cmd.chat_kind.value == "group":
        return _(
            "Only admins can change this group's subscriptions and settings; "
            "/subscriptions shows them."
        )
    if cmd.chat_kind.value == "channel":
        return _(
            "Only admins can change this channel's subscriptions and settings; "
            "/subscriptions shows them."
        )
    return _("You may not change this chat's subscriptions and settings.")
