"""A minimal Bot API look-alike, answering the way local emulators do rather than Telegram.

Modelled on what the npm package ``telegram-test-api`` (4.2) answers, read from its
documentation and tried by hand: a handful of methods (getMe, getUpdates, sendMessage,
editMessageText, deleteWebhook, setWebhook, deleteMessage, answerCallbackQuery); ``getMe``
without ``is_bot``; ``sendMessage`` echoing the request's form fields as the message, with
``date`` in milliseconds and objects such as ``link_preview_options`` still JSON strings;
``getUpdates`` answering at once with everything unread; any other method a 500 with
``{"message": "API method '...' is not supported..."}``. A bot has to work against this too.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

Json = dict[str, Any]


class LookalikeBotApi:
    """Run with ``async with``; ``token`` and ``base_url`` go to the bot's config."""

    token = "123456:LOOKALIKE-abcdefghijklmnopqrstuvwx"

    def __init__(self) -> None:
        self.unread: list[Json] = []
        self.sent: list[Json] = []  # what the bot sent, as the look-alike stored it
        self.refused: list[str] = []  # methods it does not have, in call order
        self.polls = 0
        self._update_id = 1
        self._message_id = 1
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> LookalikeBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def command(self, user_id: int, text: str) -> None:
        """A user sends a command in their private chat."""
        end = text.find(" ")
        person = {"id": user_id, "first_name": f"User{user_id}", "is_bot": False}
        message = {
            "message_id": self._message_id,
            "from": person,
            "chat": {"id": user_id, "first_name": person["first_name"], "type": "private"},
            "date": int(time.time()),
            "text": text,
            "entities": [
                {"offset": 0, "length": end if end > 0 else len(text), "type": "bot_command"}
            ],
        }
        self.unread.append({"update_id": self._update_id, "message": message})
        self._update_id += 1
        self._message_id += 1

    def texts_to(self, chat_id: int) -> list[str]:
        return [m.get("text", "") for m in self.sent if str(m.get("chat_id")) == str(chat_id)]

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: Json = dict(await request.post()) if request.can_read_body else {}
        if method == "getMe":
            return _ok({"id": 666, "first_name": "Test First name", "username": "TestNameBot"})
        if method == "getUpdates":
            self.polls += 1
            updates, self.unread = self.unread, []
            return _ok(updates)
        if method == "sendMessage":
            message = {
                **params,
                "message_id": self._message_id,
                "date": int(time.time() * 1000),  # milliseconds, as the look-alike does
                "chat": {"id": int(params["chat_id"]), "first_name": "Bot", "type": "private"},
            }
            self._message_id += 1
            self.sent.append(message)
            return _ok(message)
        if method in ("deleteWebhook", "setWebhook", "deleteMessage", "answerCallbackQuery"):
            return _ok(True)
        if method == "editMessageText":
            return _ok(None)
        self.refused.append(method)
        text = f"API method '{method}' is not supported. Are you sure you're using Telegram?"
        return web.json_response({"message": text}, status=500)


def _ok(result: Any) -> web.Response:
    return web.Response(
        text=json.dumps({"ok": True, "result": result}), content_type="application/json"
    )
