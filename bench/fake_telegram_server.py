"""The fake Bot API in its own process, so a benchmark's sender is not slowed by the fake.

``python -m bench.fake_telegram_server SCALE`` prints ``{"port": N, "token": T}`` on one
line, serves until stdin closes, then prints ``{"accepted", "refused", "first", "last"}``
(first/last: monotonic seconds of the first and last accepted send).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_state import RateLimits


async def serve(scale: float) -> None:
    async with FakeBotApi() as fake:
        limits = fake.enforce_limits(RateLimits(time_scale=scale))
        accepted: list[float] = []
        check = limits.check

        def counted(chat_id: int | str) -> int | None:
            retry = check(chat_id)
            if retry is None:
                accepted.append(time.monotonic())
            return retry

        limits.check = counted  # type: ignore[method-assign]
        print(json.dumps({"port": fake.port, "token": fake.token}), flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        stats = {
            "accepted": limits.accepted,
            "refused": limits.refused,
            "first": accepted[0] if accepted else None,
            "last": accepted[-1] if accepted else None,
            "messages": sum(1 for m in fake.messages.values() if m.get("_by_bot")),
        }
        print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
