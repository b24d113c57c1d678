"""Data the fake Bot API keeps: users, chats with their admins, injected errors, rate limits.

Separate from the HTTP server so the server module stays about request handling; every
dictionary produced here has the shape the real Bot API returns (python-telegram-bot parses
them with its own ``de_json``).
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

BLOCKED: JSON = {
    "ok": False,
    "error_code": 403,
    "description": "Forbidden: bot was blocked by the user",
}
KICKED: JSON = {
    "ok": False,
    "error_code": 403,
    "description": "Forbidden: bot was kicked from the group chat",
}
CHAT_NOT_FOUND: JSON = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: chat not found",
}
SERVER_ERROR: JSON = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
BAD_PHOTO: JSON = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: wrong file identifier/HTTP URL specified",
}
THREAD_NOT_FOUND: JSON = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: message thread not found",
}


def flood(retry_after: int) -> JSON:
    """A 429 exactly as Telegram sends it."""
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


def bad_request(description: str) -> JSON:
    return {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}


@dataclass
class FakeChat:
    """A chat the fake knows; ``admins`` maps user id to "creator" or "administrator"."""

    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    is_forum: bool = False
    admins: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.is_forum:
            data["is_forum"] = True
        return data

    def full_info(self) -> JSON:
        """getChat answers with ChatFullInfo, which has a few required fields more."""
        return {
            **self.as_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


def user_dict(
    user_id: int, first_name: str, username: str | None = None, *, bot: bool = False
) -> JSON:
    data: JSON = {"id": user_id, "is_bot": bot, "first_name": first_name}
    if username:
        data["username"] = username
    return data


def member_dict(user: JSON, status: str) -> JSON:
    """A ChatMember of the given status with every field PTB requires for it."""
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        rights = (
            "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
            "can_change_info can_invite_users can_post_stories can_edit_stories "
            "can_delete_stories can_post_messages can_edit_messages can_pin_messages"
        ).split()
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **dict.fromkeys(rights, True),
        }
    if status == "left":
        return {"status": "left", "user": user}
    return {"status": "member", "user": user}


@dataclass
class InjectedError:
    """An error answered instead of the method's result, ``times`` times (None: forever)."""

    error: JSON
    method: str | None = None
    chat_id: int | str | None = None
    times: int | None = 1

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.method is None and method in UNINJECTED:
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)


UNINJECTED = frozenset({"getUpdates", "getMe", "deleteWebhook", "setWebhook", "setMyCommands"})
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "pinChatMessage",
    }
)


class RateLimits:
    """Telegram's flood limits: ``per_second`` sends overall, one per ``per_chat_s`` per chat,
    and (when ``group_per_minute`` is set) that many per minute to one group or channel.

    ``time_scale`` > 1 runs the platform clock faster than real time (a benchmark can fan out
    10,000 chats at "30 msg/s" in a fraction of the wall time); ``slack`` tolerates timing
    jitter as a fraction of the window. Every refusal is counted in ``refused``.
    """

    def __init__(
        self,
        *,
        per_second: int = 30,
        per_chat_s: float = 1.0,
        group_per_minute: int | None = None,
        time_scale: float = 1.0,
        slack: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.per_chat_s = per_chat_s
        self.group_per_minute = group_per_minute
        self._group_recent: dict[str, deque[float]] = {}
        self.time_scale = time_scale
        self.slack = slack
        self.clock = clock
        self.refused = 0
        self.accepted = 0
        self._recent: deque[float] = deque()
        self._last_by_chat: dict[str, float] = {}

    def now(self) -> float:
        """Platform seconds (real seconds times the scale)."""
        return self.clock() * self.time_scale

    def _group_window(self, key: str, now: float) -> deque[float] | None:
        """Recent sends to a group or channel (negative ids), trimmed to the last minute."""
        if self.group_per_minute is None or not key.startswith("-"):
            return None
        recent = self._group_recent.setdefault(key, deque())
        while recent and now - recent[0] >= 60.0 * (1.0 - self.slack):
            recent.popleft()
        return recent

    def check(self, chat_id: int | str) -> int | None:
        """Record a send, or return the retry_after (platform seconds) to answer with."""
        now = self.now()
        window = 1.0 - self.slack
        while self._recent and now - self._recent[0] >= window:
            self._recent.popleft()
        key = str(chat_id)
        last = self._last_by_chat.get(key)
        if last is not None and now - last < self.per_chat_s * (1.0 - self.slack):
            self.refused += 1
            return max(1, math.ceil(self.per_chat_s - (now - last)))
        if len(self._recent) >= self.per_second:
            self.refused += 1
            return max(1, math.ceil(window - (now - self._recent[0])))
        group = self._group_window(key, now)
        if group is not None and self.group_per_minute is not None:
            if len(group) >= self.group_per_minute:
                self.refused += 1
                return max(1, math.ceil(60.0 * (1.0 - self.slack) - (now - group[0])))
            group.append(now)
        self._recent.append(now)
        self._last_by_chat[key] = now
        self.accepted += 1
        return None


_JSON_FIELDS = {
    "media",
    "reply_markup",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
    "reply_parameters",
}
_INT_FIELDS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "message_thread_id",
    "user_id",
}
_BOOL_FIELDS = {"show_alert", "disable_notification", "drop_pending_updates", "protect_content"}


def decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Form fields as PTB sends them (objects JSON-encoded, numbers as text) to Python values."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key in _JSON_FIELDS:
            value = json.loads(value)
        elif isinstance(value, str) and key in _INT_FIELDS and value.lstrip("-").isdigit():
            value = int(value)
        elif isinstance(value, str) and key in _BOOL_FIELDS:
            value = value.lower() == "true"
        params[key] = value
    return params
