"""Discord adapter: discord.py slash commands in, alert embeds out.

Found by the core through the ``cryptowire.adapters`` entry point ``discord``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter


def create_adapter(settings: Settings) -> DiscordAdapter | None:
    """The Discord adapter when ``[discord] token`` is configured, else None."""
    if settings.discord.token is None or not settings.discord.token.get_secret_value().strip():
        return None
    from adapters.discord.adapter import DiscordAdapter

    return DiscordAdapter(settings.discord)
