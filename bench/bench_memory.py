"""Memory: peak RSS of a real `cryptowire run` holding 1,000,000 subscriptions (<= 300 MB).

The subscriptions are ``bench_matching``'s documented synthetic mix (tags, sentiments,
sources, keywords; 4 per chat), written straight into a migrated SQLite database. The
process starts with Telegram pointed at the fake Bot API; once it long-polls (storage
open, every subscription indexed, adapter up) and has settled for a few seconds, its
VmHWM is read. Baseline, same run: the same process over an empty database.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.bench_matching import SUBSCRIPTIONS, subscriptions
from bench.run_process import cryptowire_run, peak_rss_mb, until_polling, write_config
from bench.storage_load import fill
from bench.support import record
from bot.config import Settings, StorageConfig
from storage.plugin import open_storage
from tests.fakes.telegram_api import FakeBotApi

TARGET_MB = 300.0
SETTLE_S = 5.0


async def _migrate(url: str) -> None:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        await storage.upgrade()
    finally:
        await storage.close()


async def peak_of_run(folder: Path, database: Path) -> tuple[float, float]:
    """(peak RSS MB, seconds until polling) of `cryptowire run` over ``database``."""
    async with FakeBotApi() as fake:
        config = write_config(folder, fake, database=f"sqlite:///{database}")
        log = folder / f"{database.stem}.log"
        began = time.perf_counter()
        async with cryptowire_run(config, log) as pid:
            await until_polling(fake, log, within=600)
            ready = time.perf_counter() - began
            await asyncio.sleep(SETTLE_S)
            return peak_rss_mb(pid), ready


def run(results: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        empty, full = folder / "empty.db", folder / "full.db"
        for path in (empty, full):
            asyncio.run(_migrate(f"sqlite:///{path}"))
        began = time.perf_counter()
        fill(str(full), subscriptions(SUBSCRIPTIONS), max(1, SUBSCRIPTIONS // 4))
        print(f"   {SUBSCRIPTIONS:,} subscriptions written in {time.perf_counter() - began:.0f} s")
        base_mb, base_s = asyncio.run(peak_of_run(folder, empty))
        peak_mb, ready_s = asyncio.run(peak_of_run(folder, full))
    print(f"   ready after {ready_s:.1f} s (empty database: {base_s:.1f} s)")
    results["memory_run_peak_rss_mb"] = {
        "value": round(peak_mb, 1),
        "unit": "MB",
        "baseline": round(base_mb, 1),
        "ratio": round(peak_mb / base_mb, 2),
        "target": TARGET_MB,
    }
    print(f"   memory_run_peak_rss_mb: {peak_mb:.1f} MB (empty database {base_mb:.1f} MB)")
    record(results, "memory_run_ready_s", ready_s, "s", digits=1)
    if os.environ.get("CRYPTOWIRE_BENCH_VERBOSE"):
        print((folder / "full.log").read_text(errors="replace")[-2000:])
