"""`cryptowire run` started while PostgreSQL is down waits for it (issue 15).

Real processes on a throwaway cluster (initdb/pg_ctl in a temp dir, on a free port; the
shared server is never touched), Telegram at the fake Bot API. Checked, as an operator
would: the bot does not exit while the server is down, says so in one line (not one per
retry), starts within the backoff once the server is up, answers commands and stops with
0; a stop requested while it is still waiting exits non-zero with one line; a database
that does not exist is not an outage: the run ends at once, non-zero, in one line.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.chaos.pg_cluster import SKIP_REASON, ThrowawayPostgres, find_binaries
from tests.fakes.telegram_api import FakeBotApi
from tests.fleet_support import start_role, stop, telegram_section, wait_until, write_config

BINARIES = find_binaries()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(BINARIES is None, reason=SKIP_REASON),
]

STARTUP_S = 120.0  # imports on a loaded 2-core machine
WAITING = "database unreachable at start-up"
USER = 4242


def lines(log: Path, text: str) -> int:
    return sum(text in line for line in log.read_text(errors="replace").splitlines())


@pytest.fixture
def cluster():
    assert BINARIES is not None
    server = ThrowawayPostgres(BINARIES)
    try:
        server.init()  # not started: the bot comes up first
        yield server
    finally:
        server.destroy()


async def test_run_waits_for_a_database_that_is_not_up_yet(
    cluster: ThrowawayPostgres, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    async with FakeBotApi() as fake:
        config = write_config(tmp_path / "config.toml", cluster.url, telegram_section(fake))
        bot = await start_role(config, "all", log)
        try:
            await wait_until(lambda: lines(log, WAITING), STARTUP_S, "the waiting line")
            await asyncio.sleep(4)  # several retries (0.5 s, 1 s, 2 s...)
            assert bot.returncode is None, log.read_text()
            assert lines(log, WAITING) == 1, log.read_text()

            await cluster.astart()
            await wait_until(lambda: lines(log, "receiving updates"), 60, "the bot started")
            chat = fake.private_chat(USER, "Olga")
            fake.command(chat, USER, "/subscribe BTC")
            await fake.wait_for(lambda: bool(fake.messages_in(USER)), within=30)
            answer = fake.messages_in(USER)[0]["text"]
            [code] = await stop(bot)
        finally:
            await stop(bot)
    output = log.read_text(errors="replace")
    assert answer.startswith("Subscribed"), answer
    assert code == 0, output[-3000:]
    assert lines(log, WAITING) == 1 and lines(log, "database reachable after") == 1, output
    assert "Traceback" not in output, output[-3000:]
    assert "try again" not in output  # nothing was answered "try again": it was not up


async def test_a_stop_while_waiting_exits_non_zero_and_a_missing_database_at_once(
    cluster: ThrowawayPostgres, tmp_path: Path
) -> None:
    log = tmp_path / "waiting.log"
    async with FakeBotApi() as fake:
        config = write_config(tmp_path / "config.toml", cluster.url, telegram_section(fake))
        bot = await start_role(config, "all", log)
        try:
            await wait_until(lambda: lines(log, WAITING), STARTUP_S, "the waiting line")
        finally:
            [code] = await stop(bot)
        output = log.read_text(errors="replace")
        assert code == 1, output
        assert lines(log, "error: stopped after waiting") == 1, output
        assert "Traceback" not in output, output

        await cluster.astart()  # up, but the configured database does not exist
        missing = cluster.url.rsplit("/", 1)[0] + "/no_such_db"
        config = write_config(tmp_path / "missing.toml", missing, telegram_section(fake))
        log = tmp_path / "missing.log"
        bot = await start_role(config, "all", log)
        try:
            code = await asyncio.wait_for(bot.wait(), STARTUP_S)
        finally:
            await stop(bot)
    output = log.read_text(errors="replace")
    assert code not in (0, None), output
    assert WAITING not in output and "no_such_db" in output, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
