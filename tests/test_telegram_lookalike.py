"""A real `cryptowire run` against a Bot API look-alike (tests/fakes/lookalike_bot_api.py):
the kind of local emulator people test bots with, which leaves out fields Telegram sends,
dates messages in milliseconds and lacks sendPhoto and setMyCommands. The bot starts,
answers every command once, and sends alerts as text, with one log line per missing
method and no traceback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.lookalike_bot_api import LookalikeBotApi
from tests.run_support import cryptowire_run, write_config

pytestmark = pytest.mark.slow
BURST = 200
ARTICLE = """---
title: "Bitcoin miners sell reserves as hashprice slides"
publishedAt: '{when}'
source:
  name: Lookalike Desk
  key: lookalike-desk
tags: [BTC]
coverImage:
  regular: 'https://images.example.com/miners.jpg'
---
Miners sold part of their bitcoin reserves on Tuesday as the hashprice fell.
"""


async def until(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {what}")
        await asyncio.sleep(0.05)


def config(tmp_path: Path, api: LookalikeBotApi, inbox: Path) -> Path:
    return write_config(
        tmp_path,
        f"""
[telegram]
token = "{api.token}"
base_url = "{api.base_url}"
poll_timeout = 1

[delivery]
poll_interval_s = 0.05
""",
        inbox=inbox,
        source_name="Inbox",
        interval=None,
    )


async def test_the_bot_works_against_a_bot_api_lookalike(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    async with LookalikeBotApi() as api:
        async with cryptowire_run(config(tmp_path, api, inbox), tmp_path) as bot:
            await until(lambda: api.polls > 0, 60, "the bot polls for updates")
            api.command(501, "/start")
            api.command(501, "/subscribe BTC")
            await until(lambda: len(api.texts_to(501)) >= 2, 30, "two answers to 501")
            for user in range(1000, 1000 + BURST):
                api.command(user, "/subscribe ETH")
            answered = lambda: all(api.texts_to(u) for u in range(1000, 1000 + BURST))  # noqa: E731
            await until(answered, 60, f"{BURST} users answered")
            when = datetime.now(UTC).isoformat(timespec="seconds")
            (inbox / "miners.md").write_text(ARTICLE.format(when=when), encoding="utf-8")
            await until(lambda: len(api.texts_to(501)) >= 3, 30, "the alert as text")
            await asyncio.sleep(1.5)  # nothing sent twice, nothing retried
        output = bot.output()
    start, subscribed, alert = api.texts_to(501)
    assert "/subscribe" in start and "Subscribed" in subscribed and "BTC" in subscribed
    assert "Bitcoin miners sell reserves" in alert
    assert all(len(api.texts_to(u)) == 1 for u in range(1000, 1000 + BURST))
    assert all("Subscribed" in api.texts_to(u)[0] for u in range(1000, 1000 + BURST))
    texts = [m.get("text", "") for m in api.sent]
    assert not [t for t in texts if "went wrong" in t], texts
    assert api.refused.count("sendPhoto") == 1 and api.refused.count("setMyCommands") == 1
    assert bot.code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    lines = output.splitlines()
    assert len([line for line in lines if "no sendPhoto" in line]) == 1, output
    assert len([line for line in lines if "setMyCommands" in line]) == 1, output
    assert api.token not in output
