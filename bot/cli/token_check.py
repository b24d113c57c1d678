"""Ask Telegram or Discord whether a bot token is good, before it is written to a config.

One short request each (Telegram ``getMe``, Discord ``GET /users/@me``) with a short
timeout. Three answers: the platform knows the bot (its name), the platform refused the
token, or the platform could not be asked (no network, a firewall, a timeout): the last
one is said plainly and never counts as a failure, since many servers have no way out at
set-up time. No message ever contains the token (Telegram puts it in the URL, and
httpx errors quote the URL), so errors are described by their kind and the host alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx

DEFAULT_TIMEOUT_S = 5.0
DISCORD_API = "https://discord.com/api/v10"
Status = Literal["ok", "rejected", "unreachable"]


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What the platform said: ``name`` is the bot's @username when ``status`` is ok."""

    platform: str
    status: Status
    detail: str
    name: str | None = None

    @property
    def line(self) -> str:
        """One line for the terminal."""
        if self.status == "ok":
            return f"{self.platform}: token accepted, the bot is {self.name}"
        if self.status == "rejected":
            return f"{self.platform}: token rejected ({self.detail})"
        return f"{self.platform}: token not checked, {self.detail}"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _unreachable(platform: str, url: str, exc: Exception, timeout: float) -> TokenCheck:
    kind = "no answer" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__
    detail = (
        f"could not reach {_host(url)} within {timeout:g} s ({kind}); the bot checks it "
        "again when it starts"
    )
    return TokenCheck(platform, "unreachable", detail)


async def check_telegram(
    token: str, base_url: str = "https://api.telegram.org/bot", wait_s: float = DEFAULT_TIMEOUT_S
) -> TokenCheck:
    """``getMe`` with the token; 401/404 mean Telegram does not know it."""
    if ":" not in token or not token.split(":", 1)[0].isdigit():
        return TokenCheck(
            "telegram", "rejected", "not a bot token: they look like 123456789:AAE..."
        )
    url = f"{base_url}{token}/getMe"
    try:
        async with httpx.AsyncClient(timeout=wait_s) as client:
            response = await client.get(url)
    except (httpx.HTTPError, OSError) as exc:
        return _unreachable("telegram", base_url, exc, wait_s)
    if response.status_code in (401, 404):
        return TokenCheck(
            "telegram", "rejected", f"{_host(base_url)} answered {response.status_code}"
        )
    try:
        body = response.json()
        username = body["result"]["username"]
    except (ValueError, KeyError, TypeError):
        detail = f"{_host(base_url)} answered {response.status_code} without a bot; try again"
        return TokenCheck("telegram", "unreachable", detail)
    return TokenCheck("telegram", "ok", "getMe", name=f"@{username}")


async def check_discord(
    token: str, api_base: str | None = None, wait_s: float = DEFAULT_TIMEOUT_S
) -> TokenCheck:
    """``GET /users/@me`` as the bot; 401 means Discord does not know the token."""
    base = (api_base or DISCORD_API).rstrip("/")
    try:
        async with httpx.AsyncClient(timeout=wait_s) as client:
            response = await client.get(
                f"{base}/users/@me", headers={"Authorization": f"Bot {token}"}
            )
    except (httpx.HTTPError, OSError) as exc:
        return _unreachable("discord", base, exc, wait_s)
    if response.status_code in (401, 403):
        return TokenCheck("discord", "rejected", f"{_host(base)} answered {response.status_code}")
    try:
        username = response.json()["username"]
    except (ValueError, KeyError, TypeError):
        detail = f"{_host(base)} answered {response.status_code} without a bot; try again"
        return TokenCheck("discord", "unreachable", detail)
    return TokenCheck("discord", "ok", "users/@me", name=username)
