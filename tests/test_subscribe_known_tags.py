"""/subscribe checks tags against the archive's known tags, cached: a burst of commands
that finds the cache empty or stale runs one archive query, not one each."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.commands.subscriptions import SubscriptionCommands


class SlowArchive:
    """Counts known_tags queries; each takes a little while, as a real one does."""

    def __init__(self, fail: bool = False) -> None:
        self.queries = 0
        self.fail = fail

    async def known_tags(self, prefix: str = "", limit: int = 25) -> list[str]:
        self.queries += 1
        await asyncio.sleep(0.05)
        if self.fail:
            raise RuntimeError("database is down")
        return ["BTC", "Pepe"]


def commands(archive: SlowArchive, now: list[datetime]) -> SubscriptionCommands:
    return SubscriptionCommands(archive, None, None, lambda: now[0], ("ETH",), 20)  # type: ignore[arg-type]


async def test_a_burst_with_a_cold_cache_runs_one_query():
    archive, now = SlowArchive(), [datetime(2026, 12, 7, tzinfo=UTC)]
    subscriptions = commands(archive, now)
    known = await asyncio.gather(*(subscriptions.known_tags() for _ in range(200)))
    assert archive.queries == 1
    assert all(tags == {"BTC", "PEPE", "ETH"} for tags in known)
    now[0] += timedelta(hours=1)  # stale: refreshed once more, again for everyone
    await asyncio.gather(*(subscriptions.known_tags() for _ in range(50)))
    assert archive.queries == 2


async def test_a_failed_refresh_fails_its_waiters_and_the_next_call_tries_again():
    archive, now = SlowArchive(fail=True), [datetime(2026, 12, 7, tzinfo=UTC)]
    subscriptions = commands(archive, now)
    outcomes = await asyncio.gather(
        *(subscriptions.known_tags() for _ in range(20)), return_exceptions=True
    )
    assert archive.queries == 1 and all(isinstance(o, RuntimeError) for o in outcomes)
    archive.fail = False
    assert "BTC" in await subscriptions.known_tags()
    assert archive.queries == 2
