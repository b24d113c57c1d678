"""Latency: an article file written to a watched folder -> the alert at the fake Bot API.

A real `cryptowire run` process (SQLite, a watched folder, Telegram at the fake) and one
chat subscribed to BTC with `/subscribe BTC`. Each round writes one new article (a
distinct dataset-style story tagged BTC) the way downloads land (temp name, then rename)
and times until the fake receives the alert. p50 / p95 (target p50 <= 1 s). Baseline, same
run: the round trip of a `/latest BTC` command (fake -> bot -> fake), the bot's floor.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.run_process import cryptowire_run, until_polling, write_config
from bench.support import percentile, record
from tests.fakes.telegram_api import FakeBotApi

ROUNDS = int(os.environ.get("CRYPTOWIRE_BENCH_LATENCY_ROUNDS", "20"))
CHAT = 77001
TARGET_P50_S = 1.0
SUBJECTS = [
    "miners", "exchange", "stablecoin", "regulator", "lending desk", "hedge fund", "wallet",
    "custodian", "bridge", "validator", "treasury", "market maker", "payments firm", "court",
    "central bank", "index provider", "broker", "insurer", "pension fund", "auditor",
]  # fmt: skip
VERBS = [
    "doubles", "halts", "expands", "cuts", "freezes", "launches", "files for", "settles",
    "rejects", "approves",
]  # fmt: skip


def article(n: int, published: datetime) -> str:
    subject = SUBJECTS[n % len(SUBJECTS)]
    verb = VERBS[(n * 7) % len(VERBS)]
    title = f"{subject.title()} {verb} {n * 37 % 997} BTC plan in round {n} of probe {n * 13}"
    return "\n".join(
        [
            "---",
            f'title: "{title}"',
            f"description: 'Latency probe {n}: {subject} news for the benchmark.'",
            f"publishedAt: '{published.strftime('%Y-%m-%dT%H:%M:%S.000Z')}'",
            "source:",
            "  name: Bench Wire",
            "  key: benchwire",
            "tags: [BTC]",
            f"url: 'https://benchwire.example/{n}'",
            "---",
            f"{title}. Round {n} body text about {subject} and bitcoin.",
            "",
        ]
    )


def alerts(fake: FakeBotApi) -> list[float]:
    return [
        call.at
        for call in fake.calls
        if call.method in ("sendMessage", "sendPhoto") and call.params.get("chat_id") == CHAT
    ]


async def measure(folder: Path) -> tuple[list[float], list[float]]:
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
                temporary.write_text(article(n, now - timedelta(seconds=ROUNDS - n)), "utf-8")
                began = time.monotonic()
                temporary.rename(inbox / f"probe-{n}.md")
                await fake.wait_for(lambda b=before: len(alerts(fake)) > b, within=60)
                latencies.append(alerts(fake)[before] - began)
                await asyncio.sleep(0.3)  # quiet between rounds: each alert on its own
    return latencies, commands


def run(results: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        latencies, commands = asyncio.run(measure(Path(tmp)))
    base50 = percentile(commands, 50)
    print(
        f"   {len(latencies)} articles; per round (s): {', '.join(f'{x:.2f}' for x in latencies)}"
    )
    record(results, "latency_p50_s", percentile(latencies, 50), "s", baseline=base50,
           target=TARGET_P50_S)  # fmt: skip
    record(results, "latency_p95_s", percentile(latencies, 95), "s",
           baseline=percentile(commands, 95))  # fmt: skip
