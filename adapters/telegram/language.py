"""The Telegram adapter's own words in the user's language (``language_code``).

The core answers commands in the chat's language; these are the few texts the adapter
writes itself (the /subscribe picker, page buttons, failures), in the language of the
user's Telegram app.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from adapters.telegram.render import esc
from bot.i18n import _, use_locale

Handler = Callable[[Any, Any], Awaitable[None]]


def user_language(update: object) -> str | None:
    user = update.effective_user if isinstance(update, Update) else None
    return user.language_code if user is not None else None


def localized(handler: Handler) -> Handler:
    """Run ``handler`` in the language of the update's user (English when unknown)."""

    @functools.wraps(handler)
    async def run(update: Any, context: Any) -> None:
        with use_locale(user_language(update) or "en"):
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
