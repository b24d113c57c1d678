"""Telegram Mini App ``initData``: signed by Telegram with a key derived from the bot token
(HMAC-SHA256, per Telegram's "Validating data received via the Mini App"), and fresh."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl

MAX_INIT_DATA = 4096
MAX_AGE_S = 3600.0  # an hour: the page is opened from the button each time
FUTURE_SLACK_S = 60.0


class InitDataError(ValueError):
    """initData missing, forged, stale or malformed: one line, answered 401."""


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The ``hash`` Telegram puts beside ``fields`` (tests forge real initData with it)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def verify(init_data: str, bot_token: str, *, now: float | None = None) -> dict:
    """The Telegram user the signed, fresh ``init_data`` names; InitDataError otherwise."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataError("open this page from the bot's Settings button")
    fields = dict(parse_qsl(init_data, keep_blank_values=True))
    given = fields.pop("hash", "")
    if not hmac.compare_digest(given.encode(), sign(fields, bot_token).encode()):
        raise InitDataError("this Mini App data is not signed by Telegram for this bot")
    now = time.time() if now is None else now
    try:
        age = now - int(fields.get("auth_date", ""))
    except ValueError:
        raise InitDataError("this Mini App data has no auth_date") from None
    if age > MAX_AGE_S or age < -FUTURE_SLACK_S:
        raise InitDataError("this Mini App session is too old; open Settings again")
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        user = None
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise InitDataError("this Mini App data names no user")
    return user
