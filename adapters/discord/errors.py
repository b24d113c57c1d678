"""discord.py exceptions -> the core's DeliveryResult, and a guard for invalid requests.

Discord bans (Cloudflare, for an hour) a bot that makes 10,000 invalid requests
(401, 403, 429) in 10 minutes. The core deactivates a chat on CHAT_GONE; this guard
makes sure that even a core that keeps asking costs no further requests for a while,
and that a storm of invalid answers pauses the whole adapter long before the ban.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import aiohttp
import discord

from bot.models import DeliveryResult, ResultKind

UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
CANNOT_SEND_TO_USER = 50007
GONE_CODES = frozenset({UNKNOWN_CHANNEL, MISSING_ACCESS, MISSING_PERMISSIONS, CANNOT_SEND_TO_USER})
INVALID_STATUSES = frozenset({401, 403, 429})
TOKEN_PAUSE_S = 300.0


def _retry_after(error: discord.HTTPException) -> float:
    """Seconds Discord asked us to wait: body ``retry_after``, else the header, else 60."""
    response = error.response
    header = response.headers.get("Retry-After") if response is not None else None
    for value in (getattr(error, "retry_after", None), header):
        try:
            if value is not None:
                return max(float(value), 0.0)
        except (TypeError, ValueError):
            continue
    return 60.0


def result_for(error: BaseException) -> DeliveryResult:
    """The core's view of one failed send or edit; never raises."""
    if isinstance(error, discord.RateLimited):
        return DeliveryResult.retry(float(error.retry_after))
    if isinstance(error, discord.Forbidden):
        return DeliveryResult.gone(f"forbidden (code {error.code}): the bot lost access")
    if isinstance(error, discord.NotFound):
        if error.code == UNKNOWN_MESSAGE:
            return DeliveryResult.failed("the message to edit no longer exists")
        return DeliveryResult.gone(f"unknown channel (code {error.code})")
    if isinstance(error, discord.HTTPException):
        if error.status == 401:
            # The token was revoked or reset: nothing will work until an operator acts;
            # pause everything rather than burn invalid requests.
            return DeliveryResult.retry(TOKEN_PAUSE_S, whole_adapter=True)
        if error.status == 429:
            # discord.py retries 429s itself; one reaching us is a long or global limit
            # (no "Via" header = Cloudflare), so the whole adapter waits.
            return DeliveryResult.retry(_retry_after(error), whole_adapter=True)
        if error.code in GONE_CODES:
            return DeliveryResult.gone(f"discord error code {error.code}")
        return DeliveryResult.failed(f"discord HTTP {error.status} (code {error.code})")
    if isinstance(error, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryResult.failed(f"network error: {type(error).__name__}")
    return DeliveryResult.failed(f"unexpected error: {type(error).__name__}")


def is_invalid(error: BaseException) -> bool:
    """Does Discord count this answer towards the invalid request limit?"""
    return isinstance(error, discord.HTTPException) and error.status in INVALID_STATUSES


class InvalidRequestGuard:
    """Remembers gone channels and counts invalid answers in a sliding window.

    ``budget`` is well below Discord's 10,000 per 10 minutes: when reached, every send is
    answered RETRY_AFTER (whole adapter) until the window has room again.
    """

    def __init__(
        self,
        *,
        budget: int = 2000,
        window_s: float = 600.0,
        gone_ttl_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self.window_s = window_s
        self.gone_ttl_s = gone_ttl_s
        self._clock = clock
        self._invalid: deque[float] = deque()
        self._gone: dict[str, float] = {}

    def _trim(self, now: float) -> None:
        while self._invalid and now - self._invalid[0] >= self.window_s:
            self._invalid.popleft()

    def check(self, channel_id: str) -> DeliveryResult | None:
        """A result to return without any request, or None when sending is allowed."""
        now = self._clock()
        since = self._gone.get(channel_id)
        if since is not None:
            if now - since < self.gone_ttl_s:
                return DeliveryResult.gone("channel already known gone; not asking Discord again")
            del self._gone[channel_id]
        self._trim(now)
        if len(self._invalid) >= self.budget:
            wait = self.window_s - (now - self._invalid[0])
            return DeliveryResult.retry(max(wait, 1.0), whole_adapter=True)
        return None

    def record(self, channel_id: str, error: BaseException, result: DeliveryResult) -> None:
        now = self._clock()
        if is_invalid(error):
            self._invalid.append(now)
        if result.kind is ResultKind.CHAT_GONE:
            self._gone[channel_id] = now

    def forget(self, channel_id: str) -> None:
        """The channel spoke to us again (a command): it exists and we may write there."""
        self._gone.pop(channel_id, None)

    @property
    def invalid_count(self) -> int:
        self._trim(self._clock())
        return len(self._invalid)
