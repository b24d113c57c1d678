"""Latency: an article file written to a watched folder -> the alert at the fake Bot API.

A real `cryptowire run` process (SQLite, a watched folder, Telegram at the fake) and one
chat subscribed to BTC with `/subscribe BTC`. Each round writes one new article (a dataset
item, so a distinct story, tagged BTC) the way downloads land (temp name, then rename)
and times until the fake receives the alert. p50 / p95 (target p50 <= 1 s). Baseline, same
run: the round trip of a `/latest BTC` command (fake -> bot -> fake), the bot's floor.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_archive import Template, load_corpus
from bench.run_process import cryptowire_run, until_polling, write_config
from bench.support import dataset_path, percentile, record
from tests.fakes.telegram_api import FakeBotApi

ROUNDS = int(os.environ.get("CRYPTOWIRE_BENCH_LATENCY_ROUNDS", "20"))
CHAT = 77001
TARGET_P50_S = 1.0


def article(item: Template, n: int, published: datetime) -> str:
    """A front-matter file for one dataset item (real, distinct stories), tagged BTC."""
    return "\n".join(
        [
            "---",
            f"title: {json.dumps(item.title)}",
            f"description: {json.dumps(item.summary)}",
            f"publishedAt: '{published.strftime('%Y-%m-%dT%H:%M:%S.000Z')}'",
            "source:",
            f"  name: {item.source}",
            f"  key: {item.source.lower()}",
            "tags: [BTC]",
            f"url: 'https://benchwire.example/{n}'",
            "---",
            item.summary,
            "",
        ]
    )


def alerts(fake: FakeBotApi) -> list[float]:
    return [
        call.at
        for call in fake.calls
        if call.method in ("sendMessage", "sendPhoto") and call.params.get("chat_id") == CHAT
    ]


async def measure(folder: Path, items: list[Template]) -> tuple[list[float], list[float]]:
    inbox = folder / "inbox"
    inbox.mkdir()
    async with FakeBotApi() as fake:
        config = write_config(folder, fake, database=f"sqlite:///{folder / 'cw.db'}", inbox=inbox)
        log = folder / "run.log"
        async with cryptowire_run(config, log):
            await until_polling(fake, log, within=120)
            chat = fake.private_chat(CHAT, "Bench")
            fake.command(chat, CHAT, "/subscribe BTC")
            await fake.wait_for(lambda: len(alerts(fake)) >= 1, within=30)
            commands = []
            for _ in range(ROUNDS // 2):
                before = len(alerts(fake))
                began = time.monotonic()
                fake.command(chat, CHAT, "/latest BTC")
                await fake.wait_for(lambda b=before: len(alerts(fake)) > b, within=30)
                commands.append(alerts(fake)[before] - began)
            now = datetime.now(UTC)
            latencies = []
            for n in range(ROUNDS):
                before = len(alerts(fake))
                temporary = inbox / f".probe-{n}.md.tmp"
                published = now - timedelta(seconds=ROUNDS - n)
                temporary.write_text(article(items[n], n, published), "utf-8")
                began = time.monotonic()
                temporary.rename(inbox / f"probe-{n}.md")
                await fake.wait_for(lambda b=before: len(alerts(fake)) > b, within=60)
                latencies.append(alerts(fake)[before] - began)
                await asyncio.sleep(0.3)  # quiet between rounds: each alert on its own
    return latencies, commands


def run(results: dict) -> None:
    path = dataset_path()
    if path is None:
        print("   latency skipped: ../shared/datasets/cryptonews.csv is absent")
        return
    templates = load_corpus(path).templates
    step = max(1, len(templates) // ROUNDS)
    items = [templates[i * step] for i in range(ROUNDS)]  # spread out: distinct stories
    with tempfile.TemporaryDirectory() as tmp:
        latencies, commands = asyncio.run(measure(Path(tmp), items))
    base50 = percentile(commands, 50)
    print(
        f"   {len(latencies)} articles; per round (s): {', '.join(f'{x:.2f}' for x in latencies)}"
    )
    record(results, "latency_p50_s", percentile(latencies, 50), "s", baseline=base50,
           target=TARGET_P50_S)  # fmt: skip
    record(results, "latency_p95_s", percentile(latencies, 95), "s",
           baseline=percentile(commands, 95))  # fmt: skip
