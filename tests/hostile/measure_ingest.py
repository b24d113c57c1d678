"""Run as a subprocess: ingest each file of a folder through the real pipeline on a real
SQLite file, one at a time, and print one JSON line per file with the outcome, the CPU
seconds it cost (all threads) and its peak traced memory (a second pass, tracemalloc on).

    python tests/hostile/measure_ingest.py FOLDER DATABASE_URL
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path


async def main(folder: Path, url: str) -> None:
    from bot.config import Settings, StorageConfig
    from bot.ingest.pipeline import IngestPipeline
    from storage.plugin import open_storage

    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    await storage.upgrade()
    pipeline = IngestPipeline(
        storage.archive, max_bytes=2 * 1024 * 1024, story_window=timedelta(hours=72)
    )
    # every document parses in this process (a thread), so its CPU and memory are counted
    # here; the live path sends big ones to a worker process with its own limits
    pipeline.parser.process_from = 1 << 40
    await pipeline.ingest_bytes(b"Warm-up headline\n\nwarm up body", origin="warm-up")
    try:
        for path in sorted(folder.iterdir()):  # noqa: ASYNC240 - a measuring script
            raw = path.read_bytes()
            started = time.process_time()
            outcome = await pipeline.ingest_bytes(raw, origin=path.name)
            cpu = time.process_time() - started
            tracemalloc.start()
            await pipeline.ingest_bytes(raw, origin=path.name)  # a duplicate now: same parse
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            article = outcome.article
            row = {
                "name": path.name,
                "status": str(outcome.status),
                "error": outcome.error,
                "title": article.title if article else None,
                "summary": article.summary if article else None,
                "body_head": article.body[:2000] if article else None,
                "cpu_s": round(cpu, 3),
                "peak_mb": round(peak / 2**20, 1),
            }
            print(json.dumps(row), flush=True)
    finally:
        await storage.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
