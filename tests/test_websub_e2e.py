"""WebSub end to end: a real `cryptowire run` subscribes to a local hub's feed, the hub
verifies intent and pushes a signed item, and the alert reaches the fake Bot API within
a second of the push; unsigned, wrongly signed, oversized and unknown pushes are refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from websub_hub import LocalHub

from tests.fakes.telegram_api import FakeBotApi
from tests.run_support import cryptowire_run, free_port, write_config

pytestmark = pytest.mark.slow

CHAT = 31001
PUSH_TO_ALERT_S = 1.0


def config(tmp_path: Path, fake: FakeBotApi, hub: LocalHub, port: int) -> Path:
    return write_config(
        tmp_path,
        f"""
[[sources]]
name = "Hub News"
kind = "rss"
url = "{hub.feed_url}"
interval = "1h"

[http]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}/"
max_response_bytes = 20000

[telegram]
token = "{fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
poll_timeout = 1

[delivery]
poll_interval_s = 0.05
""",
    )


def alerts(fake: FakeBotApi) -> list[tuple[float, str]]:
    return [
        (call.at, str(call.params.get("text") or call.params.get("caption") or ""))
        for call in fake.calls
        if call.method in ("sendMessage", "sendPhoto") and call.params.get("chat_id") == CHAT
    ]


async def test_a_pushed_item_alerts_within_a_second_and_bad_pushes_are_refused(tmp_path):
    port = free_port()
    async with FakeBotApi() as fake, LocalHub() as hub:
        hub.add_item("old-1", "Ether steadies before the upgrade", tag="ETH")
        async with cryptowire_run(config(tmp_path, fake, hub, port), tmp_path) as bot:
            await scenario(fake, hub, port)
        output = bot.output()
    assert bot.code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "refused an unsigned push" in output
    assert output.count("refused") == 1  # the forged push after it is counted, not logged


async def scenario(fake: FakeBotApi, hub: LocalHub, port: int) -> None:
    await fake.wait_calls("getUpdates", within=60)
    chat = fake.private_chat(CHAT, "Pushy")
    fake.command(chat, CHAT, "/subscribe BTC")
    await fake.wait_for(lambda: len(alerts(fake)) >= 1, within=30)  # the confirmation
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not hub.subscriptions:  # polled once, subscribed, verified
        assert loop.time() < deadline, f"no verified subscription; requests: {hub.requests}"
        await asyncio.sleep(0.05)
    (callback,) = hub.subscriptions
    assert callback == f"http://127.0.0.1:{port}/websub/hub-news"
    assert hub.requests[0]["hub.topic"] == hub.feed_url and hub.requests[0]["hub.secret"]
    polls = hub.feed_gets

    # refused: unsigned, signed with another secret, oversized, unknown subscription
    (unsigned,) = await hub.publish("bad-1", "Bitcoin unsigned push must not alert", sign=False)
    (forged,) = await hub.publish("bad-2", "Bitcoin forged push must not alert", secret="x" * 64)
    (huge,) = await hub.push_raw(b"<rss>" + b" " * 30000 + b"</rss>")
    (unknown,) = await hub.push_raw(hub.document(), callback=callback.replace("hub-news", "nope"))
    assert (unsigned.status, forged.status, huge.status, unknown.status) == (403, 403, 413, 404)
    # a verification for a topic we never asked for is not confirmed
    status, text = await hub.ask(
        callback,
        **{"hub.mode": "subscribe", "hub.topic": "http://evil.example/", "hub.challenge": "c"},
    )
    assert status == 404 and text != "c"

    # a signed push of a new item alerts within a second of the POST
    before = len(alerts(fake))
    (push,) = await hub.publish("new-1", "Bitcoin ETF inflows hit a record on push day")
    assert push.status in (200, 202, 204)
    await fake.wait_for(lambda: len(alerts(fake)) > before, within=10)
    at, text = alerts(fake)[before]
    assert "record on push day" in text
    # fake.calls[].at and the hub's clock are both time.monotonic() in this process
    print(f"push -> alert: {at - push.began:.3f} s")
    assert at - push.began < PUSH_TO_ALERT_S, f"push -> alert took {at - push.began:.3f} s"
    await asyncio.sleep(1.0)
    assert not any("must not alert" in t for _, t in alerts(fake))
    assert len(alerts(fake)) == before + 1
    assert hub.feed_gets == polls  # delivered by the push, not by a poll
