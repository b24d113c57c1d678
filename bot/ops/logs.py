"""Logging set-up: readable lines for people, JSON lines for machines, secrets always masked.

Libraries log request URLs (the Telegram Bot API puts the token in the path), so every
record passes a filter that replaces registered secrets, and any credential in a URL
(``user:password@``, ``?token=``), before any handler sees it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from bot.config import mask_url

MASK = "***"


class SecretMasker(logging.Filter):
    """Replace every registered secret in a record's final message and arguments."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6:
            self._secrets.add(secret)

    def mask(self, text: str) -> str:
        """Registered secrets, then every credential a URL carries (``mask_url``)."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return mask_url(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad format arguments: the handler reports them as logging does
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if self.mask(text) != text:
                record.exc_text, record.exc_info = self.mask(text), None
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line with time, level, logger, message and extras."""

    _RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in self._RESERVED and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


MASKER = SecretMasker()


def configure_logging(*, verbosity: int = 0, json_lines: bool = False) -> SecretMasker:
    """Configure the root logger once; -v/-q move the level, --log-json switches format."""
    level = {-2: logging.ERROR, -1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}.get(
        max(-2, min(1, verbosity)), logging.INFO
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MASKER)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Chatty libraries stay at WARNING unless -v is given.
    for noisy in (
        "httpx",
        "httpcore",
        "apscheduler",
        "telegram",
        "discord",
        "aiosqlite",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity > 0 else logging.WARNING)
    return MASKER
