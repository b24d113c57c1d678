"""`cryptowire run --role ...` as real processes on one PostgreSQL (decision 011).

* Two ``--role ingest`` processes watch one folder: the leader ingests, each article is
  stored once and its alert enqueued once; when the leader is SIGKILLed the standby takes
  over within a bounded time and ingests the next file.
* ``--role commands`` answers commands through the fake Bot API but never sends outbox
  rows: they stay pending until a ``--role deliver`` process runs.

Timings come from the config (``[fleet] leader_retry_s``, a 1 s folder scan, short polls),
so each test takes seconds, most of it process start-up.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from delivery_data import add_chats, add_story, deliveries
from sqlalchemy import func, select

from bot.config import Settings, StorageConfig
from storage.plugin import SqlStorage, open_storage
from storage.tables import ArticleRow, ChatRow
from tests.fakes.telegram_api import FakeBotApi
from tests.fleet_support import (
    bot_sends,
    count_rows,
    needs_postgres,
    pg_url,  # noqa: F401 - fixture
    start_role,
    stop,
    telegram_section,
    wait_until,
    write_config,
)
from tests.test_app import ARTICLE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), needs_postgres]

TAKEOVER_S = 10.0  # leader_retry_s is 0.2: a standby leads well within this, even loaded
STARTUP_S = 180.0  # a process start (imports, migrations) on a loaded 2-core machine


async def migrated(url: str) -> SqlStorage:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    await storage.upgrade()
    return storage


async def count_articles(storage: SqlStorage) -> int:
    async with storage.db.session() as session:
        return int((await session.execute(select(func.count(ArticleRow.id)))).scalar_one())


FILES = {
    "first": ARTICLE,
    "second": b"""---
title: Solana Validators Vote to Cut Inflation
publishedAt: '2026-02-11T09:00:00Z'
source:
  name: Test Wire
  key: test-wire
tags: [BTC, SOL]
---
Solana validators approved a proposal that halves the token's yearly issuance.
""",
}  # two distinct stories (the same text twice would be one story: a single alert)


def logged(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text(errors="replace")


async def rows_are(url: str, count: int, status: str | None = None) -> bool:
    return await count_rows(url, status) == count


async def test_two_ingest_processes_ingest_once_and_the_standby_takes_over_a_killed_leader(
    pg_url,  # noqa: F811
    tmp_path: Path,
):
    storage = await migrated(pg_url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sources = f'[[sources]]\nname = "inbox"\nkind = "folder"\npath = "{inbox}"\ninterval = "1s"\n'
    fleet = "[fleet]\nleader_retry_s = 0.2\n"
    config = write_config(tmp_path / "config.toml", pg_url, sources, fleet)
    logs = [tmp_path / "ingest0.log", tmp_path / "ingest1.log"]
    processes: list[asyncio.subprocess.Process] = []
    try:
        await add_chats(storage, 1, platform="telegram")  # subscribed to BTC
        processes.append(await start_role(config, "ingest", logs[0]))
        await wait_until(lambda: logged(logs[0], "leading ingestion"), STARTUP_S, "a leader")
        processes.append(await start_role(config, "ingest", logs[1]))
        await wait_until(lambda: logged(logs[1], "standing by"), STARTUP_S, "a standby")

        (inbox / "first.md").write_bytes(FILES["first"])
        await wait_until(lambda: rows_are(pg_url, 1), 30, "the first alert enqueued")
        await asyncio.sleep(2.5)  # two folder scans, had the standby been watching too
        assert await count_articles(storage) == 1
        assert await count_rows(pg_url) == 1  # stored once, its alert enqueued once

        processes[0].send_signal(signal.SIGKILL)
        await processes[0].wait()
        took = await wait_until(
            lambda: logged(logs[1], "leading ingestion"), TAKEOVER_S, "the standby leading"
        )
        (inbox / "second.md").write_bytes(FILES["second"])
        await wait_until(lambda: rows_are(pg_url, 2), 30, "the second alert enqueued")
        await asyncio.sleep(1.5)  # the new leader's scans: the first file is not redone
        assert await count_articles(storage) == 2
        assert await count_rows(pg_url) == 2
        codes = await stop(processes[1])
    finally:
        await stop(*processes)
        await storage.close()
    output = "\n".join(log.read_text(errors="replace")[-2000:] for log in logs)
    assert codes == [0], output
    assert "Traceback" not in output, output
    print(f"\nstandby took over {took:.2f} s after the leader was killed")


async def telegram_chat_id(storage: SqlStorage, chat_id: str) -> int | None:
    async with storage.db.session() as session:
        return await session.scalar(
            select(ChatRow.id).where(ChatRow.platform == "telegram", ChatRow.chat_id == chat_id)
        )


async def test_a_commands_process_answers_but_leaves_alerts_to_a_delivery_process(
    pg_url,  # noqa: F811
    tmp_path: Path,
):
    storage = await migrated(pg_url)
    logs = [tmp_path / "commands.log", tmp_path / "deliver.log"]
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with FakeBotApi() as fake:
            delivery = "[delivery]\npoll_interval_s = 0.05\n"
            config = write_config(
                tmp_path / "config.toml", pg_url, telegram_section(fake), delivery
            )
            processes.append(await start_role(config, "commands", logs[0]))
            alice = fake.private_chat(1001, "Alice")
            fake.command(alice, 1001, "/subscribe BTC")
            await fake.wait_for(lambda: len(bot_sends(fake)) == 1, within=STARTUP_S)  # the answer
            chat = await telegram_chat_id(storage, "1001")
            assert chat is not None  # the commands process registered the chat
            story, (article_id,) = await add_story(storage)
            await storage.outbox.enqueue_many(deliveries([chat], story, article_id))
            await asyncio.sleep(1.5)  # 30 polls of a delivery worker, had there been one
            assert await count_rows(pg_url, "pending") == 1
            assert len(bot_sends(fake)) == 1  # only the command's answer

            processes.append(await start_role(config, "deliver", logs[1]))
            await fake.wait_for(lambda: len(bot_sends(fake)) == 2, within=STARTUP_S)
            await wait_until(lambda: rows_are(pg_url, 1, "sent"), 30, "the row recorded sent")
            alert = bot_sends(fake)[-1]
            codes = await stop(*processes)
    finally:
        await stop(*processes)
        await storage.close()
    output = "\n".join(log.read_text(errors="replace")[-2000:] for log in logs)
    assert alert[0] == 1001 and "Bitcoin tests $100K" in alert[1], output
    assert codes == [0, 0], output
    assert "Traceback" not in output, output
