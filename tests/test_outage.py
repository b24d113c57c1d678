"""The pieces that let the bot ride out a database outage (issue 15, item 2), in isolation.

The whole story -- a real process, a real PostgreSQL stopped mid fan-out -- is
``tests/chaos/test_pg_outage.py``; these check each rule quickly:

* storage turns "the server is not there" into ``bot.errors.Unavailable`` and logs one
  line per state change, while a wrong query stays what it is;
* the ingest leader gate pauses its part when the lock is lost and resumes it once the
  lock is taken back, and only an error of the part itself is fatal.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.config import Settings, StorageConfig
from bot.errors import Unavailable
from bot.ops.roles import LeaderGate
from storage.availability import Availability, is_unavailable
from storage.plugin import open_storage


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once closed


async def test_an_unreachable_server_is_unavailable_and_logged_once(caplog):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing"
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    storage.announce_outages()  # as the running bot does (bot/app.py)
    caplog.set_level(logging.INFO, logger="cryptowire.database")
    try:
        for _ in range(3):
            with pytest.raises(Unavailable, match="try again"):
                await storage.ping()
        with pytest.raises(Unavailable):  # a repository, through the same sessions
            await storage.archive.latest()
    finally:
        await storage.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "cryptowire.database"]
    assert len(lines) == 1 and lines[0].startswith("database unreachable"), lines
    assert "ConnectionRefusedError" in lines[0] or "OSError" in lines[0], lines


async def test_a_wrong_query_is_not_an_outage(tmp_path):
    storage = open_storage(Settings(storage=StorageConfig(url=f"sqlite:///{tmp_path / 'x.db'}")))
    try:
        with pytest.raises(Exception) as raised:
            async with storage.db.connect() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
        assert not isinstance(raised.value, Unavailable)
        assert not storage.db.availability.down
    finally:
        await storage.close()


def test_the_state_flips_once_each_way_and_old_operations_cannot_flip_it(caplog):
    caplog.set_level(logging.INFO, logger="cryptowire.database")
    state = Availability(postgres=True, announce=True)
    refused = ConnectionRefusedError(111, "Connect call failed")
    before = 1.0  # an operation that began before anything went wrong
    began = time.monotonic()
    assert isinstance(state.translate(refused, began), Unavailable)
    assert isinstance(state.translate(refused, time.monotonic()), Unavailable)
    state.succeeded(before)  # in flight since before the outage: proves nothing
    assert state.down
    state.succeeded(time.monotonic())
    assert not state.down
    state.translate(refused, began)  # began before the recovery: no second "down"
    assert not state.down
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(" (")[0].split(" after")[0] for line in lines] == [
        "database unreachable",
        "database reachable again",
    ]
    constraint = IntegrityError("INSERT ...", {}, Exception("duplicate key"))
    assert state.translate(constraint, time.monotonic()) is constraint
    assert not is_unavailable(constraint)


class FlakyLeader:
    """Holds the lock, loses it once, is refused twice (database away), then holds it."""

    def __init__(self) -> None:
        self.checks = 0
        self.attempts = 0
        self.released = False

    async def try_acquire(self) -> bool:
        self.attempts += 1
        if self.attempts in (2, 3):
            raise Unavailable("down")
        return True

    async def still_leading(self) -> bool:
        self.checks += 1
        return self.checks != 2

    async def release(self) -> None:
        self.released = True


async def _note(events: list[str], what: str) -> None:
    events.append(what)


async def test_the_gate_pauses_on_a_lost_lock_and_resumes_when_it_is_taken_back(caplog):
    caplog.set_level(logging.INFO, logger="cryptowire.roles")
    events: list[str] = []
    fatal: list[BaseException] = []
    leader = FlakyLeader()
    gate = LeaderGate(
        leader,
        lambda: _note(events, "start"),
        lambda: _note(events, "stop"),
        pause=lambda: _note(events, "pause"),
        on_fatal=fatal.append,
        retry_s=0.01,
    )
    await gate.begin()
    for _ in range(500):
        if events == ["start", "pause", "start"]:
            break
        await asyncio.sleep(0.01)
    await gate.close()
    assert events == ["start", "pause", "start", "stop"] and not fatal
    assert leader.released and gate.lost == 1
    lines = [r.getMessage().split(" (")[0] for r in caplog.records]
    assert lines == ["leading ingestion", "lost ingestion leadership", "leading ingestion again"]


async def test_a_part_that_cannot_restart_is_fatal():
    fatal: list[BaseException] = []
    starts = 0

    async def start() -> None:
        nonlocal starts
        starts += 1
        if starts > 1:
            raise RuntimeError("folder vanished")

    gate = LeaderGate(
        FlakyLeader(), start, lambda: _note([], "stop"), on_fatal=fatal.append, retry_s=0.01
    )
    await gate.begin()
    for _ in range(500):
        if fatal:
            break
        await asyncio.sleep(0.01)
    await gate.close()
    assert [str(e) for e in fatal] == ["folder vanished"]


def test_a_cli_command_with_the_database_down_says_one_line_and_exits_1(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--database-url", url, "latest"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: The database is not answering right now; please try again in a minute."
    ]


async def test_alert_planning_waits_out_the_database_even_when_its_caller_is_cancelled():
    from bot.alerts.retry import until_stored

    calls: list[int] = []

    async def plan() -> bool:
        calls.append(1)
        if len(calls) < 3:
            raise Unavailable("down")
        return True

    keep: set[asyncio.Task[object]] = set()
    assert await until_stored(plan, keep, first_s=0.01) is True
    assert len(calls) == 3 and not keep

    calls.clear()
    caller = asyncio.create_task(until_stored(plan, keep, first_s=0.05))
    await asyncio.sleep(0.02)
    caller.cancel()  # the sources pause while the database is away
    await asyncio.sleep(0.3)
    assert len(calls) == 3 and not keep  # the plan was made all the same
