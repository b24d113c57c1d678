"""Latency: an article file written to a watched folder -> the alert at the fake Bot API.

A real `cryptowire run` process (SQLite, a watched folder, Telegram at the fake) and one
chat subscribed to BTC with `/subscribe BTC`. Each round writes one new article (a dataset
item, so a distinct story, tagged BTC) the way downloads land (temp name, then rename)
and times until the fake receives the alert. p50 / p95 (target p50 <= 150 ms). Same run,
beside it: files written in place (open, write, close: read at once where the platform
reports the close, otherwise after the stability wait), and the round trip of a
`/latest BTC` command (fake -> bot -> fake), the bot's floor. Rounds are spaced by more
than a second so Telegram's one message per second per chat never holds an alert.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_archive import Template, load_corpus
from bench.run_process import ROOT, cryptowire_run, until_polling, write_config
from bench.support import dataset_path, percentile, record
from bot.stories.embedding import default_embedder
from tests.fakes.telegram_api import FakeBotApi

ROUNDS = int(os.environ.get("CRYPTOWIRE_BENCH_LATENCY_ROUNDS", "20"))
CHAT = 77001
TARGET_P50_S = 0.15
GAP_S = 1.2  # > Telegram's 1 msg/s per chat: pacing never holds a round
MAX_PROBE_COSINE = 0.3  # probes this far apart never share a story


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


def distinct_items(templates: list[Template], count: int) -> list[Template]:
    """Items that the bot itself puts in stories of their own: two probes grouped into one
    story would give an edit of the first alert, not a new one, and the round would wait
    for an alert never sent. Candidates spread over the dataset and far apart in the
    bot's headline vectors are ingested once into a scratch archive by `cryptowire
    ingest`, published as the rounds will be; those that shared a story are left out."""
    vectors = default_embedder().embed([f"{t.title}. {t.summary}" for t in templates])
    step = max(1, len(templates) // (8 * count))
    picked: list[int] = []
    for index in range(0, len(templates), step):
        if len(picked) == 2 * count:
            break
        if not picked or float((vectors[picked] @ vectors[index]).max()) < MAX_PROBE_COSINE:
            picked.append(index)
    candidates = [templates[i] for i in picked]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "candidates"
        folder.mkdir()
        now = datetime.now(UTC)
        for n, item in enumerate(candidates):
            published = now - timedelta(seconds=len(candidates) - n)
            (folder / f"c{n:03d}.md").write_text(article(item, n, published), "utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--database-url", f"sqlite:///{tmp}/check.db",
             "ingest", str(folder), "--json"],
            capture_output=True, text=True, check=True, env=env, cwd=ROOT,
        )  # fmt: skip
    stories = {
        Path(row["path"]).name: row["story_id"]
        for row in map(json.loads, (line for line in done.stdout.splitlines() if line[:1] == "{"))
    }
    sizes = Counter(stories.values())
    alone = [item for n, item in enumerate(candidates) if sizes[stories.get(f"c{n:03d}.md")] == 1]
    if len(alone) < count:
        raise RuntimeError(f"only {len(alone)} of {count} dataset items in stories of their own")
    return alone[:count]


def alerts(fake: FakeBotApi) -> list[float]:
    return [
        call.at
        for call in fake.calls
        if call.method in ("sendMessage", "sendPhoto") and call.params.get("chat_id") == CHAT
    ]


async def measure(
    folder: Path, items: list[Template]
) -> tuple[list[float], list[float], list[float]]:
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
            latencies: list[float] = []
            in_place: list[float] = []
            for n in range(2 * ROUNDS):
                await asyncio.sleep(GAP_S)  # quiet between rounds: each alert on its own
                before = len(alerts(fake))
                published = now - timedelta(seconds=2 * ROUNDS - n)
                text = article(items[n], n, published)
                if n % 2 == 0:  # renamed into the folder
                    temporary = inbox / f".probe-{n}.md.tmp"
                    temporary.write_text(text, "utf-8")
                    began = time.monotonic()
                    temporary.rename(inbox / f"probe-{n}.md")
                else:  # written in place
                    began = time.monotonic()
                    (inbox / f"probe-{n}.md").write_text(text, "utf-8")
                await fake.wait_for(lambda b=before: len(alerts(fake)) > b, within=60)
                (latencies if n % 2 == 0 else in_place).append(alerts(fake)[before] - began)
    return latencies, in_place, commands


def run(results: dict) -> None:
    path = dataset_path()
    if path is None:
        print("   latency skipped: ../shared/datasets/cryptonews.csv is absent")
        return
    items = distinct_items(load_corpus(path).templates, 2 * ROUNDS)
    with tempfile.TemporaryDirectory() as tmp:
        latencies, in_place, commands = asyncio.run(measure(Path(tmp), items))
    base50 = percentile(commands, 50)
    print(f"   {len(latencies)} renamed; per round (s): {', '.join(f'{x:.3f}' for x in latencies)}")
    print(f"   {len(in_place)} in place; per round (s): {', '.join(f'{x:.3f}' for x in in_place)}")
    print(f"   load average at the end: {os.getloadavg()[0]:.1f}")

    record(results, "latency_p50_s", percentile(latencies, 50), "s", baseline=base50,
           target=TARGET_P50_S)  # fmt: skip
    record(results, "latency_p95_s", percentile(latencies, 95), "s",
           baseline=percentile(commands, 95))  # fmt: skip
    record(results, "latency_in_place_p50_s", percentile(in_place, 50), "s", baseline=base50)
