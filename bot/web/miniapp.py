"""The Telegram Mini App: a touch page where a user manages their private chat's
subscriptions, digest, quiet hours and format. Authentication is the signed ``initData``
sent in the ``X-Telegram-Init-Data`` header (no cookie, so no CSRF); changes run the same
chat commands a user could type, so the rules and the one-line errors are the same."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.models import ChatKind, ChatRef, IncomingCommand, Reply
from bot.web.miniapp_auth import InitDataError, verify
from bot.web.views import ConsoleViews

PLATFORM = "telegram"  # Mini Apps exist on Telegram only; the chat is the user's own
COMMANDS = frozenset({"digest", "quiet", "format", "subscribe", "unsubscribe", "timezone"})
MAX_ARGS = 200
_HERE = Path(__file__).parent
HandleCommand = Callable[[IncomingCommand], Awaitable[Reply]]


class MiniApp:
    """Routes under /miniapp; ``bot_token`` None: the app is off (no Telegram token)."""

    def __init__(
        self, views: ConsoleViews, handle: HandleCommand | None, bot_token: str | None
    ) -> None:
        self.views = views
        self.handle = handle
        self.bot_token = bot_token

    def _user(self, request: web.Request) -> dict[str, Any]:
        if not self.bot_token or self.handle is None:
            raise web.HTTPNotFound(text="the Mini App needs [telegram] token on this bot")
        try:
            return verify(request.headers.get("X-Telegram-Init-Data", ""), self.bot_token)
        except InitDataError as exc:
            raise web.HTTPUnauthorized(text=str(exc)) from None

    async def _chat(self, request: web.Request) -> tuple[dict[str, Any], Any]:
        """The user and their private chat; a chat other than their own is refused."""
        user = self._user(request)
        own = str(user["id"])
        wanted = request.query.get("chat", own)
        if wanted != own:
            raise web.HTTPForbidden(text="you can only manage your own chat here")
        chat = await self.views.storage.chats.find(ChatRef(PLATFORM, own))
        if chat is None:
            raise web.HTTPNotFound(text="send /start to the bot first")
        return user, chat

    async def page(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(
            _HERE / "static" / "miniapp.html", headers={"Cache-Control": "no-store"}
        )

    async def state(self, request: web.Request) -> web.Response:
        _user, chat = await self._chat(request)
        details = await self.views.storage.console.chat(chat.id)
        return web.json_response({"chat": details, "formats": ["compact", "standard", "full"]})

    async def command(self, request: web.Request) -> web.Response:
        user, chat = await self._chat(request)
        body = await _json(request)
        name, args = body.get("command"), body.get("args", "")
        if name not in COMMANDS or not isinstance(args, str) or len(args) > MAX_ARGS:
            raise web.HTTPBadRequest(text=f"command is one of {', '.join(sorted(COMMANDS))}")
        assert self.handle is not None
        reply = await self.handle(
            IncomingCommand(
                chat=chat.ref,
                text=f"/{name} {args}".strip(),
                user_id=str(user["id"]),
                chat_kind=ChatKind.PRIVATE,
                user_name=str(user.get("username") or user.get("first_name") or "")[:100],
            )
        )
        return web.json_response({"reply": reply.text, "error": reply.error})

    async def subscription(self, request: web.Request) -> web.Response:
        user, chat = await self._chat(request)
        raw = request.match_info["sid"]
        body = await _json(request)
        if not raw.isdigit() or len(raw) > 16 or not isinstance(body.get("active"), bool):
            raise web.HTTPBadRequest(text='send {"active": true} or {"active": false}')
        who = (PLATFORM, str(user["id"]))
        on = await self.views.set_subscription(chat.id, int(raw), body["active"], who=who)
        return web.json_response({"active": on})

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/miniapp", self.page),
            web.get("/miniapp/api/state", self.state),
            web.post("/miniapp/api/command", self.command),
            web.post("/miniapp/api/subscriptions/{sid}", self.subscription),
        ]


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="send a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="send a JSON object")
    return body
