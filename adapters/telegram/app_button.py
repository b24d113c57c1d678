"""The core's neutral ``AppButton`` as Telegram's ``web_app`` inline button (Mini App)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.models import Reply


def app_markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """A one-button keyboard opening the reply's Mini App; None when it has no button."""
    if reply.button is None:
        return None
    button = InlineKeyboardButton(reply.button.label, web_app=WebAppInfo(reply.button.url))
    return InlineKeyboardMarkup([[button]])
