"""Answers of Bot API look-alikes read as Telegram's own.

Local Bot API emulators that people test bots against (for example the npm package
``telegram-test-api``) answer a little differently from Telegram: ``getMe`` without
``is_bot``, message dates in milliseconds, the request's own form fields echoed back as
the sent message (objects such as ``link_preview_options`` still JSON-encoded strings),
errors as ``{"message": ...}`` with no ``description``. python-telegram-bot rejects the
first three (a TypeError at start-up, an error on every message sent), so the bot could
not even start against them. Each such answer is put right here, before PTB reads it;
Telegram's own answers pass untouched after a search of their bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

# a Unix time in seconds has 10 digits until the year 2286; 12 or more is milliseconds
_MILLISECOND_DATE = re.compile(rb'"(?:date|edit_date|forward_date)"\s*:\s*\d{12,}')
_DATE_KEYS = frozenset({"date", "edit_date", "forward_date"})
# fields Telegram always sends as objects or arrays, echoed by some emulators as the
# JSON-encoded strings of the request's form
_OBJECT_KEYS = frozenset(
    {"link_preview_options", "reply_parameters", "reply_markup", "entities", "caption_entities"}
)
_ENCODED_OBJECT = re.compile(
    rb'"(?:%s)"\s*:\s*"[\[{]' % b"|".join(k.encode() for k in _OBJECT_KEYS)
)


def normalise_answer(url: str, code: int, payload: bytes) -> bytes:
    """The answer as Telegram would have given it (unchanged when it already is)."""
    if 200 <= code <= 299:
        missing_is_bot = url.endswith("/getMe") and b'"is_bot"' not in payload
        if not (
            missing_is_bot or _MILLISECOND_DATE.search(payload) or _ENCODED_OBJECT.search(payload)
        ):
            return payload
        data = _load(payload)
        if data is None:
            return payload
        result = data.get("result")
        if missing_is_bot and isinstance(result, dict):
            result["is_bot"] = True
        data["result"] = _as_telegram(result)
        return json.dumps(data).encode()
    if b'"description"' in payload or b'"message"' not in payload:
        return payload
    data = _load(payload)
    if data is None or not isinstance(data.get("message"), str):
        return payload
    return json.dumps({"ok": False, "error_code": code, "description": data["message"]}).encode()


def _load(payload: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _as_telegram(value: Any) -> Any:
    """Dates in milliseconds as seconds, JSON-encoded objects decoded, anywhere in a result."""
    if isinstance(value, dict):
        return {key: _field(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_telegram(item) for item in value]
    return value


def _field(key: str, item: Any) -> Any:
    if key in _DATE_KEYS and isinstance(item, int) and item >= 10**11:
        return item // 1000
    if key in _OBJECT_KEYS and isinstance(item, str) and item[:1] in ("{", "["):
        try:
            item = json.loads(item)
        except ValueError:
            return item
    return _as_telegram(item)
