"""Telegram adapter: python-telegram-bot 22 embedded in Cryptowire's own asyncio loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.ops.logs import MASKER

if TYPE_CHECKING:
    from adapters.telegram.adapter import TelegramAdapter


def create_adapter(settings: Settings) -> TelegramAdapter | None:
    """The entry point: an adapter when a token is configured, otherwise None."""
    if settings.telegram.token is None or not settings.telegram.token.get_secret_value():
        return None
    from adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter(settings.telegram, masker=MASKER)
