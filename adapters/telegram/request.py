"""The Bot API client's HTTP requests: aiohttp, a few at once, and a paced long poll.

Why not PTB's default (httpx): in a burst (1,000 users sending a command at once) the
replies were most of the bot's CPU, and most of that was httpx's pure-Python stack
(httpcore's pool bookkeeping, anyio streams, h11), about 1.5-2 ms per request on this
machine. aiohttp (already a dependency: the web console and the Discord adapter use it)
parses HTTP in C and keeps its pool simple. Requests still wait their turn in an asyncio
semaphore in front of as many kept-alive connections as turns, so the pool itself never
waits and never times out a request that has not been sent yet: a burst of replies
queues here, in order, for as long as it takes.

The long poll (``PacedPollRequest``) answers like Telegram's, but some Bot API emulators
answer ``getUpdates`` at once even when nothing is queued: PTB would then ask again
immediately, hundreds of times a second, taking a core from the commands it should be
answering. An empty answer that came back well before the poll's ``timeout`` is followed
by a short pause instead (a real long poll never comes back early and empty).

Replies to users wait out flood limits (``patient``): a command's reply that the server
refuses with 429 "retry after N" is sent again after N s instead of failing (the user
would get nothing: the apology would be refused too). While one reply waits, the others
wait with it at a shared gate, checked again once a turn is had, so a burst does not
send hundreds of requests into a limit it already knows about. Alerts are not patient:
the dispatcher paces them and reschedules on 429 itself.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from adapters.telegram.lenient import normalise_answer

log = logging.getLogger(__name__)

SLOTS = 16  # requests in flight at once (and connections kept)
EMPTY_POLL_PAUSE_S = 0.2  # after an early empty getUpdates answer (see the module docstring)
PATIENCE_S = 300.0  # how long a reply keeps waiting out 429s before its error is raised
PATIENT_READ_S = 30.0  # a reply's wait for its answer (PTB's 5 s default, for the rest)
_PATIENT: ContextVar[bool] = ContextVar("telegram_patient_requests", default=False)

Handler = Callable[[Any, Any], Awaitable[None]]


def patient(handler: Handler) -> Handler:
    """Run a PTB handler with its requests waiting out 429s (see the module docstring)."""

    @functools.wraps(handler)
    async def run(update: Any, context: Any) -> None:
        token = _PATIENT.set(True)
        try:
            await handler(update, context)
        finally:
            _PATIENT.reset(token)

    return run


class FloodGate:
    """Shared by the patient requests: closed until the latest "retry after" has passed."""

    def __init__(self) -> None:
        self.until = 0.0

    def closed(self) -> bool:
        return self.until > time.monotonic()

    def close(self, seconds: float) -> bool:
        """True when this closes the gate for longer than it already was."""
        until = time.monotonic() + seconds
        if until <= self.until:
            return False
        self.until = until
        return True

    async def wait(self) -> None:
        """Until the gate opens (the caller checks again: a reply may close it meanwhile)."""
        left = self.until - time.monotonic()
        if left > 0:
            await asyncio.sleep(left)


def _value(default: Any, given: Any) -> float | None:
    """A timeout PTB passed, or ours when it passed its DEFAULT_NONE sentinel."""
    return default if given is BaseRequest.DEFAULT_NONE else given


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` over one aiohttp session, at most ``slots`` requests in flight."""

    def __init__(
        self,
        slots: int = SLOTS,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self.slots = slots
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        # one session and one semaphore per event loop (a CLI command runs its own loop)
        self._session: aiohttp.ClientSession | None = None
        self._turns: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.flood = FloodGate()

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def _open(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if self._session is None or self._turns is None or self._loop is not loop:
            # a session left on another (finished) loop cannot be closed from this one
            connector = aiohttp.TCPConnector(limit=self.slots, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )
            self._turns = asyncio.Semaphore(self.slots)
            self._loop = loop
        return self._session, self._turns

    async def initialize(self) -> None:
        self._open()

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,  # no pool wait: requests queue in turns
    ) -> tuple[int, bytes]:
        session, turns = self._open()
        files = request_data is not None and request_data.contains_files
        write = _value(self._media_write_timeout if files else self._write_timeout, write_timeout)
        give_up = time.monotonic() + PATIENCE_S if _PATIENT.get() else 0.0
        # a reply sent is as good as answered: a busy server gets longer to confirm it
        read = _value(PATIENT_READ_S if give_up else self._read_timeout, read_timeout)
        connect = _value(self._connect_timeout, connect_timeout)
        # aiohttp has no write timeout: the whole request is bounded by the sum instead
        parts = (connect, write, read)
        total = None if None in parts else sum(p for p in parts if p is not None)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        while True:
            if give_up:
                await self.flood.wait()
            async with turns:
                if give_up and self.flood.closed():
                    continue  # another reply was refused while this one waited for a turn
                status, payload = await _send(session, method, url, request_data, timeout)
            if status != 429 or not give_up:
                return status, payload
            seconds = _retry_after(payload)
            if seconds is None or time.monotonic() + seconds > give_up:
                return status, payload
            if self.flood.close(max(seconds, 0.1)):  # "retry after 0" must not spin
                log.info("telegram: flood limit, replies wait %g s", seconds)


async def _send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    request_data: RequestData | None,
    limits: aiohttp.ClientTimeout,
) -> tuple[int, bytes]:
    try:
        body = _body(request_data)
        async with session.request(method, url, data=body, timeout=limits) as response:
            return response.status, normalise_answer(url, response.status, await response.read())
    except TimeoutError as exc:
        raise TimedOut from exc
    except aiohttp.ClientError as exc:
        raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _retry_after(payload: bytes) -> float | None:
    """The seconds of a 429 answer's ``parameters.retry_after``, if it has them."""
    try:
        seconds = json.loads(payload)["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return None
    return float(seconds) if isinstance(seconds, int | float) and seconds >= 0 else None


def _body(request_data: RequestData | None) -> Any:
    """Form fields as PTB's own client sends them (objects as JSON strings), files as
    multipart parts."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, *rest = part
        form.add_field(name, content, filename=filename, content_type=rest[0] if rest else None)
    return form


class PacedPollRequest(AiohttpRequest):
    """The long-poll connection: an early empty ``getUpdates`` answer is followed by a
    short pause rather than an immediate new poll (see the module docstring)."""

    def __init__(self, pause_s: float = EMPTY_POLL_PAUSE_S, **kwargs: Any) -> None:
        super().__init__(2, **kwargs)  # the poll, and the confirming call at stop
        self.pause_s = pause_s

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        started = time.monotonic()
        status, payload = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        asked = request_data.parameters.get("timeout") if request_data is not None else None
        if (
            url.endswith("/getUpdates")
            and isinstance(asked, int | float)
            and asked > 0
            and status == 200
            and _empty(payload)
        ):
            early = asked - (time.monotonic() - started)
            if early > self.pause_s:
                await asyncio.sleep(self.pause_s)
        return status, payload


def _empty(payload: bytes) -> bool:
    """``{"ok": true, "result": []}`` (only short answers are parsed: a batch is not)."""
    if len(payload) > 64:
        return False
    try:
        answer = json.loads(payload)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("ok") is True and answer.get("result") == []
