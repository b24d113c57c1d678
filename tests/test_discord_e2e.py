"""End to end through the real process: `cryptowire run` with Discord, against the fake.

Slash commands subscribe a server channel, a second channel and a DM; articles land in a
watched folder; we count what Discord received: one embed per story, nothing for a second
source of the same story, and a channel that answers 403 tried once and never again.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.discord_api import Failure, FakeDiscord
from tests.fakes.discord_world import MANAGE_CHANNELS, TOKEN
from tests.run_support import cryptowire_run, run_env, write_article, write_config

pytestmark = pytest.mark.slow
TITLE = "Bitcoin *ETF* inflows hit a record as _funds_ pile in"
ETF = "Spot bitcoin funds took in $1.1 billion on Monday, a record for a single day."


def article_file(title: str, summary: str, source: str, published: datetime) -> str:
    return "\n".join(
        [
            "---",
            f"title: {json.dumps(title)}",
            f"description: {json.dumps(summary)}",
            f"publishedAt: '{published.strftime('%Y-%m-%dT%H:%M:%S.000Z')}'",
            "source:",
            f"  name: {source.title()}",
            f"  key: {source}",
            "tags: [BTC]",
            "sentiment: POSITIVE",
            f"url: 'https://{source}.example/{published.minute}-{len(title)}'",
            "---",
            f"{title}. {summary}",
            "",
        ]
    )


def config(tmp_path: Path, api_base: str, inbox: Path) -> Path:
    return write_config(
        tmp_path,
        f"""
[discord]
token = "{TOKEN}"
api_base = "{api_base}"

[delivery]
poll_interval_s = 0.05
backoff_base_s = 0.2
""",
        inbox=inbox,
    )


async def until(predicate: Callable[[], bool], within: float) -> None:
    for _ in range(int(within / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_slash_subscribe_alerts_dedupe_and_a_gone_channel_through_the_real_process(
    tmp_path,
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fake = FakeDiscord()
    guild = fake.add_guild()
    news, broken = fake.add_channel(guild, "news"), fake.add_channel(guild, "broken")
    alice = fake.user("alice")
    dm = fake.add_dm(alice)
    api_base = await fake.start()
    try:
        async with cryptowire_run(config(tmp_path, api_base, inbox), tmp_path) as bot:
            await run_scenario(fake, inbox, news, broken, dm, alice)
    finally:
        await fake.stop()
    output = bot.output()
    assert bot.code == 0, output[-3000:]
    assert TOKEN not in output
    assert "Traceback" not in output, output[-3000:]


async def run_scenario(
    fake: FakeDiscord, inbox: Path, news: str, broken: str, dm: str, alice: dict[str, Any]
) -> None:
    await asyncio.wait_for(fake.ready.wait(), 60)
    await until(lambda: "global" in fake.commands, within=10)
    for channel in (news, broken):
        answer = await fake.invoke(
            "subscribe",
            {"tags": "BTC"},
            channel_id=channel,
            user=alice,
            permissions=MANAGE_CHANNELS,
            wait_s=20,
        )
        assert "BTC" in answer.content and answer.ephemeral
    await fake.invoke("subscribe", {"tags": "BTC ETH"}, channel_id=dm, user=alice, wait_s=20)
    fake.fail(broken, Failure(403, 50013))

    now = datetime.now(UTC).replace(microsecond=0)
    write_article(inbox, "one.md", article_file(TITLE, ETF, "decrypt", now - timedelta(minutes=9)))
    await until(lambda: len(fake.messages.get(news, [])) == 1, within=30)
    await until(lambda: len(fake.messages.get(dm, [])) == 1, within=30)
    (alert,) = fake.messages[news]
    embed = alert["embeds"][0]
    assert embed["title"] == r"Bitcoin \*ETF\* inflows hit a record as \_funds\_ pile in"
    assert embed["url"].startswith("https://decrypt.example/")
    assert embed["color"] == 0x2ECC71

    # The same story from a second source: archived (see /latest), no new alert.
    write_article(inbox, "two.md", article_file(TITLE, ETF, "coindesk", now - timedelta(minutes=4)))
    for _ in range(80):
        latest = await fake.invoke("latest", {"tag": "BTC"}, channel_id=dm, user=alice)
        if any("Coindesk" in e.get("description", "") for e in latest.embeds):
            break
        await asyncio.sleep(0.25)  # the folder watcher has not picked the file up yet
    else:
        raise AssertionError("the second source never reached the archive")

    third = "Miners sell reserves as hashprice falls to a five-year low"
    hashprice = "Public miners sold 4,200 coins in October as revenue per terahash slumped."
    write_article(
        inbox, "three.md", article_file(third, hashprice, "theblock", now - timedelta(minutes=1))
    )
    await until(lambda: len(fake.messages.get(news, [])) == 2, within=30)
    await until(lambda: len(fake.messages.get(dm, [])) == 2, within=30)
    assert fake.messages[news][1]["embeds"][0]["title"].startswith("Miners sell")
    attempts = [path for _, path in fake.requests if f"/channels/{broken}/" in path]
    assert len(attempts) == 1  # the 403 deactivated it: the third story never tried
    assert broken not in fake.messages


async def test_a_rejected_token_stops_the_run_with_one_line_and_exit_code_2(tmp_path):
    fake = FakeDiscord()
    fake.reject_token = True
    api_base = await fake.start()
    env = run_env()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config(tmp_path, api_base, tmp_path)),
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await fake.stop()
    text = output.decode("utf-8", errors="replace")
    assert process.returncode == 2, text[-2000:]
    assert (
        text.strip().splitlines()[-1] == "error: discord rejected the bot token ([discord] token)"
    )
    assert TOKEN not in text and "Traceback" not in text
