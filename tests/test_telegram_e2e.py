"""End to end through the real process: `cryptowire run` talking to the fake Bot API.

A user subscribes in Telegram, articles land in a watched folder, and we count what
Telegram received: one escaped alert per story, nothing for a second source of the same
story, a blocked user dropped while others go on, and a 429 that delays without losing.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_state import BLOCKED, flood
from tests.run_support import cryptowire_run, write_article, write_config

pytestmark = pytest.mark.slow

ALICE, BOB, CAROL = 11001, 11002, 11003
TITLE = "Bitcoin holds < $100K & ETF flows > $2B as buyers return"


LEAD = "Spot funds took in more than expected & analysts say <b>demand</b> holds"


def article_file(
    title: str, source: str, published: datetime, tags: str, lead: str = LEAD, **extra: str
) -> str:
    lines = [
        "---",
        f"title: {json.dumps(title)}",
        f"description: {json.dumps(f'{lead} ({source}).')}",
        f"publishedAt: '{published.strftime('%Y-%m-%dT%H:%M:%S.000Z')}'",
        "source:",
        f"  name: {source.title()}",
        f"  key: {source}",
        f"tags: [{tags}]",
        "sentiment: POSITIVE",
        f"url: 'https://{source}.example/{published.minute}-{len(title)}'",
        *(f"{key}: '{value}'" for key, value in extra.items()),
        "---",
        f"{title}. {lead}, according to {source}.",
        "",
    ]
    return "\n".join(lines)


def config(tmp_path: Path, fake: FakeBotApi, inbox: Path) -> Path:
    return write_config(
        tmp_path,
        f"""
[telegram]
token = "{fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
poll_timeout = 1

[delivery]
poll_interval_s = 0.05
backoff_base_s = 0.2
""",
        inbox=inbox,
    )


def sends_to(fake: FakeBotApi, chat_id: int) -> int:
    return sum(
        1
        for call in fake.calls
        if call.method in ("sendMessage", "sendPhoto") and call.params.get("chat_id") == chat_id
    )


async def test_subscribe_alert_dedupe_blocked_and_flood_through_the_real_process(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    async with FakeBotApi() as fake:
        async with cryptowire_run(config(tmp_path, fake, inbox), tmp_path) as bot:
            await run_scenario(fake, inbox)
        output = bot.output()
    assert bot.code == 0, output[-3000:]
    assert fake.token not in output
    assert "Traceback" not in output, output[-3000:]


async def run_scenario(fake: FakeBotApi, inbox: Path) -> None:
    await fake.wait_calls("getUpdates", within=60)  # the bot is up and polling
    menu = fake.calls_to("setMyCommands")[0].params["commands"]
    assert {"subscribe", "latest", "route"} <= {c["command"] for c in menu}
    for user in (ALICE, BOB, CAROL):
        fake.command(fake.private_chat(user, f"User{user}"), user, "/subscribe BTC")
    for user in (ALICE, BOB, CAROL):
        await fake.wait_for(lambda u=user: len(fake.messages_in(u)) == 1, within=20)
        assert "⚠️" not in fake.messages_in(user)[0]["text"]

    fake.inject(BLOCKED, chat_id=BOB, times=None)
    fake.inject(flood(1), chat_id=CAROL)  # the first try to Carol meets flood control
    now = datetime.now(UTC).replace(microsecond=0)
    write_article(
        inbox, "one.md", article_file(TITLE, "decrypt", now - timedelta(minutes=9), "BTC, ETF")
    )
    await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 2, within=30)
    await fake.wait_for(lambda: len(fake.messages_in(CAROL)) == 2, within=30)

    alert = fake.messages_in(ALICE)[1]
    assert alert["text"].startswith(TITLE)  # shown literally, not interpreted
    assert "holds &lt; $100K &amp; ETF flows &gt; $2B as buyers" in alert["_html"]
    assert "analysts say demand holds" in alert["text"] and "#BTC #ETF" in alert["text"]
    assert sends_to(fake, CAROL) == 3  # the reply; a 429, then the alert: delayed, not lost
    assert fake.messages_in(CAROL)[1]["text"] == alert["text"]
    assert sends_to(fake, BOB) == 2 and len(fake.messages_in(BOB)) == 1  # reply; then blocked

    # The same story from a second source: it is archived (see /latest) but sends nothing.
    write_article(
        inbox, "two.md", article_file(TITLE, "coindesk", now - timedelta(minutes=4), "BTC, ETF")
    )
    await until_latest_shows(fake, "Coindesk")

    third = "Miners sell hashrate forward as difficulty jumps"
    lead = "Public mining companies locked in revenue with forward contracts on hashpower"
    before = len(fake.messages_in(ALICE))
    cover = "https://img.example/c.png"
    text = article_file(
        third, "theblock", now - timedelta(minutes=1), "BTC", lead, coverImage=cover
    )
    write_article(inbox, "three.md", text)
    await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == before + 1, within=30)
    await fake.wait_for(lambda: len(fake.messages_in(CAROL)) == 3, within=30)

    photo = fake.messages_in(ALICE)[-1]
    assert photo["_url"] == cover and photo["caption"].startswith(third)
    alerts = [m for m in fake.messages_in(ALICE) if m.get("text", "").startswith((TITLE, "✏️"))]
    story_one = [m for m in alerts if TITLE in m["text"]]
    assert len(story_one) == 1  # the second source sent nothing new
    # ... but the alert already sent was edited in place (issue 8)
    await fake.wait_for(lambda: "+1 source" in story_one[0]["text"], within=30)
    assert [m.get("caption", "")[:5] for m in fake.messages_in(CAROL)][-1] == third[:5]
    assert sends_to(fake, BOB) == 2  # a gone chat is not tried again


async def until_latest_shows(fake: FakeBotApi, source: str) -> None:
    """Ask /latest until the archive lists an article from ``source`` (ingest finished)."""
    for _ in range(40):
        count = len(fake.messages_in(ALICE))
        fake.command(fake.private_chat(ALICE), ALICE, "/latest BTC")
        await fake.wait_for(lambda c=count: len(fake.messages_in(ALICE)) == c + 1, within=20)
        if source in fake.messages_in(ALICE)[-1]["text"]:
            return
        await asyncio.sleep(0.25)  # the folder watcher has not picked the file up yet
    raise AssertionError(f"{source} never appeared in /latest")
