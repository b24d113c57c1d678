"""/template, /format and /mention: what this chat's alerts look like and who they ping.

A template is checked before it is stored; a bad one is refused with one line naming the
problem and the chat keeps the template it had. ``/template preview`` renders the newest
article that matches the chat (or the newest one) with it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.alerts.subscription_filter import FilterError, normalize_tag
from bot.commands.context import ArchiveReader, ChatStore, Context
from bot.commands.parser import CommandError
from bot.delivery.formatting import render_plain
from bot.delivery.templating import presets, values
from bot.delivery.templating.book import TemplateBook
from bot.delivery.templating.engine import normalise
from bot.delivery.templating.values import HELPERS
from bot.i18n import _
from bot.models import Alert, Article, ChatSettings, Reply

MAX_MENTION_RULES = 20
MAX_PER_TAG = 5
_DISCORD_TARGET = re.compile(r"^<@(?:&|!)?\d{1,20}>$")
_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
_MASS = ("everyone", "here", "channel", "all")
OFF = ("off", "none", "clear", "stop")


def template_help() -> str:
    """``/help template``: every placeholder and helper, one per line, in the call's
    language (the placeholder names and the Jinja2 syntax stay as they must be typed)."""
    lines = [
        _(
            "/template shows this chat's template; /template TEXT sets one; /template preview "
            "shows it on the newest matching article; /template reset goes back to the default; "
            "/format compact|standard|full picks a shipped one."
        ),
        _(
            "Templates are Jinja2: {{ placeholder }}, {% if x %}...{% endif %}, "
            "{% for tag in tags %}...{% endfor %}; type \\n for a new line. Text is shown as "
            "typed (no HTML or markdown); links only to the article; no mentions (see /mention)."
        ),
        _("Placeholders:"),
    ]
    for name, meaning in values.PLACEHOLDERS.items():
        shown = _(meaning, chars=values.BODY_CHARS) if "{chars}" in meaning else _(meaning)
        lines.append(f"  {name}: {shown}")
    lines.append(_("Helpers:"))
    lines += [f"  {name}: {_(meaning)}" for name, meaning in HELPERS.items()]
    return "\n".join(lines)


class TemplateCommands:
    """The commands; ``book`` holds the admin defaults and the compiled-template cache."""

    def __init__(self, chats: ChatStore, archive: ArchiveReader, book: TemplateBook) -> None:
        self.chats = chats
        self.archive = archive
        self.book = book

    async def template(self, ctx: Context) -> Reply:
        platform = ctx.chat.ref.platform
        word = ctx.args[0].lower() if len(ctx.args) == 1 else ""
        if not ctx.rest.strip():
            return ctx.reply(self._show(ctx.chat))
        if word == "preview":
            return ctx.reply(await self._preview(ctx.chat, self.book.text_for(ctx.chat)))
        if word == "reset":
            chat = await self.chats.update_settings(ctx.chat.id, template=None)
            preview = await self._preview(chat, self.book.text_for(chat))
            return ctx.reply(
                _("Template reset: alerts look as they did by default.") + "\n" + preview
            )
        text = normalise(ctx.rest)
        if word in presets.PRESETS:
            raise CommandError(_("for a shipped template use /format {name}", name=word))
        problem = self.book.templates.check(text)
        if problem:
            raise CommandError(_("template not changed: {problem}", problem=problem))
        chat = await self.chats.update_settings(ctx.chat.id, template=text)
        preview = await self._preview(chat, text)
        return ctx.reply(
            _("Template set for {platform} alerts here.", platform=platform) + "\n" + preview
        )

    async def format(self, ctx: Context) -> Reply:
        names = "|".join(presets.PRESETS)
        if len(ctx.args) != 1 or ctx.args[0].lower() not in presets.PRESETS:
            current = presets.preset_name(ctx.chat.template, ctx.chat.ref.platform) or _("custom")
            shown = ", ".join(f"{n} ({_(h)})" for n, h in presets.PRESET_HELP.items())
            if ctx.args:
                raise CommandError(
                    _(
                        "'{word}' is not a format; use /format {names}",
                        word=" ".join(ctx.args)[:40],
                        names=names,
                    )
                )
            return ctx.reply(
                _(
                    "Format: {current}. Choose one: {choices}. Example: /format compact",
                    current=current,
                    choices=shown,
                )
            )
        name = ctx.args[0].lower()
        platform = ctx.chat.ref.platform
        text: str | None = presets.preset(name, platform)
        probe = replace(ctx.chat, template=None)
        if name == "standard" and self.book.text_for(probe) is None:
            text = None  # the default look itself (no admin default to override)
        chat = await self.chats.update_settings(ctx.chat.id, template=text)
        preview = await self._preview(chat, self.book.text_for(chat))
        return ctx.reply(
            _("Format set to {name}: {meaning}.", name=name, meaning=_(presets.PRESET_HELP[name]))
            + "\n"
            + preview
        )

    async def mention(self, ctx: Context) -> Reply:
        rules = list(ctx.chat.mentions)
        if not ctx.args:
            if not rules:
                return ctx.reply(
                    _("No mentions. Example: /mention BTC @role pings them for BTC alerts.")
                )
            shown = "; ".join(f"{tag}: {who}" for tag, who in rules)
            return ctx.reply(_("Mentions: {rules}. /mention off removes them all.", rules=shown))
        if len(ctx.args) == 1 and ctx.args[0].lower() in OFF:
            await self.chats.update_settings(ctx.chat.id, mentions=None)
            return ctx.reply(_("Mentions off: alerts ping nobody."))
        tag = self._tag(ctx.args[0])
        targets = ctx.args[1:]
        if len(targets) == 1 and targets[0].lower() in OFF:
            kept = [[t, w] for t, w in rules if t != tag]
            await self.chats.update_settings(ctx.chat.id, mentions=kept or None)
            return ctx.reply(_("{tag} alerts ping nobody now.", tag=tag))
        if not targets or len(targets) > MAX_PER_TAG:
            raise CommandError(
                _("name 1 to {limit} people or roles, e.g. /mention BTC @alice", limit=MAX_PER_TAG)
            )
        checked = [self._target(ctx.chat, who) for who in targets]
        kept = [[t, w] for t, w in rules if t != tag] + [[tag, " ".join(checked)]]
        if len(kept) > MAX_MENTION_RULES:
            raise CommandError(_("at most {limit} mention rules per chat", limit=MAX_MENTION_RULES))
        await self.chats.update_settings(ctx.chat.id, mentions=kept)
        return ctx.reply(_("{tag} alerts here now mention {who}.", tag=tag, who=" ".join(checked)))

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _tag(word: str) -> str:
        if word in ("*", "all"):
            return "*"
        try:
            return normalize_tag(word)
        except FilterError as exc:
            raise CommandError(_("{problem}; example: /mention BTC @alice", problem=exc)) from None

    @staticmethod
    def _target(chat: ChatSettings, who: str) -> str:
        bare = who.lstrip("@<&!").rstrip(">").lower()
        if bare in _MASS:
            raise CommandError(
                _("{who} is never pinged; name people or a role instead", who=who[:40])
            )
        if chat.ref.platform == "discord":
            if not _DISCORD_TARGET.match(who):
                raise CommandError(
                    _(
                        "'{who}' is not a role or member; pick one from Discord's list "
                        "(it arrives as <@&id>), e.g. /mention BTC @Traders",
                        who=who[:40],
                    )
                )
            return who
        if not _USERNAME.match(who):
            raise CommandError(
                _("'{who}' is not a username; example: /mention BTC @alice", who=who[:40])
            )
        return who

    def _show(self, chat: ChatSettings) -> str:
        platform = chat.ref.platform
        text = self.book.text_for(chat)
        name = presets.preset_name(chat.template, platform) if chat.template else None
        if text is None:
            head = _("This chat uses the default template (today's look):")
            text = presets.standard(platform)
        elif chat.template:
            head = _("This chat's template ({name}):", name=name or _("custom"))
        else:
            head = _("This chat uses the admin's default template:")
        placeholders = ", ".join(values.PLACEHOLDERS)
        tail = _(
            "Placeholders: {names}.\n/template TEXT sets one, /template preview, "
            "/template reset, /format compact|standard|full; /help template explains each "
            "placeholder.",
            names=placeholders,
        )
        return f"{head}\n{text}\n\n{tail}"

    async def _preview(self, chat: ChatSettings, text: str | None) -> str:
        article = await self._newest(chat)
        alert = Alert(article=article, timezone=chat.timezone)
        alert = self.book.apply(alert, replace(chat, template=text))
        if alert.rendered is None:
            shown = render_plain(
                self.book.templates.render(presets.standard(chat.ref.platform), alert)
            )
        else:
            shown = render_plain(alert.rendered)
        return _("Preview ({title}):", title=article.title[:60]) + "\n" + shown

    async def _newest(self, chat: ChatSettings) -> Article:
        """The newest article matching one of the chat's subscription tags, else the newest."""
        best: Article | None = None
        subscriptions = await self.chats.list_subscriptions(chat.id)
        tags = sorted({tag for s in subscriptions for tag in s.filter.tags})[:10]
        for tag in tags or [None]:
            found = await self.archive.latest(tag, 1)
            if found and (best is None or found[0].published_at > best.published_at):
                best = found[0]
        if best is None and tags:
            found = await self.archive.latest(None, 1)
            best = found[0] if found else None
        return best or values.sample_article()
