"""Fan-out with every chat on its own template, beside the same run's plain fan-out.

The same path as ``bench_fanout`` (10,000 Telegram chats, outbox -> Dispatcher -> real
python-telegram-bot -> the fake Bot API enforcing 30 msg/s and 1 msg/s per chat), run
as rounds of three back to back: with no chat template (today's fixed look: the
same-run baseline); with each chat's own template (the standard look with a
chat-specific first line; every tenth chat on the compact or full preset) already
compiled, as in a running bot where chats set their templates with /template (``warm``);
and the same templates compiled at their first send, as after a restart (``cold``).
Target: the templated runs keep >= 95% of the allowed rate. Each kind's rate is the mean
over the rounds (the shared machine's load drifts; interleaving spreads it over all three).

Besides the rate, the process's CPU time per message sent (the fake runs in its own
process): what a template adds to a send, which the load does not hide the way it hides
the rate. The machine's load average is printed before each run.

Shorter runs (the full one takes about 25 minutes at 10,000 chats):
``CRYPTOWIRE_BENCH_FANOUT_CHATS=2000 CRYPTOWIRE_BENCH_FANOUT_ROUNDS=2`` (about 8
minutes): still at the platform's real 30 msg/s (a scaled clock would make the run
CPU-bound on a loaded machine and measure the CPU instead of the pacing).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from bench import bench_fanout as fanout
from bench.support import record
from bot.delivery.templating.book import TemplateBook

ROUNDS = int(os.environ.get("CRYPTOWIRE_BENCH_FANOUT_ROUNDS", "1"))
KINDS = ("plain", "warm", "cold")


def _warm_book() -> TemplateBook:
    """Every chat's template compiled and checked, as /template does when one is set."""
    book = TemplateBook()
    for i in range(fanout.CHATS):
        assert book.templates.check(fanout.chat_template(i)) is None
    return book


def _one(label: str) -> tuple[float, dict, float]:
    """One fan-out: (rate in msg/s, the fake's counts, CPU ms of this process per send)."""
    book = _warm_book() if label == "warm" else None
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"   load average before the {label} run: {load}", flush=True)
    process, api = fanout.start_fake(fanout.SCALE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'fanout.db'}"
            _wall, sent, cpu = asyncio.run(
                fanout.fan_out(url, api, fanout.CHATS, fanout.SCALE, label != "plain", book)
            )
            cpu_ms = cpu * 1000 / max(1, sent)
    finally:
        stats = fanout.stop_fake(process)
    span = (stats["last"] - stats["first"]) * fanout.SCALE if stats["first"] is not None else 0.0
    rate = (stats["accepted"] - 1) / span if span > 0 else 0.0
    print(
        f"   {label}: {stats['accepted']:,} accepted, {stats['refused']} refused (429), "
        f"{rate:.2f} msg/s, {cpu_ms:.2f} ms CPU per send",
        flush=True,
    )
    return rate, stats, cpu_ms


def run(results: dict) -> None:
    print(f"   {fanout.CHATS:,} chats, {ROUNDS} round(s) of plain, warm, cold", flush=True)
    runs: dict[str, list[tuple[float, dict, float]]] = {kind: [] for kind in KINDS}
    for _round in range(ROUNDS):
        for kind in KINDS:
            runs[kind].append(_one(kind))
    rate = {kind: sum(r[0] for r in runs[kind]) / ROUNDS for kind in KINDS}
    cpu = {kind: sum(r[2] for r in runs[kind]) / ROUNDS for kind in KINDS}
    for kind in KINDS:
        print(
            f"   {kind}: rates {', '.join(f'{r[0]:.2f}' for r in runs[kind])} msg/s, "
            f"CPU {', '.join(f'{r[2]:.2f}' for r in runs[kind])} ms per send",
            flush=True,
        )
    for label in ("warm", "cold"):
        record(
            results,
            f"fanout_templates_{label}_rate_ratio",
            rate[label] / fanout.ALLOWED,
            "fraction of allowed",
            target=fanout.TARGET,
        )
        record(
            results,
            f"fanout_templates_{label}_rate_msg_s",
            rate[label],
            "msg/s (platform time)",
            baseline=rate["plain"],
        )
        record(
            results,
            f"fanout_templates_{label}_429s",
            float(sum(r[1]["refused"] for r in runs[label])),
            "responses",
            digits=0,
        )
        record(
            results,
            f"fanout_templates_{label}_cpu_ms_per_send",
            cpu[label],
            "ms",
            baseline=cpu["plain"],
        )
    record(
        results,
        "fanout_templates_plain_rate_ratio",
        rate["plain"] / fanout.ALLOWED,
        "fraction of allowed",
    )
    record(results, "fanout_templates_plain_cpu_ms_per_send", cpu["plain"], "ms")
    record(results, "fanout_templates_chats", float(fanout.CHATS), "chats per run", digits=0)
    record(results, "fanout_templates_rounds", float(ROUNDS), "rounds", digits=0)
