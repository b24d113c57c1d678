"""A recording fake of Discord's REST API and gateway, served on 127.0.0.1.

The real discord.py talks to it over real HTTP and a real websocket (``[discord]
api_base`` points there; the gateway URL comes from its ``GET /gateway/bot``). Tests
arrange guilds and channels, inject interactions and failures, and read back what the
bot did: messages, embeds, interaction callbacks, synced commands.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_state import (  # re-exported for tests
    DM,
    EMBED,
    EPHEMERAL,
    FORUM,
    SEND,
    TEXT,
    THREAD,
    Answer,
    DiscordState,
    Failure,
    RateLimits,
    _now,
)

__all__ = [
    "DM",
    "EMBED",
    "EPHEMERAL",
    "FORUM",
    "SEND",
    "TEXT",
    "Answer",
    "Failure",
    "FakeDiscord",
    "RateLimits",
]
API = "/api/v10"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON exactly as Discord labels it (discord.py compares the content type verbatim)."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


class FakeDiscord(DiscordState):
    """The fake server; start it with ``await fake.start()`` and stop with ``stop()``."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []
        self.invalid_requests = 0
        self.unhandled: list[str] = []
        self.pinned: list[tuple[str, str]] = []  # (channel id, message id)
        self.identify: dict[str, Any] | None = None
        self.reject_token = False
        self.resumes: list[dict[str, Any]] = []
        self.resumed = asyncio.Event()
        self.stalled: set[str] = set()
        self._closing = asyncio.Event()
        self.limits: RateLimits | None = None
        self.ready = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def deny(self, channel_id: str, permissions: int) -> None:
        """Take permissions from @everyone in one channel; the bot learns by CHANNEL_UPDATE."""
        channel = self.channels[channel_id]
        everyone = channel["guild_id"]
        channel["permission_overwrites"] = [
            {"id": everyone, "type": 0, "allow": "0", "deny": str(permissions)}
        ]
        await self.dispatch("CHANNEL_UPDATE", channel)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self._ws is not None, "the bot is not connected to the gateway"
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def invoke(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel_id: str,
        user: dict[str, Any],
        permissions: int = 0,
        types: dict[str, int] | None = None,
        focused: str | None = None,
        resolved: dict[str, Any] | None = None,
        wait_s: float = 5.0,
        locale: str = "en-US",
        guild_locale: str = "en-US",
    ) -> Answer:
        """Run a slash command (or autocomplete with ``focused``) and wait for the answer."""
        types = types or {}
        opts = []
        for name, value in (options or {}).items():
            option = {
                "name": name,
                "type": types.get(name, 4 if isinstance(value, int) else 3),
                "value": value,
            }
            if name == focused:
                option["focused"] = True
            opts.append(option)
        payload = self.interaction(
            command,
            opts,
            channel_id=channel_id,
            user=user,
            permissions=permissions,
            kind=4 if focused else 2,
            resolved=resolved,
            locale=locale,
            guild_locale=guild_locale,
        )
        answer = self.answers[payload["token"]] = Answer()
        await self.dispatch("INTERACTION_CREATE", payload)
        await asyncio.wait_for(answer.done.wait(), wait_s)
        return answer

    # -- server ------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        r = app.router
        r.add_get(f"{API}/users/@me", self._me)
        r.add_get(f"{API}/oauth2/applications/@me", self._application)
        r.add_get(f"{API}/gateway/bot", self._gateway_bot)
        r.add_put(f"{API}/applications/{{app}}/commands", self._sync)
        r.add_put(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._sync)
        r.add_get(f"{API}/channels/{{channel}}", self._get_channel)
        r.add_post(f"{API}/channels/{{channel}}/messages", self._post_message)
        r.add_patch(f"{API}/channels/{{channel}}/messages/{{message}}", self._edit_message)
        r.add_post(f"{API}/channels/{{channel}}/threads", self._forum_post)
        r.add_put(f"{API}/channels/{{channel}}/messages/pins/{{message}}", self._pin)
        r.add_post(f"{API}/interactions/{{iid}}/{{token}}/callback", self._callback)
        r.add_patch(f"{API}/webhooks/{{app}}/{{token}}/messages/@original", self._edit_original)
        r.add_delete(f"{API}/webhooks/{{app}}/{{token}}/messages/@original", self._del_original)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return f"{self.url}{API}"

    async def stop(self) -> None:
        self._closing.set()
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        channel = request.match_info.get("channel")
        if channel in self.stalled:
            await self._closing.wait()  # a request Discord never answers (until we stop)
        failure = self.failures.get(channel) if channel else None
        if failure is not None and failure.times != 0:
            if failure.times is not None:
                failure.times -= 1
            return self._error(failure)
        if request.match_info.http_exception is not None:
            self.unhandled.append(f"{request.method} {request.path}")
        response = await handler(request)
        if response.status in (401, 403, 429):
            self.invalid_requests += 1
        return response

    def _error(self, failure: Failure) -> web.Response:
        if failure.status in (401, 403, 429):
            self.invalid_requests += 1
        body: dict[str, Any] = {"message": "fake error", "code": failure.code}
        headers = {"Via": "1.1 google"} if failure.via else {}
        if failure.retry_after is not None:
            body.update(retry_after=failure.retry_after, **{"global": False})
            headers["Retry-After"] = str(failure.retry_after)
            headers["X-RateLimit-Scope"] = "user"
        return _json(body, status=failure.status, headers=headers)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None}))
            elif frame["op"] == 2:
                self.identify = frame["d"]
                await self.dispatch(
                    "READY",
                    {
                        "v": 10,
                        "user": self.bot_user,
                        "session_id": "fake-session",
                        "resume_gateway_url": f"{self.url.replace('http', 'ws')}/gateway",
                        "guilds": [{"id": g, "unavailable": True} for g in self.guilds],
                        "application": {"id": self.app_id, "flags": 0},
                        "shard": [0, 1],
                    },
                )
                for guild in self.guilds.values():
                    await self.dispatch("GUILD_CREATE", guild)
                self.ready.set()
            elif frame["op"] == 6:
                self.resumes.append(frame["d"])
                await self.dispatch("RESUMED", {})
                self.resumed.set()
        return ws

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway like Discord does on a hiccup; the client should RESUME."""
        assert self._ws is not None
        self.resumed.clear()
        await self._ws.close(code=code)

    async def _me(self, _: web.Request) -> web.Response:
        if self.reject_token:
            self.invalid_requests += 1
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(self.bot_user)

    async def _application(self, _: web.Request) -> web.Response:
        return _json(
            {
                "id": self.app_id,
                "name": "Cryptowire",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "00",
                "owner": self.user("owner"),
                "team": None,
                "flags": 0,
                "summary": "",
                "interactions_endpoint_url": None,
            }
        )

    async def _gateway_bot(self, _: web.Request) -> web.Response:
        return _json(
            {
                "url": f"{self.url.replace('http', 'ws')}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        body = await request.json()
        scope = request.match_info.get("guild", "global")
        synced = [
            {
                **c,
                "id": str(self.new_id()),
                "application_id": self.app_id,
                "version": "1",
                "default_member_permissions": None,
            }
            for c in body
        ]
        if scope != "global":
            for command in synced:
                command["guild_id"] = scope
        self.commands[scope] = synced
        return _json(synced)

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        return _json(channel)

    async def _post_message(self, request: web.Request) -> web.Response:
        cid = request.match_info["channel"]
        if cid not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if self.limits is not None:
            wait = self.limits.admit(cid, time.monotonic())
            if wait is not None:
                self.invalid_requests += 1
                body = {"message": "You are being rate limited.", "retry_after": wait}
                return _json({**body, "global": False}, 429, {"Via": "1.1 google"})
        message = self.message(cid, await request.json())
        self.messages.setdefault(cid, []).append(message)
        return _json(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        cid, mid = request.match_info["channel"], request.match_info["message"]
        for message in self.messages.get(cid, []):
            if message["id"] == mid:
                message.update(await request.json(), edited_timestamp=_now())
                return _json(message)
        return _json({"message": "Unknown Message", "code": 10008}, status=404)

    async def _pin(self, request: web.Request) -> web.Response:
        self.pinned.append((request.match_info["channel"], request.match_info["message"]))
        return web.Response(status=204)

    async def _forum_post(self, request: web.Request) -> web.Response:
        forum_id = request.match_info["channel"]
        body = await request.json()
        forum = self.channels[forum_id]
        thread_id = str(self.new_id())
        message = self.message(thread_id, body.get("message") or {}, id=thread_id)
        thread = {
            "id": thread_id,
            "type": THREAD,
            "guild_id": forum["guild_id"],
            "parent_id": forum_id,
            "name": body["name"],
            "owner_id": self.app_id,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": _now(),
                "locked": False,
            },
            "message": message,
        }
        self.channels[thread_id] = {k: v for k, v in thread.items() if k != "message"}
        self.messages.setdefault(thread_id, []).append(message)
        return _json(thread, status=201)

    def _answer(self, token: str) -> Answer:
        return self.answers.setdefault(token, Answer())

    async def _callback(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        body = await request.json()
        answer = self._answer(token)
        if answer.callbacks:
            return _json({"message": "already acknowledged", "code": 40060}, status=400)
        answer.callbacks.append(body)
        answer.acknowledged.set()
        data = body.get("data") or {}
        if body["type"] in (4, 8):
            answer.done.set()
        resource: dict[str, Any] = {"type": body["type"]}
        if body["type"] in (4, 5):
            resource["message"] = self.message(request.match_info["iid"], data)
        return _json(
            {
                "interaction": {
                    "id": request.match_info["iid"],
                    "type": 2,
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    async def _edit_original(self, request: web.Request) -> web.Response:
        answer = self._answer(request.match_info["token"])
        answer.original = self.message("0", await request.json())
        answer.done.set()
        return _json(answer.original)

    async def _del_original(self, request: web.Request) -> web.Response:
        answer = self._answer(request.match_info["token"])
        answer.deleted_original = True
        answer.deleted.set()
        return web.Response(status=204)

    async def _followup(self, request: web.Request) -> web.Response:
        answer = self._answer(request.match_info["token"])
        body = await request.json()
        answer.followups.append(self.message("0", body))
        answer.done.set()
        return _json(answer.followups[-1])
