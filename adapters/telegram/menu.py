"""The command menu Telegram shows when a user types "/": built from the core's COMMANDS.

The core (``bot.commands.handler.COMMANDS``) is the single source of truth for command names and
descriptions; this module only reshapes each spec into a ``BotCommand`` that Telegram
accepts (lower-case name of 1-32 letters, digits or underscores, description of 1-256).
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from telegram import BotCommand

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_DESCRIPTION = 256


def load_core_commands() -> Sequence[Any]:
    """``bot.commands.handler.COMMANDS`` when the core provides it, else an empty list (logged)."""
    try:
        module = importlib.import_module("bot.commands.handler")
    except ModuleNotFoundError:
        log.warning("telegram: bot.commands.handler is not available; no command menu registered")
        return []
    return list(getattr(module, "COMMANDS", []))


def bot_commands(specs: Iterable[Any]) -> list[BotCommand]:
    """Each spec (``name``, ``description``, optionally ``usage``/``args``) as a BotCommand.

    Names are normalised ("/Latest" -> "latest"); invalid names are skipped with a warning
    rather than making Telegram refuse the whole menu.
    """
    commands: list[BotCommand] = []
    seen: set[str] = set()
    for spec in specs:
        name = str(getattr(spec, "name", "")).strip().lstrip("/").lower()
        if not _NAME.match(name):
            log.warning("telegram: command %r cannot be a Telegram command; skipped", name)
            continue
        if name in seen:
            continue
        seen.add(name)
        described = getattr(spec, "described", None)  # the core's text in the call's language
        text = described() if callable(described) else getattr(spec, "description", "")
        description = " ".join(str(text or "").split())
        if not description:
            usage = getattr(spec, "usage", None) or getattr(spec, "args", None) or ""
            description = f"/{name} {usage}".strip()
        if len(description) > MAX_DESCRIPTION:
            description = description[: MAX_DESCRIPTION - 1] + "…"
        commands.append(BotCommand(name, description))
    return commands


def telegram_code(locale: str | None) -> str | None:
    """The two-letter code Telegram matches a user's app language with (``pt_BR`` -> ``pt``,
    ``zh_Hans`` -> ``zh``); None for the default menu."""
    return locale.split("_", 1)[0].lower() if locale else None
