"""The state behind the fake Discord: guilds, channels, users and payload builders.

Kept apart from the HTTP/gateway server (``discord_api.py``) so each file has one job;
payloads follow Discord's API v10 shapes closely enough for discord.py to parse them.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TEXT, DM, NEWS, THREAD, FORUM = 0, 1, 5, 11, 15
EPHEMERAL = 64
VIEW, SEND, EMBED = 1 << 10, 1 << 11, 1 << 14
THREADS = (1 << 35) | (1 << 38)  # create public threads, send messages in threads
EVERYONE_PERMISSIONS = VIEW | SEND | EMBED | THREADS | (1 << 16)


@dataclass
class Failure:
    """An error the fake answers for one channel, ``times`` times (None = always)."""

    status: int
    code: int
    retry_after: float | None = None
    via: bool = True
    times: int | None = None


@dataclass
class Answer:
    """Everything the bot did to answer one interaction."""

    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    deleted_original: bool = False
    acknowledged: asyncio.Event = field(default_factory=asyncio.Event)
    deleted: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def deferred(self) -> bool:
        return any(c["type"] == 5 for c in self.callbacks)

    @property
    def visible(self) -> dict[str, Any]:
        """The message the user finally sees (direct answer, edited original or followup)."""
        if self.followups:
            return self.followups[-1]
        if self.original is not None:
            return self.original
        return self.callbacks[-1].get("data") or {}

    @property
    def ephemeral(self) -> bool:
        if self.followups:
            return bool(self.followups[-1].get("flags", 0) & EPHEMERAL)
        first = self.callbacks[0].get("data") or {}
        return bool(first.get("flags", 0) & EPHEMERAL)

    @property
    def content(self) -> str:
        return self.visible.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.visible.get("embeds") or []


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class RateLimits:
    """Discord's limits for posting, enforced when a test asks: a global budget per second
    and a per-channel budget per 5 seconds. ``refused`` counts the 429s handed out."""

    global_per_s: int = 50
    channel_per_5s: int = 5
    accepted: int = 0
    refused: int = 0
    _global: list[float] = field(default_factory=list)
    _channels: dict[str, list[float]] = field(default_factory=dict)

    def admit(self, channel_id: str, now: float) -> float | None:
        """None when the post is within limits, else the seconds to wait."""
        self._global[:] = [t for t in self._global if now - t < 1.0]
        recent = self._channels.setdefault(channel_id, [])
        recent[:] = [t for t in recent if now - t < 5.0]
        if len(self._global) >= self.global_per_s:
            self.refused += 1
            return 1.0 - (now - self._global[0])
        if len(recent) >= self.channel_per_5s:
            self.refused += 1
            return 5.0 - (now - recent[0])
        self._global.append(now)
        recent.append(now)
        self.accepted += 1
        return None


class DiscordState:
    """What the fake Discord knows and records; the server in ``discord_api`` serves it."""

    def __init__(self) -> None:
        self._ids = itertools.count(1_000_000_000_000_000)
        self.app_id = str(self.new_id())
        self.bot_user = {
            "id": self.app_id,
            "username": "cryptowire",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
        }
        self.guilds: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.answers: dict[str, Answer] = {}
        self.failures: dict[str, Failure] = {}

    def new_id(self) -> int:
        return next(self._ids)

    # -- arrange -----------------------------------------------------------------------------

    def add_guild(self, name: str = "Crypto Club") -> str:
        gid = str(self.new_id())
        everyone = {
            "id": gid,
            "name": "@everyone",
            "permissions": str(EVERYONE_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        self.guilds[gid] = {
            "id": gid,
            "name": name,
            "owner_id": str(self.new_id()),
            "roles": [everyone],
            "channels": [],
            "threads": [],
            "members": [  # Discord always sends the bot's own member
                {
                    "user": self.bot_user,
                    "roles": [],
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "joined_at": _now(),
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 3,
            "unavailable": False,
            "large": False,
            "joined_at": _now(),
        }
        return gid

    def add_role(self, guild_id: str, name: str) -> str:
        rid = str(self.new_id())
        self.guilds[guild_id]["roles"].append(
            {
                "id": rid,
                "name": name,
                "permissions": "0",
                "position": 1,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": True,
                "flags": 0,
            }
        )
        return rid

    def add_channel(self, guild_id: str, name: str, kind: int = TEXT) -> str:
        cid = str(self.new_id())
        channel = {
            "id": cid,
            "type": kind,
            "guild_id": guild_id,
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if kind == FORUM:
            channel.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
            )
        self.guilds[guild_id]["channels"].append(channel)
        self.channels[cid] = channel
        return cid

    def add_dm(self, user: dict[str, Any]) -> str:
        cid = str(self.new_id())
        self.channels[cid] = {"id": cid, "type": DM, "recipients": [user], "last_message_id": None}
        return cid

    def user(self, name: str = "alice") -> dict[str, Any]:
        return {
            "id": str(self.new_id()),
            "username": name,
            "discriminator": "0",
            "global_name": name.title(),
            "avatar": None,
        }

    def fail(self, channel_id: str, failure: Failure) -> None:
        self.failures[channel_id] = failure

    # -- act ---------------------------------------------------------------------------------

    def interaction(
        self,
        command: str,
        options: list[dict[str, Any]],
        *,
        channel_id: str,
        user: dict[str, Any],
        permissions: int = 0,
        kind: int = 2,
        resolved: dict[str, Any] | None = None,
        locale: str = "en-US",
        guild_locale: str = "en-US",
    ) -> dict[str, Any]:
        channel = self.channels[channel_id]
        guild_id = channel.get("guild_id")
        scope = guild_id if guild_id in self.commands else "global"
        spec = next(c for c in self.commands.get(scope, []) if c["name"] == command)
        payload: dict[str, Any] = {
            "id": str(self.new_id()),
            "application_id": self.app_id,
            "type": kind,
            "token": f"tok{self.new_id()}",
            "version": 1,
            "channel_id": channel_id,
            "channel": channel,
            "locale": locale,
            "entitlements": [],
            "app_permissions": str(0xFFFFFFFF),
            "attachment_size_limit": 8388608,
            "data": {
                "id": spec["id"],
                "name": command,
                "type": 1,
                "options": options,
                "resolved": resolved or {},
            },
        }
        if guild_id:
            payload["guild_id"] = guild_id
            payload["guild_locale"] = guild_locale
            payload["authorizing_integration_owners"] = {"0": guild_id}
            payload["context"] = 0
            payload["member"] = {
                "user": user,
                "roles": [],
                "joined_at": _now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions),
            }
            payload["data"]["guild_id"] = guild_id
        else:
            payload["user"] = user
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": user["id"]}
        return payload

    def message(self, channel_id: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "id": str(self.new_id()),
            "channel_id": channel_id,
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
            "embeds": body.get("embeds") or [],
            "type": 0,
            "flags": body.get("flags", 0),
            "allowed_mentions": body.get("allowed_mentions"),
            **extra,
        }
