"""Slash commands in each user's language: a ``discord.app_commands.Translator``.

Every command and option description is a ``locale_str`` holding the English text, which
is the gettext message id; discord.py asks this translator for each Discord locale when it
syncs, and Discord shows each user the text of their client's language.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import DEFAULT, LANGUAGES, _, normalize, use_locale

MAX_DESCRIPTION = 100  # Discord's limit for command and option descriptions


def L(text: str) -> app_commands.locale_str:
    """A translatable slash-command text (English is the message id)."""
    return app_commands.locale_str(text)


# Choice names are shown translated; their values are the command words the core parses.
SENTIMENTS = [
    app_commands.Choice(name=L("positive"), value="positive"),
    app_commands.Choice(name=L("negative"), value="negative"),
    app_commands.Choice(name=L("neutral"), value="neutral"),
]
DIGEST_MODES = [
    app_commands.Choice(name=L("off"), value="off"),
    app_commands.Choice(name=L("hourly"), value="hourly"),
    app_commands.Choice(name=L("daily"), value="daily"),
]
LANGUAGE_CHOICES = [
    app_commands.Choice(name=f"{name} ({code})", value=code) for code, name in LANGUAGES.items()
]
FORMATS = [app_commands.Choice(name=n, value=n) for n in ("compact", "standard", "full")]


def catalog_of(locale: discord.Locale | str | None) -> str | None:
    """Our catalog for a Discord locale (``es-ES``, ``pt-BR``, ``zh-CN``...), else None."""
    return normalize(str(locale.value if isinstance(locale, discord.Locale) else locale or ""))


class CatalogTranslator(app_commands.Translator):
    """Descriptions and choice names from the gettext catalogs; names stay English so a
    command typed from the docs works in every client."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if context.location in (
            app_commands.TranslationContextLocation.command_name,
            app_commands.TranslationContextLocation.group_name,
            app_commands.TranslationContextLocation.parameter_name,
        ):
            return None
        code = catalog_of(locale)
        if code is None or code == DEFAULT or code not in LANGUAGES:
            return None
        with use_locale(code):
            text = _(string.message)
        return text[:MAX_DESCRIPTION] if text else None
