"""Operator console on a big archive: dashboard and story list p95 over real HTTP (target
<= 50 ms each) and page weight (target < 200 kB with assets).

A SQLite archive of ``CRYPTOWIRE_BENCH_CONSOLE_N`` articles (default 1,000,000; two per
story, one a minute, the last day as busy as any other), 100,000 finished deliveries and
20 sources is written in bulk, then the console is served on 127.0.0.1 and fetched by a
logged-in client. Baselines in the same run: the same two pages' data read the obvious way
without the indexes the console uses (per-hour counts over ``ingested_at``, the story list
ordered by ``last_updated_at``). ``CRYPTOWIRE_BENCH_CONSOLE_DB=path`` keeps the archive
there and reuses it on the next run (for tuning; published figures build afresh).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.support import percentile, record
from bot.config import Settings, StorageConfig
from bot.web.server import WebServer
from bot.web.settings import WebConfig
from bot.web.views import ConsoleViews
from storage.plugin import open_storage

N = int(os.environ.get("CRYPTOWIRE_BENCH_CONSOLE_N", "1000000"))
TARGET_MS = 50.0
WEIGHT_TARGET = 200_000
SAMPLES = 200
WORDS = "bitcoin ether solana etf inflows miners halving upgrade lawsuit exchange".split()


def _stamp(when: datetime) -> str:
    return when.replace(tzinfo=None).isoformat(sep=" ")


def build(path: Path, n: int) -> float:
    asyncio.run(_migrate(f"sqlite:///{path}"))
    began = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC)
    first = now - timedelta(minutes=n)
    articles, stories = [], []
    for i in range(1, n + 1):
        when = _stamp(first + timedelta(minutes=i))
        story = (i + 1) // 2
        title = f"{WORDS[i % 10].title()} {WORDS[(i * 7) % 10]} report {i}"
        tags = json.dumps([WORDS[i % 10].upper()[:6]])
        if i % 2:
            stories.append((story, title, when, when, 2, tags, "NEUTRAL", 0, 0, when))
        articles.append(
            (i, f"b:{i}", title, "summary", "src", "Source", when, tags, f"{i:064x}", story, when)
        )
        if len(articles) >= 50_000:
            _flush(db, articles, stories)
    _flush(db, articles, stories)
    with db:
        db.executemany(
            "INSERT INTO sources (key, name, kind, consecutive_failures, items_seen, created_at)"
            " VALUES (?, ?, 'rss', ?, 10, ?)",
            [(f"s{i}", f"Source {i}", i % 3, _stamp(now)) for i in range(20)],
        )
        db.execute("INSERT INTO chats (platform, chat_id, thread_id, kind, active, timezone,"
                   " mode, created_at) VALUES ('telegram', '1', '', 'private', 1, 'UTC',"
                   " 'instant', ?)", (_stamp(now),))  # fmt: skip
        db.executemany(
            "INSERT INTO deliveries (idempotency_key, chat_id, story_id, article_id, kind,"
            " priority, status, due_at, attempts, payload, created_at)"
            " VALUES (?, 1, ?, ?, 'alert', 1, ?, ?, 1, '{}', ?)",
            [
                (f"k{i}", i, i, ("sent", "failed", "cancelled")[i % 3], _stamp(now), _stamp(now))
                for i in range(1, 100_001)
            ],
        )
    db.close()
    return time.perf_counter() - began


def _flush(db: sqlite3.Connection, articles: list, stories: list) -> None:
    with db:
        db.executemany(
            "INSERT INTO stories (id, title, first_published_at, last_updated_at, article_count,"
            " tags, sentiment, breaking, retracted, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            stories,
        )
        db.executemany(
            "INSERT INTO articles (id, identity, title, summary, body, source_key, source_name,"
            " published_at, lang, tags, sentiment, sticky_weight, draft, retracted,"
            " content_hash, inferred, story_id, revision, ingested_at) VALUES"
            " (?, ?, ?, ?, '', ?, ?, ?, 'en', ?, 'NEUTRAL', 0, 0, 0, ?, '[]', ?, 1, ?)",
            articles,
        )
    articles.clear()
    stories.clear()


async def _migrate(url: str) -> None:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        await storage.upgrade()
    finally:
        await storage.close()


async def _times(http: aiohttp.ClientSession, url: str) -> tuple[list[float], int]:
    samples, size = [], 0
    for i in range(SAMPLES + 5):
        began = time.perf_counter()
        async with http.get(url) as response:
            body = await response.read()
            assert response.status == 200, (url, response.status)
        if i >= 5:  # the first few warm the caches
            samples.append((time.perf_counter() - began) * 1000)
        size = len(body)
    return samples, size


async def _baseline(storage, now: datetime) -> tuple[list[float], list[float]]:
    """The obvious queries: per-hour counts over ingested_at, stories by last update."""
    since = _stamp(now - timedelta(hours=24))
    dash, listing = [], []
    from sqlalchemy import text

    for i in range(25):
        async with storage.db.connect() as conn:
            began = time.perf_counter()
            await conn.execute(text("SELECT ingested_at FROM articles WHERE ingested_at >= :s"),
                               {"s": since})  # fmt: skip
            await conn.execute(text("SELECT status, count(*) FROM deliveries GROUP BY status"))
            middle = time.perf_counter()
            await conn.execute(text("SELECT * FROM stories ORDER BY last_updated_at DESC LIMIT 50"))
            end = time.perf_counter()
        if i >= 5:
            dash.append((middle - began) * 1000)
            listing.append((end - middle) * 1000)
    return dash, listing


async def _pages(storage, *, ttl_s: float | None) -> tuple:
    """Both pages over HTTP; ``ttl_s=0``: the dashboard computes its counts every time."""
    views = ConsoleViews(storage, lambda: ["telegram"], lambda: datetime.now(UTC))
    if ttl_s is not None:
        views = ConsoleViews(
            storage, lambda: ["telegram"], lambda: datetime.now(UTC), dashboard_ttl_s=ttl_s
        )
    server = WebServer(WebConfig(listen="127.0.0.1:0", password="bench"), views)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.post(f"{base}/login", data={"password": "bench"}) as response:
                assert response.status == 200
            dash, dash_size = await _times(http, f"{base}/")
            stories, stories_size = await _times(http, f"{base}/stories")
            assets = 0
            for asset in ("/static/app.js", "/static/app.css"):
                async with http.get(base + asset) as response:
                    assets += len(await response.read())
    finally:
        await server.stop()
    return dash, dash_size, stories, stories_size, assets


async def _measure(path: Path) -> dict[str, float]:
    storage = open_storage(Settings(storage=StorageConfig(url=f"sqlite:///{path}")))
    try:
        dash, dash_size, stories, stories_size, assets = await _pages(storage, ttl_s=None)
        uncached, *_ = await _pages(storage, ttl_s=0.0)
        base_dash, base_list = await _baseline(storage, datetime.now(UTC))
    finally:
        await storage.close()
    return {
        "dashboard_p95": percentile(dash, 95),
        "dashboard_uncached_p95": percentile(uncached, 95),
        "stories_p95": percentile(stories, 95),
        "baseline_dashboard_p95": percentile(base_dash, 95),
        "baseline_stories_p95": percentile(base_list, 95),
        "weight": max(dash_size, stories_size) + assets,
    }


def run(results: dict) -> None:
    kept = os.environ.get("CRYPTOWIRE_BENCH_CONSOLE_DB")  # reuse a built archive (tuning)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(kept) if kept else Path(folder) / "console.db"
        if kept and path.exists():
            asyncio.run(_migrate(f"sqlite:///{path}"))
            print(f"   reusing {path}")
        else:
            built = build(path, N)
            print(f"   built {N:,} articles, {N // 2:,} stories in {built:.0f} s")
        got = asyncio.run(_measure(path))
    size = f"{N // 1000}k" if N < 1_000_000 else f"{N // 1_000_000}M"
    for page in ("dashboard", "stories"):
        record(
            results,
            f"console {page} page p95 at {size} articles (SQLite, HTTP)",
            got[f"{page}_p95"],
            "ms",
            baseline=got[f"baseline_{page}_p95"],
            target=TARGET_MS,
        )
    record(
        results,
        f"console dashboard page p95 at {size} articles, counts cache off (SQLite, HTTP)",
        got["dashboard_uncached_p95"],
        "ms",
        baseline=got["baseline_dashboard_p95"],
        target=TARGET_MS,
    )
    weight = "console page weight (largest page + assets)"
    record(results, weight, got["weight"], "bytes", target=WEIGHT_TARGET)
    for key, value in got.items():
        print(f"   {key}: {value:.1f}")
