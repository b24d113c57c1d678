"""Who may change a group's or a channel's subscriptions: its administrators, asked of Telegram.

``getChatAdministrators`` is cached for a few minutes per chat (an injectable clock keeps the
expiry testable) so a busy group does not cost one API call per command. A chat whose admins
cannot be fetched is treated as "not an admin" (fail closed) and the failure is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import Bot, Chat, ChatFullInfo, ChatMember, Message
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.i18n import _

log = logging.getLogger(__name__)

ADMIN_TTL_S = 300.0
_ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}
# Telegram's "GroupAnonymousBot": messages of anonymous group admins come from this user.
ANONYMOUS_ADMIN_BOT_ID = 1087968824


@dataclass(frozen=True, slots=True)
class ChatAdmins:
    """A chat's administrators at one moment; ``can_post`` is the bot's own right to post."""

    user_ids: frozenset[int]
    fetched_at: float
    bot_can_post: bool


class AdminCache:
    """Cached answers to "is this user an administrator of this chat?"."""

    def __init__(
        self,
        fetch: Callable[[int | str], Awaitable[Sequence[ChatMember]]],
        *,
        bot_id: Callable[[], int],
        ttl_s: float = ADMIN_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._bot_id = bot_id
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[int | str, ChatAdmins] = {}

    @classmethod
    def for_bot(cls, bot: Bot, **kwargs: float | Callable[[], float]) -> AdminCache:
        return cls(bot.get_chat_administrators, bot_id=lambda: bot.id, **kwargs)  # type: ignore[arg-type]

    async def admins(self, chat_id: int | str) -> ChatAdmins:
        """The chat's admins, from the cache when fresh; raises TelegramError on failure."""
        cached = self._cache.get(chat_id)
        now = self._clock()
        if cached is not None and now - cached.fetched_at < self._ttl:
            return cached
        members = await self._fetch(chat_id)
        ids = frozenset(m.user.id for m in members if m.status in _ADMIN_STATUSES)
        bot_id = self._bot_id()
        bot_member = next((m for m in members if m.user.id == bot_id), None)
        can_post = bot_member is not None and (
            bot_member.status == ChatMemberStatus.OWNER
            or getattr(bot_member, "can_post_messages", None) is not False
        )
        admins = ChatAdmins(ids, now, can_post)
        self._cache[chat_id] = admins
        return admins

    async def is_admin(self, chat_id: int | str, user_id: int) -> bool:
        """True for an administrator; False for anyone else or when Telegram cannot tell."""
        try:
            admins = await self.admins(chat_id)
        except TelegramError as exc:
            log.warning("cannot list administrators of chat %s: %s", chat_id, exc)
            return False
        return user_id in admins.user_ids

    def forget(self, chat_id: int | str) -> None:
        """Drop a chat's entry (e.g. after a my_chat_member change)."""
        self._cache.pop(chat_id, None)


async def may_manage(
    admins: AdminCache, chat: Chat, message: Message | None, user_id: int | None = None
) -> bool:
    """Private chats: yes. Posts in a channel and anonymous group admins write as the
    chat itself: yes. Anyone else (a group member, someone tapping a button under a
    channel post): only the chat's administrators, asked of Telegram."""
    if chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    if user_id is None:
        user_id = message.from_user.id if message is not None and message.from_user else None
    return user_id is not None and await admins.is_admin(chat.id, user_id)


async def resolve_channel(
    admins: AdminCache, name: str, user_id: int, bot: Bot
) -> tuple[ChatFullInfo | None, str | None]:
    """Find ``@name`` (or -100id) and check the user administers it and the bot can post."""
    try:
        chat = await bot.get_chat(name)
    except TelegramError as exc:
        log.info("telegram: cannot resolve %s: %s", name, exc)
        return None, _(
            "I can't find {chat}. Add me to it as an administrator, then try again.", chat=name
        )
    if chat.type == ChatType.PRIVATE:
        return None, _("{chat} is a person, not a channel or group.", chat=name)
    try:
        listed = await admins.admins(chat.id)
    except TelegramError as exc:
        log.info("telegram: cannot list admins of %s: %s", name, exc)
        return (
            None,
            _(
                "I can't see who administers {chat}: make me an administrator there first.",
                chat=name,
            ),
        )
    if user_id not in listed.user_ids:
        return None, _("Only administrators of {chat} can change its subscriptions.", chat=name)
    if chat.type == ChatType.CHANNEL and not listed.bot_can_post:
        return (
            None,
            _(
                "I can't post in {chat}: make me an administrator allowed to post messages.",
                chat=name,
            ),
        )
    return chat, None
