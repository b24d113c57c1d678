"""The Telegram adapter's own words in the chat's language, as the core's replies.

The core answers commands in the chat's language; these are the few texts the adapter
writes itself (the /subscribe picker, page buttons, failures), in the same language: the
chat's /language choice, else the language of the user's Telegram app.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from adapters.telegram.context import chat_ref
from adapters.telegram.render import esc
from bot.i18n import _, use_locale
from bot.models import ChatRef

Handler = Callable[[Any, Any], Awaitable[None]]
Language = Callable[[ChatRef, str | None], Awaitable[str | None]]


def user_language(update: object) -> str | None:
    user = update.effective_user if isinstance(update, Update) else None
    return user.language_code if user is not None else None


async def update_language(update: object, reply_language: Language | None) -> str | None:
    """The language of the chat the update comes from, as the core answers there (its
    /language choice first), else the user's app language."""
    code = user_language(update)
    message = update.effective_message if isinstance(update, Update) else None
    if reply_language is None or message is None:
        return code
    try:
        return await reply_language(chat_ref(message.chat, message), code) or code
    except Exception:  # the words still need a language; the user's own then
        return code


def localized(handler: Handler, reply_language: Language | None = None) -> Handler:
    """Run ``handler`` in the chat's language (``reply_language``: the core's choice for
    the chat), else the update's user's (English when unknown)."""

    @functools.wraps(handler)
    async def run(update: Any, context: Any) -> None:
        with use_locale(await update_language(update, reply_language) or "en"):
            await handler(update, context)

    return run


def picker_prompt(title: str | None) -> str:
    """The /subscribe picker's text; ``title`` names a channel configured from a DM."""
    if title:
        return _(
            "Tap a tag to switch its alerts on or off for <b>{chat}</b>. "
            "Sentiments ticked below apply to the tags you switch on next.",
            chat=esc(title),
        )
    return _(
        "Tap a tag to switch its alerts on or off. "
        "Sentiments ticked below apply to the tags you switch on next."
    )


def picker_summary(tags: tuple[str, ...]) -> str:
    """What a closed picker leaves behind: the tags it left switched on."""
    if not tags:
        return _("No tag alerts switched on here. /subscriptions lists every subscription.")
    return _(
        "Alerts on for {tags}. /subscriptions lists every subscription.", tags=esc(", ".join(tags))
    )
