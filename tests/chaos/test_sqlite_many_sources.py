"""1,000 feed sources polled at once on SQLite: `cryptowire poll --once` and the
scheduler inside `cryptowire run`.

Both used to lose hundreds of sources to "database is locked", with the raw SQL in the
reported error and a traceback per failure. Every source must be polled and stored, no
lock error, no SQL and no traceback anywhere a user or operator looks.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import string
import time
from pathlib import Path

import pytest

from tests.chaos.sqlite_support import LOCK_ERRORS, cryptowire, query, read_log
from tests.sources_support import FeedServer, rss_document, rss_item

pytestmark = pytest.mark.slow

FEEDS = 1000


def title(n: int) -> str:
    """Titles that share no words, so no two feeds report the same story (one story
    with a thousand members would measure story grouping, not the database)."""
    rng = random.Random(n)
    words = ["".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(6)]
    return f"{words[0].title()} {' '.join(words[1:])} {n}"


async def serve_feeds(server: FeedServer) -> None:
    for n in range(FEEDS):
        item = rss_item(f"feed{n}-item", title(n), description=f"Body of report {n}.")
        server.feed(f"/feed/{n}.xml", rss_document(item))


def write_config(tmp_path: Path, server: FeedServer, *, interval: str = "1h") -> Path:
    sources = "".join(
        f'\n[[sources]]\nname = "feed {n}"\nkind = "rss"\n'
        f'url = "{server.url(f"/feed/{n}.xml")}"\ninterval = "{interval}"\n'
        for n in range(FEEDS)
    )
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "cw.db"}"\n'
        f"[http]\nper_host_concurrency = 64\n{sources}",
        encoding="utf-8",
    )
    return path


def assert_clean(output: str) -> None:
    for marker in (*LOCK_ERRORS, "Traceback", "[SQL:", "INSERT INTO", "SELECT "):
        assert marker not in output, f"{marker!r} in output: {output[-2000:]}"


async def test_poll_once_with_a_thousand_feeds(tmp_path):
    server = await FeedServer().start()
    try:
        await serve_feeds(server)
        config = write_config(tmp_path, server)
        async with cryptowire(tmp_path, config, "poll", "--once", "--json") as process:
            await asyncio.wait_for(process.wait(), 240)
        output = read_log(tmp_path)
    finally:
        await server.close()
    assert_clean(output)
    reports = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    failed = [r for r in reports if not r["ok"]]
    assert not failed, failed[:3]
    assert len(reports) == FEEDS and process.returncode == 0, output[-2000:]
    assert query(tmp_path / "cw.db", "SELECT count(*) FROM articles")[0][0] == FEEDS


async def test_the_scheduler_polls_a_thousand_feeds_at_once(tmp_path):
    server = await FeedServer().start()
    try:
        await serve_feeds(server)
        config = write_config(tmp_path, server)
        async with cryptowire(tmp_path, config, "run"):
            deadline = time.monotonic() + 240
            stored = 0
            while time.monotonic() < deadline:
                await asyncio.sleep(1)
                try:
                    rows = query(
                        tmp_path / "cw.db",
                        "SELECT count(*) FROM sources WHERE last_success_at IS NOT NULL "
                        "OR consecutive_failures > 0",
                    )
                except sqlite3.OperationalError:  # not created or migrated yet
                    continue
                stored = int(rows[0][0])  # type: ignore[arg-type]
                if stored >= FEEDS:
                    break
        output = read_log(tmp_path)
    finally:
        await server.close()
    assert_clean(output)
    db = tmp_path / "cw.db"
    failing = query(db, "SELECT name, last_error FROM sources WHERE consecutive_failures > 0")
    assert not failing, failing[:3]
    assert stored >= FEEDS
    assert query(db, "SELECT count(*) FROM articles")[0][0] == FEEDS
