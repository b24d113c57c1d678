"""Matching 1,000,000 subscriptions: per-article time to compute the matching set.

The synthetic mix (seeded, so every run sees the same data), per subscription:

* tags: 60 tickers/topics with Zipf-like popularity (weight 1/rank, so BTC is the most
  wanted); 0 tags 8%, 1 tag 57%, 2 tags 25%, 3 tags 10%;
* sentiment: any 70%, one sentiment 20%, two 10%;
* sources: 5% name one of 8 sources;
* keywords: 10% one word, 3% two words, 2% a two-word phrase, from a 300-word
  vocabulary (Zipf-like); 5% exclude one word; 3% ask for a language;
* chats: 250,000 chats, subscriptions spread uniformly over them.

Articles: 300, each with 1-3 tags drawn with the same popularity, a random sentiment
and source, and ~40 words of text from the same vocabulary plus filler, so popular
tags give large match sets (a BTC article matches roughly a third of all subscriptions).

Figures: p50/p95 over the articles of ``SubscriptionIndex.match_slots`` (the matching
set as an array of slots; each article timed 5 times and the best kept, as timeit
advises, because the machine is shared), of ``match_chat_arrays`` (one entry per chat
with one of its matching subscriptions: what the planner needs), index build
time and the process's RSS growth while holding the index. Baseline: a naive scan
applying ``subscription_filter.matches`` to every subscription, timed over the first
100,000 subscriptions and scaled linearly to the full count (a full scan takes seconds
per article). Last, the memory target of issue 9: the same subscriptions written to a
SQLite database and loaded by a fresh process the way ``cryptowire run`` starts
(``IndexSync.load``), whose peak RSS is reported (target <= 300 MB). And the whole
fan-out of one article wanted by 100,000 chats: ``AlertPlanner.plan`` (match, one
delivery per chat, schedule rules) and then ``outbox.enqueue_many`` on SQLite, against
enqueuing one delivery per transaction (timed on 500, scaled). The 2 s enqueue target is
PostgreSQL's and measured by ``bench_outbox``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

from bench.storage_load import fill
from bot.alerts.matching import SubscriptionIndex
from bot.alerts.subscription_filter import ArticleText, matches
from bot.config import Settings, StorageConfig
from bot.models import Article, Sentiment, SubscriptionFilter
from storage.plugin import open_storage

SUBSCRIPTIONS = int(os.environ.get("CRYPTOWIRE_BENCH_SUBSCRIPTIONS", "1000000"))
CHATS = max(1, SUBSCRIPTIONS // 4)
ARTICLES = 300
NAIVE_SAMPLE = min(100_000, SUBSCRIPTIONS)
# Issue 9's targets at 1,000,000 (p95 <= 5 ms, <= 300 MB); issue 20's at 5,000,000 (p95 <= 10
# ms, <= 300 MB peak). Other sizes record under their own names, beside the 1M figures.
P95_TARGET = {1_000_000: 5.0, 5_000_000: 10.0}.get(SUBSCRIPTIONS)
SIZE = "" if SUBSCRIPTIONS == 1_000_000 else f"_{SUBSCRIPTIONS / 1e6:g}m".replace(".", "_")


def _key(name: str) -> str:
    """``matching_NAME`` at 1,000,000 subscriptions, ``matching_NAME_5m`` at 5,000,000."""
    return f"matching_{name}{SIZE}"


TAGS = (
    "BTC ETH SOL XRP BNB DOGE ADA DEFI NFT TRX AVAX LINK DOT MATIC TON SHIB LTC BCH UNI "
    "ATOM XLM ETC FIL APT ARB OP NEAR ICP HBAR VET MKR AAVE GRT ALGO STX INJ RNDR SUI SEI "
    "TIA PEPE BONK WIF FET IMX LDO RUNE CRV SNX COMP SAND MANA AXS EGLD FTM KAS XMR ZEC "
    "DASH REGULATION ETF"
).split()
SOURCES = ["decrypt", "coindesk", "cointelegraph", "cryptonews", "theblock", "bitcoinist"]
SOURCES += ["cryptopotato", "dlnews"]
FILLER = "the a of to in and for on with as by at from that this is was has are".split()


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(400)}
    return sorted(words)[:300]


_CUMULATIVE: dict[int, list[float]] = {}


def _zipf(rng: random.Random, items: list[str], count: int) -> list[str]:
    """``count`` distinct items, item of rank r drawn with weight 1/r."""
    if not count:
        return []
    cumulative = _CUMULATIVE.get(len(items))
    if cumulative is None:
        cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(items))))
        _CUMULATIVE[len(items)] = cumulative
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.update(rng.choices(items, cum_weights=cumulative, k=count - len(chosen)))
    return sorted(chosen)


def subscriptions(count: int, seed: int = 1) -> Iterator[tuple[int, int, SubscriptionFilter]]:
    """The documented mix, generated lazily so only the index holds memory."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(random.Random(99))
    sentiments = list(Sentiment)
    for sid in range(1, count + 1):
        tag_count = rng.choices([0, 1, 2, 3], [8, 57, 25, 10])[0]
        roll = rng.random()
        keywords: tuple[str, ...] = ()
        if roll < 0.10:
            keywords = tuple(_zipf(rng, vocabulary, 1))
        elif roll < 0.13:
            keywords = tuple(_zipf(rng, vocabulary, 2))
        elif roll < 0.15:
            keywords = (" ".join(_zipf(rng, vocabulary, 2)),)
        sentiment_count = rng.choices([0, 1, 2], [70, 20, 10])[0]
        yield (
            sid,
            rng.randrange(1, CHATS + 1),
            SubscriptionFilter(
                tags=frozenset(_zipf(rng, TAGS, tag_count)),
                sentiments=frozenset(rng.sample(sentiments, sentiment_count)),
                sources=frozenset([rng.choice(SOURCES)] if rng.random() < 0.05 else []),
                keywords=keywords,
                exclude_keywords=tuple(_zipf(rng, vocabulary, 1)) if rng.random() < 0.05 else (),
                lang=rng.choice(["en", "en", "de", "es"]) if rng.random() < 0.03 else None,
            ),
        )


def articles(count: int, seed: int = 2) -> list[Article]:
    rng = random.Random(seed)
    vocabulary = _vocabulary(random.Random(99))
    made = []
    for number in range(count):
        words = [rng.choice(FILLER) if rng.random() < 0.4 else rng.choice(vocabulary)]
        words += [rng.choice(FILLER + vocabulary) for _ in range(40)]
        made.append(
            Article(
                id=number + 1,
                title=" ".join(words[:10]),
                summary=" ".join(words[10:]),
                source_key=rng.choice(SOURCES),
                source_name="Bench",
                published_at=datetime(2026, 1, 7, tzinfo=UTC),
                tags=tuple(_zipf(rng, TAGS, rng.randint(1, 3))),
                sentiment=rng.choice(list(Sentiment)),
                lang=rng.choice(["en", "en", "en", "de"]),
            )
        )
    return made


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _timed(func, item):  # type: ignore[no-untyped-def]
    """Best of 5 runs in ms (as timeit advises): the machine is shared by several busy
    processes, and a descheduling in the middle of a run measures the scheduler."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        result = func(item)
        runs.append((time.perf_counter() - start) * 1000)
    return result, min(runs)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _naive_ms(sample: list[tuple[int, int, SubscriptionFilter]], items: list[Article]) -> float:
    timings = []
    for item in items:
        start = time.perf_counter()
        text = ArticleText.of(item)
        _ = [sid for sid, _chat, flt in sample if matches(flt, item, text)]
        timings.append((time.perf_counter() - start) * 1000 * SUBSCRIPTIONS / len(sample))
    return statistics.median(timings)


def run(results: dict) -> None:
    gc.collect()
    rss_before = _rss_mb()
    index = SubscriptionIndex()
    start = time.perf_counter()
    index.add_many(subscriptions(SUBSCRIPTIONS))
    build_s = time.perf_counter() - start
    gc.collect()
    rss_index = _rss_mb() - rss_before
    items = articles(ARTICLES)
    for item in items[:20]:  # warm-up: scratch buffers, caches
        index.match_slots(item)
    slot_ms, chat_ms, sizes = [], [], []
    for item in items:
        slots, took = _timed(index.match_slots, item)
        slot_ms.append(took)
        (chats, _lowest), took = _timed(index.match_chat_arrays, item)
        chat_ms.append(took)
        sizes.append((len(slots), len(chats)))
    sample = [row for row, _ in zip(subscriptions(NAIVE_SAMPLE), range(NAIVE_SAMPLE), strict=False)]
    naive = _naive_ms(sample, items[:5])
    p50, p95 = _percentile(slot_ms, 0.5), _percentile(slot_ms, 0.95)
    chats_p95 = _percentile(chat_ms, 0.95)
    median_matches = statistics.median(s for s, _ in sizes)
    load = os.getloadavg()[0]
    print(
        f"matching (load average {load:.1f}): {SUBSCRIPTIONS:,} subscriptions, "
        f"build {build_s:.1f} s, index RSS "
        f"+{rss_index:.0f} MB; per article p50 {p50:.2f} ms, p95 {p95:.2f} ms "
        f"(median {median_matches:,.0f} matches, max {max(s for s, _ in sizes):,}); "
        f"one-per-chat p95 {chats_p95:.2f} ms; naive scan {naive:.0f} ms "
        f"(x{naive / p95:.0f})"
    )
    results[_key("p95_ms")] = {
        "value": round(p95, 3),
        "unit": "ms",
        "baseline": round(naive, 1),
        "ratio": round(naive / p95, 1),
        "target": P95_TARGET,
    }
    results[_key("p50_ms")] = {
        "value": round(p50, 3),
        "unit": "ms",
        "baseline": round(naive, 1),
        "ratio": round(naive / p50, 1),
        "target": None,
    }
    results[_key("chats_p95_ms")] = {
        "value": round(chats_p95, 3),
        "unit": "ms",
        "baseline": round(naive, 1),
        "ratio": round(naive / chats_p95, 1),
        "target": None,
    }
    results[_key("index_rss_mb")] = {
        "value": round(rss_index, 1),
        "unit": "MB",
        "baseline": None,
        "ratio": None,
        "target": 300.0,
    }
    results[_key("index_build_s")] = {
        "value": round(build_s, 2),
        "unit": "s",
        "baseline": None,
        "ratio": None,
        "target": None,
    }
    del index, sample
    gc.collect()
    _storage_load(results)
    print(
        f"matching targets at {SUBSCRIPTIONS:,} subscriptions (issue 20 at 5,000,000: p95 <= 10 "
        f"ms, peak <= 300 MB; 1,000,000 loaded in <= 5 s): match p95 {p95:.2f} ms; start-up "
        f"load peak RSS {results[_key('load_peak_rss_mb')]['value']:.0f} MB, "
        f"{results[_key('load_s')]['value']:.1f} s wall"
    )
    _fan_out(results)


def _storage_load(results: dict) -> None:
    """A fresh process loading every subscription from SQLite: its peak RSS and time."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.db")
        url = f"sqlite:///{path}"
        asyncio.run(_migrate(url))
        fill(path, subscriptions(SUBSCRIPTIONS), CHATS)
        figures = _load_process(url)
        old = _load_process(url, "--one-by-one")
    print(
        f"matching (load average {os.getloadavg()[0]:.1f}): a fresh process loads "
        f"{figures['subscriptions']:,} subscriptions from SQLite in {figures['seconds']:.1f} s "
        f"(CPU {figures['cpu_s']:.1f} s), peak RSS {figures['peak_rss_mb']:.0f} MB; one by "
        f"one (the load before decision 005's bulk path) {old['seconds']:.1f} s (CPU "
        f"{old['cpu_s']:.1f} s), peak RSS {old['peak_rss_mb']:.0f} MB"
    )

    results[_key("load_peak_rss_mb")] = {
        "value": round(figures["peak_rss_mb"], 1),
        "unit": "MB",
        "baseline": None,
        "ratio": None,
        "target": 300.0,
    }
    results[_key("load_s")] = {
        "value": round(figures["seconds"], 1),
        "unit": "s",
        "baseline": round(old["seconds"], 1),
        "ratio": round(old["seconds"] / figures["seconds"], 2),
        "target": 5.0 if SUBSCRIPTIONS == 1_000_000 else None,
    }
    results[_key("load_cpu_s")] = {
        "value": round(figures["cpu_s"], 1),
        "unit": "s CPU",
        "baseline": round(old["cpu_s"], 1),
        "ratio": round(old["cpu_s"] / figures["cpu_s"], 2),
        "target": None,
    }


def _load_process(url: str, *flags: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.storage_load", url, *flags],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


FAN_OUT = 100_000


def _fan_out(results: dict) -> None:
    """An article wanted by 100,000 chats: match, plan and enqueue through the real outbox."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fanout.db")
        url = f"sqlite:///{path}"
        asyncio.run(_migrate(url))
        wanted = SubscriptionFilter(tags=frozenset({"BTC"}))
        fill(path, ((n, n, wanted) for n in range(1, FAN_OUT + 1)), FAN_OUT)
        plan_s, enqueue_s, enqueued, naive_s = asyncio.run(_plan_and_enqueue(url))
    print(
        f"matching: an article for {FAN_OUT:,} chats: match + plan {plan_s:.2f} s, "
        f"enqueue {enqueued:,} deliveries {enqueue_s:.2f} s on SQLite "
        f"(one transaction per delivery: {naive_s:.0f} s)"
    )
    results["matching_fanout_plan_s"] = {
        "value": round(plan_s, 3),
        "unit": "s",
        "baseline": None,
        "ratio": None,
        "target": None,
    }
    results["matching_fanout_enqueue_sqlite_s"] = {
        "value": round(enqueue_s, 2),
        "unit": "s",
        "baseline": round(naive_s, 1),
        "ratio": round(naive_s / enqueue_s, 1),
        "target": None,  # the 2 s target is PostgreSQL's: bench_outbox measures it
    }


async def _plan_and_enqueue(url: str) -> tuple[float, float, int, float]:
    from bot.alerts.planner import AlertPlanner, IndexSync

    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        index = SubscriptionIndex()
        sync = IndexSync(storage.chats, index)
        await sync.load()
        now = datetime.now(UTC)
        planner = AlertPlanner(storage.chats, storage.outbox, index, lambda: now, sync=sync)
        item = Article(
            id=1,
            story_id=1,
            title="Bitcoin breaks its record",
            source_key="decrypt",
            source_name="Decrypt",
            published_at=now,
            tags=("BTC",),
        )
        start = time.perf_counter()
        planned = await planner.plan(item, check_story=False)
        plan_s = time.perf_counter() - start
        start = time.perf_counter()
        enqueued = await storage.outbox.enqueue_many(planned)
        enqueue_s = time.perf_counter() - start
        sample = [replace(d, story_id=2) for d in planned[:500]]
        start = time.perf_counter()
        for delivery in sample:
            await storage.outbox.enqueue_many([delivery])
        naive_s = (time.perf_counter() - start) * len(planned) / len(sample)
    finally:
        await storage.close()
    return plan_s, enqueue_s, enqueued, naive_s


async def _migrate(url: str) -> None:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        await storage.upgrade()
    finally:
        await storage.close()


if __name__ == "__main__":
    found: dict = {}
    run(found)
