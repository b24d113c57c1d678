"""Fan-out with every chat on its own template, beside the same run's plain fan-out.

The same path as ``bench_fanout`` (10,000 Telegram chats, outbox -> Dispatcher -> real
python-telegram-bot -> the fake Bot API enforcing 30 msg/s and 1 msg/s per chat), run
four times back to back: with no chat template (today's fixed look: the same-run
baseline, run before and again after the warm run, and averaged, as the shared machine's
load drifts); with each chat's own template (the standard look with a chat-specific first
line; every tenth chat on the compact or full preset) already compiled, as in a running
bot where chats set their templates with /template (``warm``); and the same templates
compiled at their first send, as after a restart (``cold``). Target: the templated run
keeps >= 95% of the allowed rate. The machine's load average is printed before each run
(other engineers share it).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from bench import bench_fanout as fanout
from bench.support import record
from bot.delivery.templating.book import TemplateBook


def _warm_book() -> TemplateBook:
    """Every chat's template compiled and checked, as /template does when one is set."""
    book = TemplateBook()
    for i in range(fanout.CHATS):
        assert book.templates.check(fanout.chat_template(i)) is None
    return book


def _one(templated: bool, book: TemplateBook | None = None) -> tuple[float, dict]:
    label = "plain" if not templated else ("warm" if book else "cold")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"   load average before the {label} run: {load}", flush=True)
    process, api = fanout.start_fake(fanout.SCALE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'fanout.db'}"
            asyncio.run(fanout.fan_out(url, api, fanout.CHATS, fanout.SCALE, templated, book))
    finally:
        stats = fanout.stop_fake(process)
    span = (stats["last"] - stats["first"]) * fanout.SCALE if stats["first"] is not None else 0.0
    rate = (stats["accepted"] - 1) / span if span > 0 else 0.0
    print(
        f"   {label}: {stats['accepted']:,} accepted, {stats['refused']} refused (429), "
        f"{rate:.2f} msg/s",
        flush=True,
    )
    return rate, stats


def run(results: dict) -> None:
    first, _ = _one(templated=False)
    warm, warm_stats = _one(templated=True, book=_warm_book())
    again, _ = _one(templated=False)  # the warm run is bracketed: the load drifts
    cold, cold_stats = _one(templated=True)
    plain = (first + again) / 2
    print(f"   plain before and after the warm run: {first:.2f}, {again:.2f} msg/s", flush=True)
    for label, rate, stats in (("warm", warm, warm_stats), ("cold", cold, cold_stats)):
        record(
            results,
            f"fanout_templates_{label}_rate_ratio",
            rate / fanout.ALLOWED,
            "fraction of allowed",
            target=fanout.TARGET,
        )
        record(
            results,
            f"fanout_templates_{label}_rate_msg_s",
            rate,
            "msg/s (platform time)",
            baseline=plain,
        )
        record(
            results,
            f"fanout_templates_{label}_429s",
            float(stats["refused"]),
            "responses",
            digits=0,
        )
    record(
        results, "fanout_templates_plain_rate_ratio", plain / fanout.ALLOWED, "fraction of allowed"
    )
