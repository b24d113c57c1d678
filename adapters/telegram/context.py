"""Turn a Telegram message into the core's terms: command text, chat reference, chat kind.

Pure functions over PTB objects, shared by the command and the button handlers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Chat, Message, Update
from telegram.constants import ChatType

from bot.models import ChatKind, ChatRef

PLATFORM = "telegram"
# "@name" or a numeric "-100..." id given as the first argument names a channel (or group)
# that an admin configures from a private chat.
_TARGET = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-100\d{5,})$")
# Commands that change or show a chat's own settings, and so may name another chat.
TARGETABLE = frozenset(
    {"subscribe", "unsubscribe", "subscriptions", "digest", "quiet", "timezone", "mute"}
)


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """``/name@bot rest`` split up; ``text`` is what the core receives ("/name rest")."""

    name: str
    rest: str

    @property
    def text(self) -> str:
        return f"/{self.name} {self.rest}".strip()

    @property
    def args(self) -> list[str]:
        return self.rest.split()


def parse_command(text: str, bot_username: str | None) -> ParsedCommand | None:
    """Split a command; None when it is addressed to another bot ("/help@OtherBot")."""
    head, _, rest = text.strip().partition(" ")
    if not head.startswith("/") or len(head) < 2:
        return None
    name, _, addressee = head[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return ParsedCommand(name.lower(), " ".join(rest.split()) if rest.strip() else "")


def chat_kind(chat: Chat) -> ChatKind:
    if chat.type == ChatType.CHANNEL:
        return ChatKind.CHANNEL
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return ChatKind.GROUP
    return ChatKind.PRIVATE


def thread_of(message: Message) -> str | None:
    """The forum topic a message was written in (plain reply threads do not count)."""
    if message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


def chat_ref(chat: Chat, message: Message | None = None) -> ChatRef:
    return ChatRef(PLATFORM, str(chat.id), thread_of(message) if message else None)


def target_argument(command: ParsedCommand) -> str | None:
    """The channel an admin names in ``/subscribe @channel BTC``, if any."""
    args = command.args
    if command.name in TARGETABLE and args and _TARGET.match(args[0]):
        return args[0]
    return None


def sender_id(message: Message) -> str:
    """The user behind a message; for channel posts and anonymous admins, the sender chat."""
    if message.sender_chat is not None:
        return str(message.sender_chat.id)
    return str(message.from_user.id) if message.from_user else ""


def sender_name(message: Message) -> str | None:
    if message.sender_chat is not None:
        return message.sender_chat.title or message.sender_chat.username
    user = message.from_user
    if user is None:
        return None
    return f"@{user.username}" if user.username else user.full_name


def describe(update: object) -> str:
    """Update id, chat and command for logs (never message bodies beyond the command)."""
    if not isinstance(update, Update):
        return f"update={type(update).__name__}"
    parts = [f"update={update.update_id}"]
    if update.effective_chat is not None:
        parts.append(f"chat={update.effective_chat.id}")
    if update.effective_user is not None:
        parts.append(f"user={update.effective_user.id}")
    message = update.effective_message
    if update.callback_query is not None:
        parts.append(f"button={update.callback_query.data!r}")
    elif message is not None and message.text and message.text.startswith("/"):
        parts.append(f"command={message.text.split(maxsplit=1)[0]!r}")
    return " ".join(parts)
