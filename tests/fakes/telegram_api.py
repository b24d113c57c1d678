"""A fake Telegram Bot API: a real aiohttp server on 127.0.0.1 that real PTB talks to.

Point python-telegram-bot at ``fake.base_url`` (``http://127.0.0.1:PORT/bot``). The fake
records every call, long-polls ``getUpdates`` like Telegram (queued updates immediately,
otherwise wait up to ``timeout``), checks HTML parse mode and length limits as strictly as
Telegram, answers injected errors in Telegram's exact JSON shape, and can enforce the flood
limits (30 msg/s overall, 1 msg/s per chat) with a time scale for benchmarks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.telegram_html import EntityError, parse_html, utf16_len
from tests.fakes.telegram_state import (
    CHAT_NOT_FOUND,
    JSON,
    SEND_METHODS,
    FakeChat,
    InjectedError,
    RateLimits,
    bad_request,
    decode_params,
    flood,
    member_dict,
    user_dict,
)
from tests.fakes.telegram_updates import UpdateBuilder

NOT_MODIFIED = bad_request(
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """Raised inside a method to answer with a Telegram error body."""

    def __init__(self, body: JSON) -> None:
        super().__init__(body["description"])
        self.body = body


@dataclass
class Call:
    """One request the fake received (params already decoded from form or JSON)."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeBotApi(UpdateBuilder):
    """Start with ``async with FakeBotApi() as fake:``; see the module docstring."""

    def __init__(
        self, token: str = "123456:TEST-token-abcdef", *, strict_chats: bool = False
    ) -> None:
        super().__init__()
        self.token = token
        self.strict_chats = strict_chats
        self.bot = user_dict(4242, "Cryptowire", "cryptowire_test_bot", bot=True)
        self.calls: list[Call] = []
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, JSON] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.pinned: list[tuple[int, int]] = []
        self.bad_photos: set[str] = set()
        self.errors: list[InjectedError] = []
        self.limits: RateLimits | None = None
        self.max_poll_wait: float | None = None
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # ----------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def __aenter__(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        self.updates_arrived.set()
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    # ----------------------------------------------------------------- set-up helpers
    def add_chat(self, chat: FakeChat) -> FakeChat:
        self.chats[chat.id] = chat
        return chat

    def add_user(self, user_id: int, first_name: str = "User", username: str | None = None) -> JSON:
        user = user_dict(user_id, first_name, username)
        self.users[user_id] = user
        return user

    def inject(
        self,
        error: JSON,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        times: int | None = 1,
    ) -> InjectedError:
        """Answer ``error`` instead of the result; method None = every non-polling method."""
        injected = InjectedError(error, method, chat_id, times)
        self.errors.append(injected)
        return injected

    def enforce_limits(self, limits: RateLimits | None = None) -> RateLimits:
        self.limits = limits or RateLimits()
        return self.limits

    # ----------------------------------------------------------------- inspection
    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages_in(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent to a chat, oldest first (with ``_html`` the raw markup)."""
        return [
            message
            for (chat, _), message in sorted(self.messages.items())
            if chat == chat_id and message.get("_by_bot")
        ]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` holds after some call; fail loudly on timeout."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def wait_calls(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        await self.wait_for(lambda: len(self.calls_to(method)) >= count, within)
        return self.calls_to(method)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ----------------------------------------------------------------- HTTP plumbing
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params))
        await self._notify()
        try:
            self._injected(method, params.get("chat_id"))
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError({"ok": False, "error_code": 404, "description": "Not Found"})
            if self.limits is not None and method in SEND_METHODS - {"pinChatMessage"}:
                retry = self.limits.check(params.get("chat_id", ""))
                if retry is not None:
                    raise ApiError(flood(retry))
            result = await handler(params)
        except ApiError as exc:
            return web.json_response(exc.body, status=exc.body["error_code"])
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            raw: dict[str, Any] = await request.json()
        else:
            form = await request.post()
            raw = {}
            for key, value in form.items():
                raw[key] = value if isinstance(value, str) else value.file.read()
        return decode_params(raw)

    def _injected(self, method: str, chat_id: int | str | None) -> None:
        for injected in self.errors:
            if injected.matches(method, chat_id):
                if injected.times is not None:
                    injected.times -= 1
                    if injected.times <= 0:
                        self.errors.remove(injected)
                raise ApiError(injected.error)

    def _chat(self, chat_id: int | str | None) -> FakeChat:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == chat_id[1:].lower():
                    return chat
            raise ApiError(CHAT_NOT_FOUND)
        if not isinstance(chat_id, int):
            raise ApiError(CHAT_NOT_FOUND)
        if chat_id not in self.chats:
            if self.strict_chats:
                raise ApiError(CHAT_NOT_FOUND)
            kind = "private" if chat_id > 0 else "supergroup"
            self.chats[chat_id] = FakeChat(chat_id, kind, first_name=f"User {chat_id}")
        return self.chats[chat_id]

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    @staticmethod
    def public(message: JSON) -> JSON:
        """The message as Telegram returns it (our bookkeeping keys removed)."""
        return {key: value for key, value in message.items() if not key.startswith("_")}

    @staticmethod
    def _visible(params: dict[str, Any], key: str, limit: int, too_long: str) -> str:
        raw = params.get(key, "")
        try:
            text = parse_html(raw) if params.get("parse_mode") == "HTML" else raw
        except EntityError as exc:
            raise ApiError(bad_request(f"can't parse entities: {exc}")) from None
        if utf16_len(text) > limit:
            raise ApiError(bad_request(too_long))
        return text

    # ----------------------------------------------------------------- methods
    async def _m_getMe(self, params: dict[str, Any]) -> JSON:
        return {**self.bot, "can_join_groups": True, "supports_inline_queries": False}

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = float(params.get("timeout") or 0)
        if self.max_poll_wait is not None:
            wait = min(wait, self.max_poll_wait)
        if offset:
            self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + wait
        while not self.updates and not self._closing and time.monotonic() < deadline:
            self.updates_arrived.clear()
            try:
                await asyncio.wait_for(self.updates_arrived.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self.updates[:limit]

    async def _m_sendMessage(self, params: dict[str, Any]) -> JSON:
        chat = self._chat(params.get("chat_id"))
        if not params.get("text"):
            raise ApiError(bad_request("message text is empty"))
        text = self._visible(params, "text", 4096, "message is too long")
        return self._store(chat, params, text=text, _html=params["text"])

    async def _m_sendPhoto(self, params: dict[str, Any]) -> JSON:
        chat = self._chat(params.get("chat_id"))
        photo = params.get("photo")
        if not photo or (isinstance(photo, str) and photo in self.bad_photos):
            raise ApiError(bad_request("wrong file identifier/HTTP URL specified"))
        caption = self._visible(params, "caption", 1024, "message caption is too long")
        sizes = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 800, "height": 450}]
        return self._store(
            chat, params, photo=sizes, caption=caption, _html=params.get("caption", ""), _url=photo
        )

    def _store(self, chat: FakeChat, params: dict[str, Any], **content: Any) -> JSON:
        reply = params.get("reply_parameters") or {}
        if reply and (chat.id, reply.get("message_id")) not in self.messages:
            if not reply.get("allow_sending_without_reply"):
                raise ApiError(bad_request("message to be replied not found"))
            reply = {}
        message: JSON = {
            "message_id": self.next_message_id(chat.id),
            "date": int(time.time()),
            "chat": chat.as_dict(),
            "from": self.bot,
            **content,
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = chat.is_forum
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        message["_link_preview_options"] = params.get("link_preview_options")
        message["_by_bot"] = True
        message["_reply_to"] = reply.get("message_id")
        self.messages[(chat.id, message["message_id"])] = message
        return self.public(message)

    def _existing(self, params: dict[str, Any]) -> JSON:
        chat = self._chat(params.get("chat_id"))
        message = self.messages.get((chat.id, params.get("message_id", 0)))
        if message is None:
            raise ApiError(bad_request("message to edit not found"))
        return message

    def _edit(self, message: JSON, key: str, text: str, params: dict[str, Any]) -> JSON:
        markup = params.get("reply_markup")
        if (
            message.get(key) == text
            and message["_html"] == params.get(key, "")
            and markup == message.get("reply_markup")
        ):
            raise ApiError(NOT_MODIFIED)
        message[key] = text
        message["_html"] = params.get(key, "")
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return self.public(message)

    async def _m_editMessageText(self, params: dict[str, Any]) -> JSON:
        message = self._existing(params)
        if "text" not in message:
            raise ApiError(bad_request("there is no text in the message to edit"))
        text = self._visible(params, "text", 4096, "message is too long")
        return self._edit(message, "text", text, params)

    async def _m_editMessageCaption(self, params: dict[str, Any]) -> JSON:
        message = self._existing(params)
        if "photo" not in message:
            raise ApiError(bad_request("there is no caption in the message to edit"))
        caption = self._visible(params, "caption", 1024, "message caption is too long")
        return self._edit(message, "caption", caption, params)

    async def _m_editMessageMedia(self, params: dict[str, Any]) -> JSON:
        """Replace a photo (by URL, as we send them) and its caption in one call."""
        message = self._existing(params)
        media = params.get("media") or {}
        url = media.get("media")
        if media.get("type") != "photo" or not isinstance(url, str):
            raise ApiError(bad_request("can't parse InputMedia: media type is not supported"))
        if "photo" not in message:
            raise ApiError(bad_request("there is no media in the message to edit"))
        if url in self.bad_photos:
            raise ApiError(bad_request("wrong file identifier/HTTP URL specified"))
        caption = self._visible(media, "caption", 1024, "message caption is too long")
        if message.get("_url") == url and message.get("_html") == media.get("caption", ""):
            raise ApiError(NOT_MODIFIED)
        message.update(caption=caption, _html=media.get("caption", ""), _url=url)
        message["edit_date"] = int(time.time())
        return self.public(message)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> JSON:
        message = self._existing(params)
        if params.get("reply_markup") == message.get("reply_markup"):
            raise ApiError(NOT_MODIFIED)
        message["reply_markup"] = params.get("reply_markup")
        return self.public(message)

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        for command in params.get("commands", []):
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32) or not all(
                c.islower() or c.isdigit() or c == "_" for c in name
            ):
                raise ApiError(bad_request("BOT_COMMAND_INVALID"))
            if not 1 <= len(description) <= 256:
                raise ApiError(bad_request("BOT_COMMAND_DESCRIPTION_INVALID"))
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[scope] = list(params.get("commands", []))
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> list[JSON]:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get(scope, [])

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if len(params.get("text") or "") > 200:
            raise ApiError(bad_request("MESSAGE_TOO_LONG"))
        return True

    async def _m_getChat(self, params: dict[str, Any]) -> JSON:
        return self._chat(params.get("chat_id")).full_info()

    def _member(self, chat: FakeChat, user_id: int) -> JSON:
        user = self.bot if user_id == self.bot["id"] else self.users.get(user_id)
        user = user or user_dict(user_id, f"User {user_id}")
        return member_dict(user, chat.admins.get(user_id, "member"))

    async def _m_getChatMember(self, params: dict[str, Any]) -> JSON:
        chat = self._chat(params.get("chat_id"))
        return self._member(chat, int(params.get("user_id", 0)))

    async def _m_getChatAdministrators(self, params: dict[str, Any]) -> list[JSON]:
        chat = self._chat(params.get("chat_id"))
        if chat.type == "private":
            raise ApiError(bad_request("there are no administrators in the private chat"))
        return [self._member(chat, user_id) for user_id in chat.admins]

    async def _m_pinChatMessage(self, params: dict[str, Any]) -> bool:
        message = self._existing(params)
        self.pinned.append((message["chat"]["id"], message["message_id"]))
        return True
