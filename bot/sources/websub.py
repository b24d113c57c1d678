"""WebSub (PubSubHubbub) subscriptions: feeds that name a hub push their new items.

A feed advertising ``<link rel="hub">`` (Atom, or ``atom:link`` in RSS) gets a
subscription once it has been polled: we POST ``hub.mode=subscribe`` with a callback
under ``[http] public_url`` (``/websub/<source key>``), a random per-subscription secret
and a lease. The hub verifies our intent with a GET carrying ``hub.challenge``, echoed
only for a subscription we asked for. Pushed documents are accepted only for a known,
verified subscription, only with a valid ``X-Hub-Signature`` (sha1/sha256/sha384/sha512
HMAC of the body with that secret) and only up to the size cap of fetched feeds;
anything else is refused (403/404/413) and read no further. Leases are renewed at 80%.

Polling goes on beside it as a safety net (``cadence``): while a subscription is live
and the hub delivers, feeds are polled rarely; when the hub is silent (no verification,
a denied or expired lease, or a poll finds items the hub never pushed) the feed's normal
polling comes back until a push shows the hub is working again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
from aiohttp import web

log = logging.getLogger("cryptowire.sources.websub")

PushHandler = Callable[[bytes, str | None], Awaitable[None]]

LEASE_S = 7 * 86400  # asked for; the hub decides
MIN_LEASE_S = 60
RENEW_AT = 0.8  # of the lease
VERIFY_WITHIN_S = 120.0  # a subscription not verified by then counts as failed
RETRY_S = 600.0  # a failed or denied subscription is asked for again after this
MAX_CHALLENGE = 1024
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
            "sha512": hashlib.sha512}  # fmt: skip


@dataclass
class Subscription:
    """One feed's subscription at its hub."""

    key: str
    hub: str
    topic: str
    on_push: PushHandler
    on_active: Callable[[], None] = lambda: None  # verified: the feed may poll less
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    state: str = "requested"  # requested -> active; failed / denied / expired
    since: float = 0.0  # when the state was entered (monotonic)
    expires_at: float = 0.0
    trusted: bool = True  # False once a poll found items the hub never pushed
    refusals: int = 0  # refused pushes since the last valid one
    renewal: asyncio.Task[None] | None = None


def signature_ok(header: str | None, secret: str, body: bytes) -> bool:
    """``X-Hub-Signature: sha256=<hex>`` (or sha1/sha384/sha512) matches the body."""
    method, _, given = (header or "").partition("=")
    digest = _DIGESTS.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


class WebSubSubscriber:
    """Subscribes feeds to their hubs and serves the callbacks (on the /healthz server)."""

    def __init__(
        self,
        public_url: str,
        client: httpx.AsyncClient,
        *,
        max_body_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = public_url.rstrip("/") + "/websub/"
        self.client = client
        self.max_body_bytes = max_body_bytes
        self.clock = clock
        self._subs: dict[str, Subscription] = {}
        self._tasks: set[asyncio.Task[object]] = set()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/websub/{key}", self._verify),
            web.post("/websub/{key}", self._content),
        ]

    def callback(self, key: str) -> str:
        return self.base + quote(key, safe="")

    def pushing(self, key: str) -> bool:
        """A live, verified lease whose hub has not been caught missing items."""
        sub = self._subs.get(key)
        return bool(sub and sub.state == "active" and sub.trusted and self._live(sub))

    def state(self, key: str) -> str | None:
        """The feed's subscription as the console shows it (None: no hub or none yet)."""
        sub = self._subs.get(key)
        if sub is None:
            return None
        return "expired" if sub.state == "active" and not self._live(sub) else sub.state

    def drop(self, key: str) -> None:
        """Forget the feed's subscription (the source was disabled): pushes get a 404."""
        sub = self._subs.pop(key, None)
        if sub is not None and sub.renewal is not None:
            sub.renewal.cancel()

    def missed(self, key: str) -> None:
        """A poll found items the hub never pushed: poll normally until the next push."""
        sub = self._subs.get(key)
        if sub is not None and sub.trusted and sub.state == "active":
            sub.trusted = False
            log.warning("%s: the hub %s did not push new items; polling as usual", key, sub.hub)

    def ensure(
        self,
        key: str,
        hub: str,
        topic: str,
        on_push: PushHandler,
        on_active: Callable[[], None] = lambda: None,
    ) -> None:
        """Subscribe (again) unless a subscription to this hub and topic is under way or
        live; failed ones are retried after ``RETRY_S``."""
        sub = self._subs.get(key)
        now = self.clock()
        if sub is not None and sub.hub == hub and sub.topic == topic:
            if sub.state == "active" and self._live(sub):
                return
            if sub.state == "requested" and now - sub.since < VERIFY_WITHIN_S:
                return
            if sub.state in ("failed", "denied") and now - sub.since < RETRY_S:
                return
            if sub.state == "requested":
                log.warning("%s: the hub %s never verified the subscription", key, hub)
        if sub is not None and sub.renewal is not None:
            sub.renewal.cancel()
        sub = Subscription(key, hub, topic, on_push, on_active, since=now)
        self._subs[key] = sub
        self._spawn(self._request(sub))

    async def close(self) -> None:
        for sub in self._subs.values():
            if sub.renewal is not None:
                sub.renewal.cancel()
        tasks = [*self._tasks, *(s.renewal for s in self._subs.values() if s.renewal)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._subs.clear()

    def _live(self, sub: Subscription) -> bool:
        return self.clock() < sub.expires_at

    def _spawn(self, work: Awaitable[object]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _request(self, sub: Subscription) -> None:
        """POST the subscription request; the hub answers 202 and verifies later."""
        form = {
            "hub.mode": "subscribe",
            "hub.topic": sub.topic,
            "hub.callback": self.callback(sub.key),
            "hub.secret": sub.secret,
            "hub.lease_seconds": str(LEASE_S),
        }
        try:
            response = await self.client.post(sub.hub, data=form)
        except httpx.HTTPError as exc:
            self._fail(sub, f"cannot reach the hub ({type(exc).__name__})")
            return
        if response.status_code not in (202, 204) and not 200 <= response.status_code < 300:
            self._fail(sub, f"the hub answered HTTP {response.status_code}")
            return
        log.info("%s: subscription requested at %s", sub.key, sub.hub)

    def _fail(self, sub: Subscription, why: str) -> None:
        if self._subs.get(sub.key) is sub:
            sub.state, sub.since = "failed", self.clock()
        log.warning("%s: WebSub subscription at %s failed: %s; polling", sub.key, sub.hub, why)

    async def _renew_later(self, sub: Subscription, lease_s: float) -> None:
        await asyncio.sleep(lease_s * RENEW_AT)
        if self._subs.get(sub.key) is sub:
            sub.renewal = None  # the hub's verification starts the next one
            sub.since = self.clock()
            await self._request(sub)  # same secret: pushes signed meanwhile stay valid

    async def _verify(self, request: web.Request) -> web.Response:
        """The hub's verification of intent: echo the challenge for what we asked."""
        query = request.query
        sub = self._subs.get(request.match_info["key"])
        mode, topic = query.get("hub.mode", ""), query.get("hub.topic", "")
        if sub is None or topic != sub.topic:
            return web.Response(status=404, text="no such subscription")
        if mode == "denied":
            sub.state, sub.since = "denied", self.clock()
            log.warning("%s: the hub denied the subscription (%s); polling", sub.key,
                        query.get("hub.reason", "no reason given")[:200])  # fmt: skip
            return web.Response(status=200)
        challenge = query.get("hub.challenge", "")
        if mode != "subscribe" or not challenge or len(challenge) > MAX_CHALLENGE:
            return web.Response(status=404, text="not asked for")
        try:
            lease = max(float(query.get("hub.lease_seconds") or LEASE_S), MIN_LEASE_S)
        except ValueError:
            lease = LEASE_S
        sub.state, sub.since, sub.expires_at = "active", self.clock(), self.clock() + lease
        if sub.renewal is not None:
            sub.renewal.cancel()
        sub.renewal = asyncio.create_task(self._renew_later(sub, lease))
        log.info("%s: subscribed at %s for %.0f s", sub.key, sub.hub, lease)
        sub.on_active()
        return web.Response(status=200, text=challenge, content_type="text/plain")

    async def _content(self, request: web.Request) -> web.Response:
        """A pushed document: known subscription, size cap, valid signature, or refused."""
        sub = self._subs.get(request.match_info["key"])
        if sub is None or sub.state != "active":
            return web.Response(status=404, text="no such subscription")
        if (request.content_length or 0) > self.max_body_bytes:
            return web.Response(status=413, text="too large")
        signature = request.headers.get("X-Hub-Signature")
        if not signature:
            self._refused(sub, "an unsigned push")
            return web.Response(status=403, text="signature required")
        body = await request.content.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return web.Response(status=413, text="too large")
        if not signature_ok(signature, sub.secret, body):
            self._refused(sub, "a push with a wrong signature")
            return web.Response(status=403, text="bad signature")
        sub.refusals = 0
        if not sub.trusted:
            sub.trusted = True
            sub.on_active()
        self._spawn(self._deliver(sub, body, request.headers.get("Content-Type")))
        return web.Response(status=202)

    def _refused(self, sub: Subscription, what: str) -> None:
        """One log line for the first refusal after a valid push (a flood logs once)."""
        sub.refusals += 1
        if sub.refusals == 1:
            log.warning("%s: refused %s (more are counted, not logged)", sub.key, what)

    async def _deliver(self, sub: Subscription, body: bytes, content_type: str | None) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await sub.on_push(body, content_type)
            except Exception:
                log.warning("%s: a pushed document failed", sub.key, exc_info=True)
