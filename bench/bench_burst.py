"""A burst of 1,000 `/subscribe` from 1,000 new users to a real `cryptowire run` on SQLite.

Issue 15's target: 1,000 `/subscribe` commands from 1,000 users answered within 10 s on
the embedded SQLite default, every one stored. The whole burst is queued at the fake Bot
API at once (harder than spread over 10 s) and timed until the last user has a reply;
the bot's CPU time (user + system, from /proc) is read before and after.

Same run, beside it (the baseline): the same 1,000 users, now known, send
`/subscriptions` (reads only: same adapter, same reply path, no write), the floor that
the adapter and the fake set on this machine. The load average is printed: on the shared
2-core machine only the ratio is stable.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.run_process import cryptowire_run, until_polling, write_config
from bench.support import record
from tests.fakes.telegram_api import FakeBotApi

USERS = int(os.environ.get("CRYPTOWIRE_BENCH_BURST_USERS", "1000"))
FIRST_USER = 600_001
TARGET_S = 10.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process (and its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Replies:
    """Counts the first reply of each burst user as calls arrive (cheap to poll)."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.seen = 0
        self.users: dict[int, str] = {}

    def count(self) -> int:
        calls = self.fake.calls
        for call in calls[self.seen :]:
            if call.method == "sendMessage":
                chat = int(call.params.get("chat_id") or 0)
                if chat >= FIRST_USER and chat not in self.users:
                    self.users[chat] = str(call.params.get("text", ""))
        self.seen = len(calls)
        return len(self.users)


async def burst(fake: FakeBotApi, pid: int, text: str) -> tuple[float, float, dict[int, str]]:
    """(seconds until every user is answered, bot CPU seconds, first replies)."""
    replies = Replies(fake)
    replies.count()
    replies.users.clear()
    chats = {u: fake.private_chat(u, f"Trader{u}") for u in range(FIRST_USER, FIRST_USER + USERS)}
    cpu = cpu_seconds(pid)
    started = time.monotonic()
    for user, chat in chats.items():
        fake.command(chat, user, text)
    while replies.count() < USERS:
        if time.monotonic() - started > 300:
            raise RuntimeError(f"only {replies.count()} of {USERS} answered in 300 s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started, cpu_seconds(pid) - cpu, dict(replies.users)


async def measure(folder: Path) -> dict[str, float]:
    async with FakeBotApi() as fake:
        config = write_config(folder, fake, database=f"sqlite:///{folder / 'cw.db'}")
        log = folder / "run.log"
        async with cryptowire_run(config, log) as pid:
            await until_polling(fake, log, within=120)
            await asyncio.sleep(1)
            took, cpu, replies = await burst(fake, pid, "/subscribe BTC negative")
            failed = [text for text in replies.values() if not text.startswith("Subscribed")]
            await asyncio.sleep(1)
            floor, floor_cpu, _ = await burst(fake, pid, "/subscriptions")
    stored = (
        sqlite3.connect(folder / "cw.db")
        .execute("SELECT count(DISTINCT chat_id) FROM subscriptions WHERE active = 1")
        .fetchone()[0]
    )
    if failed or stored != USERS:
        raise RuntimeError(f"{len(failed)} not subscribed ({failed[:1]}), {stored} stored")
    return {"took": took, "cpu": cpu, "floor": floor, "floor_cpu": floor_cpu}


def run(results: dict) -> None:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        got = asyncio.run(measure(Path(tmp)))
    print(
        f"   {USERS} x /subscribe (new users): answered in {got['took']:.2f} s, "
        f"bot CPU {got['cpu']:.2f} s ({1000 * got['cpu'] / USERS:.1f} ms/command)"
    )
    print(
        f"   {USERS} x /subscriptions (known users, reads only): {got['floor']:.2f} s, "
        f"bot CPU {got['floor_cpu']:.2f} s ({1000 * got['floor_cpu'] / USERS:.1f} ms/command)"
    )
    print(f"   load average: {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    record(results, "burst_1000_subscribe_s", got["took"], "s", baseline=got["floor"],
           target=TARGET_S)  # fmt: skip
    record(results, "burst_subscribe_cpu_ms_per_command", 1000 * got["cpu"] / USERS, "ms",
           baseline=1000 * got["floor_cpu"] / USERS)  # fmt: skip
