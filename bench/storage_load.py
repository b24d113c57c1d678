"""Peak memory and time of a fresh process loading every subscription from storage.

Used by ``bench_matching``: it fills a SQLite database with the benchmark's synthetic
subscriptions (raw sqlite3, for speed), then runs this module as a subprocess, which
does what ``cryptowire run`` does at start-up (open storage, ``IndexSync.load``: the
bulk load of decision 005) and prints its peak RSS as JSON. With ``--one-by-one`` it
loads the way start-up did before the bulk load (rows as filters, ``add`` per row): the
same-run baseline.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from bot.models import SubscriptionFilter


def fill(path: str, rows: Iterator[tuple[int, int, SubscriptionFilter]], chats: int) -> None:
    """Write chats and subscriptions straight into a migrated SQLite database."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT INTO chats (id, platform, chat_id, thread_id, kind, active, timezone, mode,"
            " created_at) VALUES (?, 'telegram', ?, '', 'private', 1, 'UTC', 'instant', ?)",
            ((n, str(n), now) for n in range(1, chats + 1)),
        )
        connection.executemany(
            "INSERT INTO subscriptions (id, chat_id, tags, sentiments, sources, keywords,"
            " exclude_keywords, lang, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            (
                (
                    sid,
                    chat,
                    json.dumps(sorted(f.tags)),
                    json.dumps(sorted(s.value for s in f.sentiments)),
                    json.dumps(sorted(f.sources)),
                    json.dumps(list(f.keywords)),
                    json.dumps(list(f.exclude_keywords)),
                    f.lang,
                    now,
                )
                for sid, chat, f in rows
            ),
        )
    connection.close()


async def _load(url: str, one_by_one: bool = False) -> dict[str, float]:
    from bot.alerts.matching import SubscriptionIndex
    from bot.alerts.planner import IndexSync
    from bot.config import Settings, StorageConfig
    from storage.plugin import open_storage

    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        start, cpu = time.perf_counter(), time.process_time()  # CPU of every thread
        index = SubscriptionIndex()
        if one_by_one:
            async for batch in storage.chats.iter_active_subscriptions():
                index.add_many(batch)
            count = len(index)
        else:
            count = await IndexSync(storage.chats, index).load()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        await storage.close()
    return {
        "subscriptions": count,
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec from the forking parent."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_load(sys.argv[1], "--one-by-one" in sys.argv[2:]))))
