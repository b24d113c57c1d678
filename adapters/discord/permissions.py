"""Who is asking, and where: an interaction -> the neutral chat, kind and rights.

Discord computes the member's permissions in the channel and sends them with every
interaction, so no extra request (and no privileged intent) is needed to decide.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import discord

from bot.i18n import N_
from bot.models import ChatKind, ChatRef

PLATFORM = "discord"
MANAGE_REFUSAL = N_(
    "You need the Manage Channels permission to change this channel's alerts. "
    "Ask a moderator, or use the command in a DM with me for personal alerts."
)

ADMIN_REFUSAL = N_(
    "Only Cryptowire admins can do that: members with Manage Server, "
    "or users listed in [discord] admins."
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The neutral facts the core needs about one interaction."""

    chat: ChatRef
    kind: ChatKind
    user_id: str
    user_name: str
    can_manage: bool
    is_admin: bool
    title: str | None


def chat_kind(interaction: discord.Interaction) -> ChatKind:
    """DMs are private (alerts belong to the user); server channels are channels."""
    if interaction.guild_id is None:
        channel = interaction.channel
        if isinstance(channel, discord.GroupChannel):
            return ChatKind.GROUP
        return ChatKind.PRIVATE
    return ChatKind.CHANNEL


def _title(interaction: discord.Interaction) -> str | None:
    channel = interaction.channel
    name = getattr(channel, "name", None)
    if interaction.guild_id is None:
        return f"DM with {interaction.user.name}"
    guild = interaction.guild
    guild_name = guild.name if guild is not None and guild.name else None
    if name and guild_name:
        return f"{guild_name} #{name}"
    return f"#{name}" if name else guild_name


def describe(interaction: discord.Interaction, admins: Collection[int]) -> Caller:
    """Translate an interaction into the caller facts used for IncomingCommand.

    In a server: may change the channel's alerts with Manage Channels; is a bot admin
    with Manage Server or when listed in ``[discord] admins``. In a DM: always may
    change their own alerts.
    """
    kind = chat_kind(interaction)
    user = interaction.user
    listed = user.id in set(admins)
    if interaction.guild_id is None:
        can_manage, server_admin = True, False
    else:
        perms = interaction.permissions
        can_manage = perms.manage_channels or perms.administrator
        server_admin = perms.manage_guild or perms.administrator
    channel_id = interaction.channel_id or (interaction.channel.id if interaction.channel else 0)
    return Caller(
        chat=ChatRef(PLATFORM, str(channel_id)),
        kind=kind,
        user_id=str(user.id),
        user_name=user.display_name or user.name,
        can_manage=can_manage or listed,
        is_admin=listed or server_admin,
        title=_title(interaction),
    )
