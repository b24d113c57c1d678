"""Build the updates a Telegram user would cause, and queue them for ``getUpdates``.

Mixed into ``FakeBotApi``: tests write ``fake.command(chat, user, "/subscribe BTC")`` or
``fake.press(chat_id, message_id, data, user)`` and the real PTB receives them by polling.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_state import JSON, FakeChat, member_dict, user_dict

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class UpdateBuilder:
    """The update queue and the helpers that fill it."""

    bot: JSON
    users: dict[int, JSON]
    chats: dict[int, FakeChat]
    messages: dict[tuple[int, int], JSON]
    next_message_id: Callable[[int], int]  # provided by FakeBotApi

    def __init__(self) -> None:
        self.updates: list[JSON] = []
        self.updates_arrived = asyncio.Event()
        self._update_ids: Iterator[int] = itertools.count(1)
        self._callback_ids: Iterator[int] = itertools.count(1)

    def enqueue(self, kind: str, payload: JSON) -> int:
        """Queue one update of ``kind`` (message, channel_post, callback_query...)."""
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, kind: payload})
        self.updates_arrived.set()
        return update_id

    def private_chat(
        self, user_id: int, first_name: str = "Alice", username: str | None = None
    ) -> FakeChat:
        """A user and their private chat with the bot (same id, as on Telegram)."""
        self.users[user_id] = user_dict(user_id, first_name, username)
        chat = FakeChat(user_id, "private", first_name=first_name, username=username)
        self.chats[user_id] = chat
        return chat

    def group(
        self, chat_id: int, title: str, *, admins: dict[int, str] | None = None, forum: bool = False
    ) -> FakeChat:
        chat = FakeChat(chat_id, "supergroup", title=title, is_forum=forum, admins=admins or {})
        self.chats[chat_id] = chat
        return chat

    def channel(
        self, chat_id: int, title: str, username: str, *, admins: dict[int, str] | None = None
    ) -> FakeChat:
        chat = FakeChat(chat_id, "channel", title=title, username=username, admins=admins or {})
        self.chats[chat_id] = chat
        return chat

    def _message(self, chat: FakeChat, text: str, **extra: Any) -> JSON:
        message: JSON = {
            "message_id": self.next_message_id(chat.id),
            "date": int(time.time()),
            "chat": chat.as_dict(),
            "text": text,
            **extra,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self.messages[(chat.id, message["message_id"])] = message
        return message

    def command(
        self,
        chat: FakeChat,
        user_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
    ) -> int:
        """A user (or an anonymous admin: ``sender_chat``) sends ``text`` in ``chat``."""
        sender = self.users.get(user_id) or user_dict(user_id, f"User {user_id}")
        extra: JSON = {"from": sender}
        if thread_id is not None:
            extra["message_thread_id"] = thread_id
            extra["is_topic_message"] = chat.is_forum
        if sender_chat is not None:
            extra["sender_chat"] = sender_chat.as_dict()
        return self.enqueue("message", self._message(chat, text, **extra))

    def channel_post(self, channel: FakeChat, text: str) -> int:
        """A post in a channel, written by one of its admins (sender is the channel)."""
        message = self._message(channel, text, sender_chat=channel.as_dict())
        return self.enqueue("channel_post", message)

    def membership(self, chat: FakeChat, by_user: int, old: str, new: str) -> int:
        """The bot's own status in ``chat`` changes (added, promoted, removed) by a user."""
        change = {
            "chat": chat.as_dict(),
            "from": self.users.get(by_user) or user_dict(by_user, f"User {by_user}"),
            "date": int(time.time()),
            "old_chat_member": member_dict(self.bot, old),
            "new_chat_member": member_dict(self.bot, new),
        }
        return self.enqueue("my_chat_member", change)

    def press(self, chat_id: int, message_id: int, data: str, user_id: int) -> int:
        """A user taps the inline button carrying ``data`` under the bot's message."""
        message = self.messages[(chat_id, message_id)]
        buttons = [
            button.get("callback_data")
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]
        if data not in buttons:
            raise AssertionError(
                f"no button with data {data!r} under message {message_id}: {buttons}"
            )
        public = {key: value for key, value in message.items() if not key.startswith("_")}
        query = {
            "id": str(next(self._callback_ids)),
            "from": self.users.get(user_id) or user_dict(user_id, f"User {user_id}"),
            "chat_instance": f"ci{chat_id}",
            "message": public,
            "data": data,
        }
        return self.enqueue("callback_query", query)

    @staticmethod
    def buttons(message: JSON) -> list[list[tuple[str, str]]]:
        """The inline keyboard under a message as rows of (label, callback data or url)."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return [
            [
                (button["text"], button.get("callback_data") or button.get("url", ""))
                for button in row
            ]
            for row in rows
        ]
