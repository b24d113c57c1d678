"""Translate python-telegram-bot errors into the core's delivery results.

The dispatcher only understands SENT / RETRY_AFTER / CHAT_GONE / FAILED; this module is the
one place that knows which Telegram answer means which, so ``send`` and ``edit`` never raise.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.context import PLATFORM
from bot.models import ChatRef, DeliveryResult
from bot.ports import CoreServices

log = logging.getLogger("adapters.telegram.handlers")

# BadRequest descriptions (lower case, PTB strips "Bad Request: ") that mean the chat is gone
# for good: the dispatcher deactivates its subscriptions instead of retrying.
_GONE_PHRASES = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "channel_private",
    "group chat was deactivated",
    "have no rights to send a message",
    "need administrator rights in the channel chat",
    "not enough rights to send",
    "message thread not found",
    "topic_closed",
    "topic_deleted",
)
_NOT_MODIFIED = "message is not modified"
# BadRequest descriptions from sendPhoto that blame the picture, not the chat.
_PHOTO_PHRASES = (
    "wrong file identifier",
    "http url",
    "failed to get http url content",
    "wrong type of the web page content",
    "image_process_failed",
    "photo_invalid",
    "photo_ext_invalid",
    "photo_save_file_invalid",
    "wrong remote file",
    "file must be non-empty",
    "webpage_curl_failed",
    "webpage_media_empty",
)


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int in PTB 22 (a timedelta with PTB_TIMEDELTA=1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def is_not_modified(error: TelegramError) -> bool:
    """An edit that changes nothing: the message already shows what we wanted."""
    return isinstance(error, BadRequest) and _NOT_MODIFIED in error.message.lower()


def is_photo_problem(error: TelegramError) -> bool:
    """sendPhoto failed because of the image: fall back to a text message."""
    if not isinstance(error, BadRequest):
        return False
    text = error.message.lower()
    return any(phrase in text for phrase in _PHOTO_PHRASES) and not is_chat_gone(error)


# How servers other than Telegram (local Bot API emulators) say they lack a method; Telegram
# itself has every method the adapter calls.
_UNSUPPORTED_PHRASES = ("is not supported", "method not found", "not implemented", "unknown method")


def is_unsupported_method(error: TelegramError) -> bool:
    """The server has no such method: retrying can never succeed."""
    if isinstance(error, (BadRequest, Forbidden, RetryAfter, ChatMigrated, TimedOut)):
        return False
    text = error.message.lower()
    return any(phrase in text for phrase in _UNSUPPORTED_PHRASES)


def is_chat_gone(error: TelegramError) -> bool:
    if isinstance(error, Forbidden):
        return True
    if isinstance(error, BadRequest):
        text = error.message.lower()
        return any(phrase in text for phrase in _GONE_PHRASES)
    return False


def to_result(error: Exception) -> DeliveryResult:
    """Map any exception raised while sending to the result the dispatcher acts on."""
    if isinstance(error, RetryAfter):
        return DeliveryResult.retry(retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return DeliveryResult.gone(f"group became a supergroup, new chat id {error.new_chat_id}")
    if isinstance(error, TelegramError) and is_chat_gone(error):
        return DeliveryResult.gone(error.message)
    if isinstance(error, InvalidToken):
        return DeliveryResult.failed("Telegram rejected the bot token")
    if isinstance(error, TimedOut):
        return DeliveryResult.failed(f"timed out: {error.message}")
    if isinstance(error, TelegramError):
        # NetworkError covers 5xx answers and transport failures; BadRequest what is left.
        kind = "network" if isinstance(error, NetworkError) else type(error).__name__
        return DeliveryResult.failed(f"{kind}: {error.message}")
    return DeliveryResult.failed(f"unexpected {type(error).__name__}")


async def chat_gone(core: CoreServices, update: object, where: str, error: object) -> bool:
    """True when ``error`` says a command's reply found the chat gone (the user blocked
    the bot, it was kicked): then one log line, and the chat is marked unreachable as a
    failed alert would mark it (its alerts stop until it writes again). Nothing is
    answered: nobody would read it."""
    if not isinstance(error, TelegramError) or not is_chat_gone(error):
        return False
    chat = update.effective_chat if isinstance(update, Update) else None
    log.info("telegram: %s: chat gone (%s); marked unreachable", where, error.message)
    if chat is None or core.chat_gone is None:
        return True
    try:
        await core.chat_gone(ChatRef(PLATFORM, str(chat.id)), error.message)
    except Exception as exc:  # the database may be down: the next failed send marks it
        log.warning("telegram: could not mark chat %s unreachable: %s", chat.id, exc)
    return True


def unanswered(where: str, error: object) -> bool:
    """True when a request made for an update timed out waiting for the Bot API's answer
    (one log line, no traceback): the message may well have arrived, so no apology is
    sent after it (it would wait on the same slow server, and may come second)."""
    if not isinstance(error, TimedOut):
        return False
    log.warning("telegram: %s: the Bot API did not answer in time (%s)", where, error.message)
    return True
