"""A small WebSub hub and publisher on 127.0.0.1 (aiohttp), for tests.

Serves an RSS feed at ``/feed`` that names this hub (``atom:link rel="hub"``) and accepts
subscriptions at ``/hub`` the way public hubs do: answers 202, then verifies intent with
a GET carrying ``hub.challenge`` (retried briefly) and keeps the secret and lease.
``publish`` adds an item to the feed and POSTs the new document to every verified
subscriber, signed with ``X-Hub-Signature: sha256=...`` (``sign=False`` / ``secret=``
to misbehave). ``verify=False`` makes a silent hub that accepts and never verifies.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web


@dataclass
class HubSubscription:
    callback: str
    topic: str
    secret: str
    lease_seconds: int
    verified_at: float | None = None


@dataclass
class Push:
    callback: str
    status: int
    began: float  # time.monotonic() when the POST started


@dataclass
class LocalHub:
    verify: bool = True
    lease_seconds: int | None = None  # granted lease; None: what was asked
    items: list[tuple[str, str, datetime, str]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    subscriptions: dict[str, HubSubscription] = field(default_factory=dict)
    pushes: list[Push] = field(default_factory=list)
    feed_gets: int = 0
    ttl_minutes: int | None = None  # <ttl> in the feed

    async def __aenter__(self) -> LocalHub:
        app = web.Application()
        app.router.add_get("/feed", self._feed)
        app.router.add_post("/hub", self._hub)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()
        self._tasks: set[asyncio.Task[None]] = set()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._session.close()
        await self._runner.cleanup()

    @property
    def feed_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed"

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hub"

    def add_item(self, guid: str, title: str, tag: str = "BTC") -> None:
        self.items.append((guid, title, datetime.now(UTC).replace(microsecond=0), tag))

    def document(self, items: list[tuple[str, str, datetime, str]] | None = None) -> bytes:
        entries = "".join(
            f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title>"
            f"<link>https://hubnews.example/{escape(guid)}</link>"
            f"<description>{escape(title)}: the details.</description>"
            f"<category>{escape(tag)}</category>"
            f"<pubDate>{format_datetime(published)}</pubDate></item>"
            for guid, title, published, tag in (self.items if items is None else items)
        )
        return (
            '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
            "<channel><title>Hub News</title><link>https://hubnews.example/</link>"
            f'<atom:link rel="hub" href="{self.hub_url}"/>'
            f'<atom:link rel="self" href="{self.feed_url}"/>'
            + (f"<ttl>{self.ttl_minutes}</ttl>" if self.ttl_minutes else "")
            + f"{entries}</channel></rss>"
        ).encode()

    async def _feed(self, _request: web.Request) -> web.Response:
        self.feed_gets += 1
        return web.Response(body=self.document(), content_type="application/rss+xml")

    async def _hub(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(form)
        if form.get("hub.mode") != "subscribe" or not form.get("hub.callback"):
            return web.Response(status=400)
        lease = self.lease_seconds or int(form.get("hub.lease_seconds") or 3600)
        sub = HubSubscription(
            form["hub.callback"], form["hub.topic"], form.get("hub.secret", ""), lease
        )
        if self.verify:
            task = asyncio.create_task(self._verify(sub))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _verify(self, sub: HubSubscription) -> None:
        challenge = secrets.token_urlsafe(16)
        params = {
            "hub.mode": "subscribe",
            "hub.topic": sub.topic,
            "hub.challenge": challenge,
            "hub.lease_seconds": str(sub.lease_seconds),
        }
        for _ in range(50):  # the subscriber's server may still be starting
            try:
                async with self._session.get(sub.callback, params=params) as response:
                    if response.status == 200 and await response.text() == challenge:
                        sub.verified_at = time.monotonic()
                        self.subscriptions[sub.callback] = sub
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)

    async def ask(self, callback: str, **params: str) -> tuple[int, str]:
        """A verification GET of our own making (e.g. for a topic never asked for)."""
        async with self._session.get(callback, params=params) as response:
            return response.status, await response.text()

    async def publish(
        self, guid: str, title: str, *, sign: bool = True, secret: str | None = None
    ) -> list[Push]:
        """Add an item and push the new item to every verified subscriber."""
        self.add_item(guid, title)
        body = self.document(self.items[-1:])
        return await self.push_raw(body, sign=sign, secret=secret)

    async def push_raw(
        self, body: bytes, *, sign: bool = True, secret: str | None = None, callback: str = ""
    ) -> list[Push]:
        done = []
        targets = [callback] if callback else list(self.subscriptions)
        for target in targets:
            sub = self.subscriptions.get(target)
            key = secret if secret is not None else (sub.secret if sub else "")
            headers = {"Content-Type": "application/rss+xml"}
            if sign:
                digest = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
                headers["X-Hub-Signature"] = f"sha256={digest}"
            began = time.monotonic()
            async with self._session.post(target, data=body, headers=headers) as response:
                push = Push(target, response.status, began)
            self.pushes.append(push)
            done.append(push)
        return done
