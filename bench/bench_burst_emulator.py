"""The `/subscribe` burst through a third-party Bot API emulator, not our own fake.

`bench burst` drives the bot through tests/fakes/telegram_api.py, which we wrote. Here the
same burst goes through the npm package ``telegram-test-api`` (jehy/telegram-test-api,
MIT), a Bot API emulator people test their bots with: 1,000 new users each send
`/subscribe BTC` through its client API at once, timed until every one has a reply in its
history. Same run, beside it (the baseline): the same users send `/subscriptions` (reads
only). Skipped unless the emulator is installed:

    npm install --prefix /some/dir telegram-test-api@4.2.1
    CRYPTOWIRE_BENCH_TELEGRAM_TEST_API=/some/dir python -m bench burst_emulator
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sqlite3
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

from bench.run_process import cryptowire_run, write_config
from bench.support import record

PREFIX = os.environ.get("CRYPTOWIRE_BENCH_TELEGRAM_TEST_API", "")
USERS = int(os.environ.get("CRYPTOWIRE_BENCH_BURST_USERS", "1000"))
TOKEN = "123456:EMULATOR-abcdefghijklmnopqrstuvwxyz"
FIRST_USER = 700_001
SERVER_JS = """
const TelegramServer = require('telegram-test-api');
new TelegramServer({port: Number(process.argv[2]), host: '127.0.0.1', storeTimeout: 600})
  .start().then(() => console.log('listening'));
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(user: int, text: str) -> dict[str, Any]:
    """A private-chat command as the emulator's own client builds it."""
    end = text.find(" ")
    person = {"id": user, "first_name": "Trader", "username": f"t{user}", "is_bot": False}
    return {
        "from": person,
        "chat": {"id": user, "first_name": "Trader", "type": "private"},
        "botToken": TOKEN,
        "date": int(time.time()),
        "text": text,
        "entities": [{"offset": 0, "length": end if end > 0 else len(text), "type": "bot_command"}],
    }


async def history(http: aiohttp.ClientSession, base: str) -> list[dict[str, Any]]:
    """Everything the emulator holds for the bot (a reset connection is asked again)."""
    for attempt in range(5):
        try:
            async with http.post(f"{base}/getUpdatesHistory", json={"token": TOKEN}) as answer:
                return (await answer.json())["result"]
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
            await asyncio.sleep(0.2 * (attempt + 1))
    raise RuntimeError("the emulator keeps resetting the connection")


async def burst(http: aiohttp.ClientSession, base: str, text: str) -> tuple[float, int, int]:
    """Seconds until every user has one more reply; users answered; apologies among them."""
    before = len([h for h in await history(http, base) if "chat_id" in h["message"]])
    started = time.monotonic()
    gate = asyncio.Semaphore(50)

    async def send(user: int) -> None:
        async with gate:
            for attempt in range(5):  # a starved emulator drops a connection now and then
                try:
                    async with http.post(f"{base}/sendCommand", json=command(user, text)) as sent:
                        await sent.read()
                        return
                except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
                    await asyncio.sleep(0.2 * (attempt + 1))
            raise RuntimeError(f"the emulator refused the command of user {user} five times")

    await asyncio.gather(*(send(FIRST_USER + n) for n in range(USERS)))
    replies: list[dict[str, Any]] = []
    while time.monotonic() - started < 300:
        replies = [h["message"] for h in await history(http, base) if "chat_id" in h["message"]]
        replies = replies[before:]
        if len({int(m["chat_id"]) for m in replies}) >= USERS:
            break
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    apologies = sum("went wrong" in str(m.get("text", "")) for m in replies)
    return elapsed, len({int(m["chat_id"]) for m in replies}), apologies


async def measure(results: dict) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "server.js").write_text(SERVER_JS, encoding="utf-8")
        env = {**os.environ, "NODE_PATH": str(Path(PREFIX) / "node_modules")}
        node = await asyncio.create_subprocess_exec(
            "node", str(folder / "server.js"), str(port), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            assert node.stdout is not None
            await asyncio.wait_for(node.stdout.readline(), 30)
            base = f"http://127.0.0.1:{port}"
            fake = SimpleNamespace(token=TOKEN, base_url=f"{base}/bot", base_file_url=f"{base}/")
            database = folder / "cw.db"
            config = write_config(folder, fake, database=f"sqlite:///{database}")  # type: ignore[arg-type]
            async with cryptowire_run(config, folder / "run.log"), aiohttp.ClientSession() as http:
                await asyncio.sleep(8)  # started and polling (the emulator records no calls)
                load = os.getloadavg()[0]
                writes, answered, apologies = await burst(http, base, "/subscribe BTC")
                reads, _, _ = await burst(http, base, "/subscriptions")
            stored = (
                sqlite3.connect(database)
                .execute("SELECT count(*) FROM subscriptions")
                .fetchone()[0]
            )
        finally:
            node.terminate()
            output, _ = await node.communicate()
            if node.returncode not in (0, -15):
                print(output.decode(errors="replace")[-2000:])
    print(
        f"   telegram-test-api: {USERS} /subscribe answered in {writes:.2f} s ({answered} users,"
        f" {apologies} apologies, {stored} stored); /subscriptions baseline {reads:.2f} s;"
        f" load {load:.1f}"
    )
    record(results, "burst_emulator_subscribe_s", writes, "s", baseline=reads, target=10.0)
    record(results, "burst_emulator_users_answered", answered / USERS, "fraction", target=1.0)
    record(results, "burst_emulator_subscriptions_stored", stored / USERS, "fraction", target=1.0)


def run(results: dict) -> None:
    if not PREFIX or shutil.which("node") is None:
        print("   skipped: CRYPTOWIRE_BENCH_TELEGRAM_TEST_API (an npm prefix) or node is missing")
        return
    asyncio.run(measure(results))
