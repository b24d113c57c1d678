"""Who may use the console: the password (kept only as a scrypt hash), login attempt
limits, sessions and their CSRF tokens, and the API's bearer token.

Sessions live in this process's memory: a restart logs operators out, which is the safe
direction. Hashing runs in a worker thread (scrypt costs tens of milliseconds of CPU).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

MAX_PASSWORD = 1024
ATTEMPTS_PER_WINDOW = 5  # failed logins per client address
ALL_ATTEMPTS_PER_WINDOW = 50  # failed logins from everywhere together
WINDOW_S = 60.0
MAX_SESSIONS = 1000


def _scrypt(secret: bytes, salt: bytes) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=2**14, r=8, p=1, dklen=32)


class PasswordCheck:
    """Compares a candidate with the configured password by their scrypt hashes."""

    def __init__(self, password: str) -> None:
        self._salt = secrets.token_bytes(16)
        self._hash = _scrypt(password.encode("utf-8"), self._salt)

    async def matches(self, candidate: str) -> bool:
        if not candidate or len(candidate) > MAX_PASSWORD:
            return False
        digest = await asyncio.to_thread(_scrypt, candidate.encode("utf-8"), self._salt)
        return hmac.compare_digest(digest, self._hash)


class TokenCheck:
    """The API's bearer token, compared by hash in constant time; None: API closed."""

    def __init__(self, token: str | None) -> None:
        self._hash = hashlib.sha256(token.encode("utf-8")).digest() if token else None

    @property
    def enabled(self) -> bool:
        return self._hash is not None

    def matches(self, candidate: str) -> bool:
        if self._hash is None or not candidate or len(candidate) > MAX_PASSWORD:
            return False
        return hmac.compare_digest(hashlib.sha256(candidate.encode("utf-8")).digest(), self._hash)


@dataclass
class LoginLimiter:
    """Failed logins per address and overall in a sliding window; ``wait_s`` > 0: refuse."""

    clock: object = time.monotonic
    _by_client: dict[str, deque[float]] = field(default_factory=dict)
    _all: deque[float] = field(default_factory=deque)

    def _trim(self, stamps: deque[float], now: float) -> deque[float]:
        while stamps and now - stamps[0] >= WINDOW_S:
            stamps.popleft()
        return stamps

    def wait_s(self, client: str) -> float:
        now = self.clock()  # type: ignore[operator]
        mine = self._trim(self._by_client.get(client, deque()), now)
        everyone = self._trim(self._all, now)
        if len(mine) >= ATTEMPTS_PER_WINDOW:
            return WINDOW_S - (now - mine[0])
        if len(everyone) >= ALL_ATTEMPTS_PER_WINDOW:
            return WINDOW_S - (now - everyone[0])
        return 0.0

    def failed(self, client: str) -> None:
        now = self.clock()  # type: ignore[operator]
        if len(self._by_client) > 10_000:  # bounded memory under a spray of addresses
            self._by_client.clear()
        self._by_client.setdefault(client, deque()).append(now)
        self._all.append(now)


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    expires: float


class Sessions:
    """Random session ids -> their CSRF token and expiry."""

    def __init__(self, lifetime_s: float, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._live: dict[str, Session] = {}

    def create(self) -> tuple[str, Session]:
        now = self.clock()
        if len(self._live) >= MAX_SESSIONS:
            self._live = {k: s for k, s in self._live.items() if s.expires > now}
            while len(self._live) >= MAX_SESSIONS:
                self._live.pop(next(iter(self._live)))
        sid = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32), expires=now + self.lifetime_s)
        self._live[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 100:
            return None
        session = self._live.get(sid)
        if session is None or session.expires <= self.clock():
            self._live.pop(sid, None)
            return None
        return session

    def end(self, sid: str | None) -> None:
        if sid:
            self._live.pop(sid, None)


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())
