"""The discord.py client: minimal intents, our app commands, syncing in ``setup_hook``.

Everything it needs comes through the constructor (the commands, the guilds to sync
to); it holds no module-level state, so tests can start several in one process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
from discord import app_commands

from adapters.discord.locales import CatalogTranslator
from bot.i18n import _, use_locale

log = logging.getLogger("cryptowire.discord.client")


def minimal_intents() -> discord.Intents:
    """Slash commands need no message content or members: guilds only (channel cache)."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class CryptowireClient(discord.Client):
    """A ``discord.Client`` with one command tree holding Cryptowire's slash commands."""

    def __init__(
        self,
        commands: Sequence[app_commands.Command],
        *,
        guild_ids: Sequence[int] = (),
        guild_ready_timeout: float = 2.0,
        max_ratelimit_timeout: float = 30.0,
        sync_commands: bool = True,
    ) -> None:
        # A text-only bot: discord.py's one-time "voice will NOT be supported" warnings
        # (it clears these flags itself after warning) would only alarm operators.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=minimal_intents(),
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=max_ratelimit_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
        )
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.guild_ids = tuple(guild_ids)
        self.sync_commands = sync_commands
        self.synced: list[str] = []
        for command in commands:
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        """Sync the commands: instantly to the configured guilds, else globally (~1 h).

        A send-only client (``sync_commands=False``) must not sync: an empty tree would
        erase the bot's commands everywhere.
        """
        if not self.sync_commands:
            return
        await self.tree.set_translator(CatalogTranslator())
        try:
            if self.guild_ids:
                for guild_id in self.guild_ids:
                    guild = discord.Object(id=guild_id)
                    self.tree.copy_global_to(guild=guild)
                    synced = await self.tree.sync(guild=guild)
                    self.synced.extend(f"{guild_id}:{c.name}" for c in synced)
            else:
                synced = await self.tree.sync()
                self.synced.extend(c.name for c in synced)
        except discord.HTTPException as exc:
            # Missing the applications.commands scope in one guild must not stop alerts.
            log.warning("could not sync slash commands: HTTP %s (code %s)", exc.status, exc.code)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Errors outside our handlers (bad option values, unknown command): one line."""
        log.warning("app command error: %s", type(error).__name__)
        with use_locale(str(interaction.locale.value)):
            text = _("That command could not be run; check its options and try again.")
            if isinstance(error, app_commands.CommandNotFound):
                text = _("This command is not available any more; Discord may still be updating.")
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not report an app command error", exc_info=True)
