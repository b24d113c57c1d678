"""Fan-out with every chat on its own template, beside the same run's plain fan-out.

The same path as ``bench_fanout`` (10,000 Telegram chats, outbox -> Dispatcher -> real
python-telegram-bot -> the fake Bot API enforcing 30 msg/s and 1 msg/s per chat), run
twice back to back: first with no chat template (today's fixed look: the same-run
baseline), then with each chat's own template (the standard look with a chat-specific
first line; every tenth chat on the compact or full preset), compiled on first use.
Target: the templated run keeps >= 95% of the allowed rate. The machine's load average is
printed before each run (other engineers share it).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from bench import bench_fanout as fanout
from bench.support import record


def _one(templated: bool) -> tuple[float, dict]:
    print(
        f"   load average before the {'templated' if templated else 'plain'} run: "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    process, api = fanout.start_fake(fanout.SCALE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'fanout.db'}"
            asyncio.run(fanout.fan_out(url, api, fanout.CHATS, fanout.SCALE, templated))
    finally:
        stats = fanout.stop_fake(process)
    span = (stats["last"] - stats["first"]) * fanout.SCALE if stats["first"] is not None else 0.0
    rate = (stats["accepted"] - 1) / span if span > 0 else 0.0
    print(f"   {stats['accepted']:,} accepted, {stats['refused']} refused (429)", flush=True)
    return rate, stats


def run(results: dict) -> None:
    plain, _ = _one(templated=False)
    templated, stats = _one(templated=True)
    record(
        results,
        "fanout_templates_rate_ratio",
        templated / fanout.ALLOWED,
        "fraction of allowed",
        target=fanout.TARGET,
    )
    record(
        results,
        "fanout_templates_rate_msg_s",
        templated,
        "msg/s (platform time)",
        baseline=plain,
    )
    record(results, "fanout_templates_429s", float(stats["refused"]), "responses", digits=0)
