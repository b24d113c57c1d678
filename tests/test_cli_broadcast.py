"""`cryptowire post` and `cryptowire audit`: the CLI enqueues in the shared database, the
bot's dispatcher (or `--send`) delivers to the Telegram and Discord fakes; both databases."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import bot.cli.broadcast  # noqa: F401 - registers post and audit on the app
from bot.cli.main import app
from bot.config import BroadcastTarget
from bot.ops.logs import MASKER
from storage.plugin import SqlStorage
from tests.broadcast_support import ETF_SECOND_SOURCE, BroadcastCore
from tests.fakes.discord_world import DiscordWorld, RecordingCore
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_harness import running_adapter

CHANNEL = -1009876543
NOISY = ("httpx", "httpcore", "apscheduler", "telegram", "discord", "aiosqlite", "alembic")
ETF_FILE = """---
title: Ethereum ETF sees record $1.2B inflows as ether tops $4,000
description: Spot ether funds took in $1.2 billion in one day while ether rose above $4,000.
publishedAt: '2026-03-02T08:00:00Z'
url: https://example.org/eth-etf
source: {name: Decrypt, key: decrypt}
tags: [ETH, ETF]
sentiment: positive
---
Spot ether funds took in $1.2 billion in one day while ether rose above $4,000.
"""


@pytest.fixture(autouse=True)
def isolated_logging() -> Iterator[None]:
    """The CLI configures the root logger and registers secrets with the masker, as in a
    terminal; in this process the other tests must not inherit either."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in NOISY}
    secrets = set(MASKER._secrets)
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)
    MASKER._secrets = secrets


def config(tmp_path: Path, database_url: str, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\nurl = "{database_url}"\n{body}', encoding="utf-8")
    return path


async def cli(*args: str) -> Result:
    """Run the CLI in a thread: it owns its own event loop, as in a terminal."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_cli_post_of_a_file_reaches_both_platforms_pinned_and_edits_follow(
    storage: SqlStorage, database_url: str, tmp_path: Path
):
    article = tmp_path / "eth-etf.md"
    article.write_text(ETF_FILE, encoding="utf-8")
    async with DiscordWorld(RecordingCore().services()) as world:
        targets = f"""
[[broadcast]]
platform = "telegram"
chat = "{CHANNEL}"

[[broadcast]]
platform = "discord"
chat = "{world.text}"
"""
        cfg = config(tmp_path, database_url, targets)
        posted = await cli("--config", str(cfg), "post", str(article), "--pin", "--json")
        async with running_adapter(RecordingCore().services()) as (fake, telegram):
            fake.channel(CHANNEL, "Crypto Wire", "cryptowirewire")
            core = BroadcastCore.build(
                storage,
                [
                    BroadcastTarget(platform="telegram", chat=str(CHANNEL)),
                    BroadcastTarget(platform="discord", chat=world.text),
                ],
            )
            await core.deliver(telegram, world.adapter)  # the running bot's dispatcher
            (tg_post,) = fake.messages_in(CHANNEL)
            tg_first = str(tg_post["text"])
            joined = await core.ingest(ETF_SECOND_SOURCE)
            await core.deliver(telegram, world.adapter)
            tg_final = fake.messages_in(CHANNEL)
        audit = await cli("--config", str(cfg), "audit", "--json")
    assert posted.exit_code == 0, posted.output
    report = json.loads(posted.stdout)
    assert report["targets"] == [f"telegram:{CHANNEL}", f"discord:{world.text}"]
    assert report["pinned"] == report["targets"]
    assert "BREAKING" in tg_first and "Ethereum ETF sees record" in tg_first
    assert fake.pinned == [(CHANNEL, tg_post["message_id"])]
    (dc_post,) = world.fake.messages[world.text]
    assert world.fake.pinned == [(world.text, dc_post["id"])]
    assert joined.story_joined
    assert len(tg_final) == 1 and "+1 source" in tg_final[0]["text"]
    assert "+1 source" in dc_post["embeds"][0]["footer"]["text"]
    (entry,) = [json.loads(line) for line in audit.stdout.splitlines()]
    assert (entry["platform"], entry["action"]) == ("cli", "post")
    assert entry["target"] == f"article {report['article']}" and entry["detail"]["pin"] is True


async def test_cli_post_by_id_with_send_delivers_from_the_cli_process(
    storage: SqlStorage, database_url: str, tmp_path: Path
):
    core = BroadcastCore.build(storage, [])
    stored = await core.ingest(ETF_SECOND_SOURCE)
    async with FakeBotApi() as fake:
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirewire")
        body = f"""
[telegram]
token = "{fake.token}"
base_url = "{fake.base_url}"

[[broadcast]]
platform = "telegram"
chat = "{CHANNEL}"
pin = true

[[broadcast]]
platform = "discord"
chat = "123456789"
"""
        cfg = config(tmp_path, database_url, body)
        args = ["--config", str(cfg), "post", str(stored.article.id), "--to", "telegram"]
        result = await cli(*args, "--send")
        again = await cli(*args)
    assert result.exit_code == 0, result.output
    assert f"to telegram:{CHANNEL}; pinned in telegram:{CHANNEL}" in result.output
    assert "Sent now: 1 message(s)." in result.output
    (post,) = fake.messages_in(CHANNEL)
    assert "BREAKING" in post["text"] and "Ether tops $4,000" in post["text"]
    assert fake.pinned == [(CHANNEL, post["message_id"])]
    assert again.exit_code == 0 and f"already posted in telegram:{CHANNEL}" in again.output
    assert len(await storage.audit.recent()) == 2
    assert fake.token not in result.output


async def test_cli_post_mistakes_are_one_line_errors(
    storage: SqlStorage, database_url: str, tmp_path: Path
):
    draft = tmp_path / "draft.md"
    draft.write_text(ETF_FILE.replace("sentiment: positive", "draft: true"), encoding="utf-8")
    cfg = config(tmp_path, database_url, '[[broadcast]]\nplatform = "telegram"\nchat = "-100"\n')
    results = {
        "missing id": await cli("--config", str(cfg), "post", "424242"),
        "no such file": await cli("--config", str(cfg), "post", "nowhere.md"),
        "bad platform": await cli("--config", str(cfg), "post", "1", "--to", "slack"),
        "no target": await cli("--config", str(cfg), "post", "1", "--to", "discord"),
        "draft": await cli("--config", str(cfg), "post", str(draft)),
    }
    assert {name: r.exit_code for name, r in results.items()} == dict.fromkeys(results, 2)
    errors = {
        name: [x for x in r.stderr.splitlines() if x.startswith("error:")]
        for name, r in results.items()
    }
    assert all(len(lines) == 1 for lines in errors.values()), errors
    messages = {name: lines[0] for name, lines in errors.items()}
    assert messages["missing id"] == "error: no article 424242 in the archive"
    assert (
        messages["no such file"] == "error: nowhere.md: neither an article id nor a readable file"
    )
    assert messages["bad platform"].startswith("error: --to: slack is not a platform")
    assert messages["no target"] == "error: --to: no [[broadcast]] target for discord in the config"
    assert messages["draft"] == f"error: {draft}: the article is a draft, so it cannot be posted"
    assert await storage.audit.recent() == []
    assert await storage.archive.latest() == []
