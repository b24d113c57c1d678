"""The shared send budget in Redis (``[delivery] rate_limit_url``), through ``limits``.

A moving window of ``rate`` sends per second per bot token, the way Telegram counts. A
reservation of ``count`` slots is one ``hit`` of that cost: it is recorded at once while
``SharedSlots`` spreads the sends over the following ``count / rate`` seconds, so the
window can only overcount this worker's sends, never undercount them. When the window is
full the reservation waits for it to move. Needs the optional extra ``cryptowire[redis]``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.config import mask_url
from bot.errors import UserError


class RedisSendBudget:
    """``SendBudget`` (see ``bot/delivery/shared_pacing.py``) kept in Redis."""

    def __init__(self, url: str, key: str, rate: float, *, prefix: str = "cryptowire") -> None:
        try:
            from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
            from limits.aio.storage import RedisStorage
            from limits.aio.strategies import MovingWindowRateLimiter
        except ImportError:
            raise UserError(
                "[delivery] rate_limit_url needs the Redis extra: pip install 'cryptowire[redis]'"
            ) from None
        if not url.startswith(("redis://", "rediss://")):
            shown = mask_url(url)[:80]
            raise UserError(f"[delivery] rate_limit_url must start with redis://, not {shown!r}")
        self.rate = rate
        self.key = key
        if rate >= 1:
            self.item: Any = RateLimitItemPerSecond(int(rate))
        else:
            self.item = RateLimitItemPerMinute(max(1, int(rate * 60)))
        storage = RedisStorage(f"async+{url}", implementation="redispy", key_prefix=prefix)
        self.limiter = MovingWindowRateLimiter(storage)

    async def reserve_at(self, count: int, lead: float = 0.0) -> float:
        """Record ``count`` sends in the window (waiting for room); the first may go at
        the time of the hit plus ``lead`` (the window counts them from the hit: early)."""
        cost = max(1, min(count, self.item.amount))
        while not await self.limiter.hit(self.item, self.key, cost=cost):
            stats = await self.limiter.get_window_stats(self.item, self.key)
            await asyncio.sleep(min(1.0, max(0.001, stats.reset_time - time.time())))
        return time.time() + max(0.0, lead)

    async def clear(self) -> None:
        await self.limiter.clear(self.item, self.key)
