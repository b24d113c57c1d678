"""/language: which language the bot speaks in a chat, and how a call picks its language."""

from __future__ import annotations

from bot.commands.context import ChatStore, Context
from bot.commands.parser import CommandError, shown
from bot.i18n import DEFAULT, LANGUAGES, _, current, language_name, normalize, use_locale
from bot.models import ChatSettings, IncomingCommand, Reply

RESET = ("auto", "off", "reset", "default")


def locale_for(chat: ChatSettings | None, cmd: IncomingCommand) -> str | None:
    """A chat's /language choice wins; else the user's own language (a reply is read by
    the one who asked), else the chat's platform language."""
    if chat is not None and chat.language:
        return chat.language
    return (
        normalize(cmd.language)
        or normalize(cmd.chat_language)
        or (chat.language_hint if chat else None)
    )


def language_list() -> str:
    return ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())


class LanguageCommand:
    """Shows the chat's language and the shipped ones; ``/language CODE`` chooses."""

    def __init__(self, chats: ChatStore) -> None:
        self.chats = chats

    async def language(self, ctx: Context) -> Reply:
        if not ctx.args:
            code = current()
            if ctx.chat.language:
                head = _(
                    "This chat's language: {name} ({code}).", name=language_name(code), code=code
                )
            else:
                head = _(
                    "This chat follows your app's language: {name} ({code}).",
                    name=language_name(code),
                    code=code,
                )
            body = _("Languages: {languages}", languages=language_list())
            return ctx.reply("\n".join([head, body, _("Change: /language de, or /language auto")]))
        if len(ctx.args) != 1:
            raise CommandError(_("one language code please, e.g. /language es"))
        wanted = ctx.args[0]
        if wanted.lower() in RESET:
            chat = await self.chats.update_settings(ctx.chat.id, language=None)
            with use_locale(chat.language_hint or ctx.cmd.language or DEFAULT):
                return ctx.reply(_("This chat now follows each app's language."))
        code = normalize(wanted)
        if code is None:
            raise CommandError(
                _(
                    "'{word}' is not a language I speak; choose one of: {languages}",
                    word=shown(wanted, 20),
                    languages=", ".join(LANGUAGES),
                )
            )
        await self.chats.update_settings(ctx.chat.id, language=code)
        with use_locale(code):  # the answer is already in the new language
            return ctx.reply(_("This chat's language is now {name}.", name=language_name(code)))
