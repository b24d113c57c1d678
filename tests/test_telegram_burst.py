"""The path from getUpdates to sendMessage under a burst, against Bot API servers that are
not quite Telegram: one that answers ``getUpdates`` at once instead of long-polling, one
that enforces the flood limits on replies."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.fakes.telegram_harness import RecordingCore, running_adapter
from tests.fakes.telegram_state import RateLimits


async def test_a_server_that_does_not_long_poll_is_not_asked_hundreds_of_times_a_second():
    async with running_adapter(RecordingCore().services()) as (fake, _):
        fake.max_poll_wait = 0  # every getUpdates answered at once, empty or not
        chat = fake.private_chat(5001)
        fake.command(chat, 5001, "/start")  # ends the long poll already waiting
        await fake.wait_for(lambda: len(fake.messages_in(5001)) == 1)
        before = len(fake.calls_to("getUpdates"))
        await asyncio.sleep(2)
        idle_polls = len(fake.calls_to("getUpdates")) - before
        # a command still gets through quickly
        started = time.monotonic()
        fake.command(chat, 5001, "/help")
        await fake.wait_for(lambda: len(fake.messages_in(5001)) == 2)
        answered_in = time.monotonic() - started
    # without a pause PTB asks again at once: several hundred polls in 2 s
    assert idle_polls <= 15, f"{idle_polls} getUpdates in 2 s of quiet"
    assert answered_in < 1.5


async def test_replies_refused_by_the_flood_limit_are_sent_once_it_allows():
    users = range(7001, 7121)  # 120 replies at 30 a second: 4 s of the server's limit
    async with running_adapter(RecordingCore().services()) as (fake, _):
        limits = fake.enforce_limits(RateLimits(per_second=30))
        for user in users:
            fake.command(fake.private_chat(user), user, "/start")
        await fake.wait_for(lambda: all(fake.messages_in(u) for u in users), within=25)
        await asyncio.sleep(0.5)  # nothing else arrives: no apology after the reply
        got = {user: [m["text"] for m in fake.messages_in(user)] for user in users}
    assert limits.refused > 0  # the limit was hit, and waited out
    assert all(texts == ["ok: /start"] for texts in got.values()), got
    # the replies waited at one shared gate: not hundreds of refused sends per second
    assert limits.refused < 3 * len(users), limits.refused


async def test_a_reply_answered_slowly_is_waited_for_and_not_followed_by_an_apology():
    async with running_adapter(RecordingCore().services()) as (fake, _):
        send, calls = fake._m_sendMessage, []

        async def slow_first(params: dict[str, Any]) -> Any:
            calls.append(params)
            if len(calls) == 1:  # past PTB's 5 s read timeout: a server under a burst
                await asyncio.sleep(6)
            return await send(params)

        fake._m_sendMessage = slow_first  # type: ignore[method-assign]
        fake.command(fake.private_chat(5002), 5002, "/start")
        await fake.wait_for(lambda: bool(fake.messages_in(5002)), within=15)
        await asyncio.sleep(1)  # an apology would have come by now
        texts = [m["text"] for m in fake.messages_in(5002)]
    assert texts == ["ok: /start"]
