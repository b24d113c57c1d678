"""Retention: finished deliveries and sent-message records past their days are deleted,
pending work never is, and a story inside the window still gets one alert per chat."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.config import ConfigError, RetentionConfig, load_settings
from bot.delivery.outbox import SentRecord
from bot.models import DeliveryKind, DeliveryStatus
from bot.ops.housekeeping import Housekeeper
from storage.plugin import SqlStorage
from storage.retention import SqlRetention
from storage.tables import DeliveryRow, SentMessageRow
from tests.delivery_data import T0, add_chats, add_story, deliveries

OLD, RECENT = T0, T0 + timedelta(days=25)
NOW = T0 + timedelta(days=40)  # 30 days kept: OLD expires, RECENT stays
ROOT = Path(__file__).resolve().parents[1]


async def send_all(storage: SqlStorage, chat_ids: list[int], due: DeliveryKind, when) -> None:  # type: ignore[no-untyped-def]
    story, (article, *_) = await add_story(storage, f"Story due {when:%m-%d} {due.value}")
    await storage.outbox.enqueue_many(deliveries(chat_ids, story, article, kind=due, due_at=when))
    claimed = await storage.outbox.claim_due("w1", now=when, limit=100)
    await storage.outbox.mark_sent_many([SentRecord([c.id], f"m{c.id}") for c in claimed], now=when)


async def counts(storage: SqlStorage) -> dict[str, int]:
    async with storage.db.session() as session:
        rows = (
            await session.execute(select(DeliveryRow.status, func.count()).group_by("status"))
        ).all()
        messages = (await session.execute(select(func.count(SentMessageRow.id)))).scalar()
    return {**{status: n for status, n in rows}, "messages": int(messages or 0)}


async def test_old_finished_rows_go_and_pending_or_recent_ones_stay(storage: SqlStorage):
    chats = await add_chats(storage, 3)
    await send_all(storage, chats, DeliveryKind.ALERT, OLD)  # 3 sent long ago
    await send_all(storage, chats, DeliveryKind.ALERT, RECENT)  # 3 sent recently
    story, (article, *_) = await add_story(storage, "Still waiting for its chats")
    waiting = deliveries(chats, story, article, due_at=OLD)
    await storage.outbox.enqueue_many(waiting)  # pending since long ago: never pruned
    story2, (article2, *_) = await add_story(storage, "Failed long ago")
    await storage.outbox.enqueue_many(deliveries(chats[:2], story2, article2, due_at=OLD))
    async with storage.db.session() as session:
        await session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.story_id == story2)
            .values(status=DeliveryStatus.FAILED.value)
        )
    before = await counts(storage)
    assert before == {"sent": 6, "pending": 3, "failed": 2, "messages": 6}

    retention = SqlRetention(storage.db, chunk=2)  # several chunks per table
    removed = await retention.prune(NOW - timedelta(days=30))

    assert removed == {"sent_messages": 3, "deliveries": 5}
    assert await counts(storage) == {"sent": 3, "pending": 3, "messages": 3}
    # the recent story still has its rows, so planning it again sends nothing new
    async with storage.db.session() as session:
        recent = (
            await session.execute(select(DeliveryRow).where(DeliveryRow.status == "sent"))
        ).scalars()
        row = next(iter(recent))
    again = deliveries([row.chat_id], row.story_id, row.article_id, due_at=RECENT)
    assert await storage.outbox.enqueue_many(again) == 0
    # the waiting rows are still claimable
    claimed = await storage.outbox.claim_due("w2", now=NOW, limit=10)
    assert sorted(c.chat.id for c in claimed) == sorted(chats)


async def test_housekeeper_prunes_at_start_and_zero_days_keeps_everything(storage: SqlStorage):
    chats = await add_chats(storage, 2)
    await send_all(storage, chats, DeliveryKind.ALERT, OLD)
    keep_all = Housekeeper(
        storage.retention, RetentionConfig(finished_deliveries_days=0), lambda: NOW
    )
    assert await keep_all.run_once() == {}
    await keep_all.start()  # nothing to run: no task
    await keep_all.stop()
    assert (await counts(storage))["sent"] == 2

    keeper = Housekeeper(storage.retention, RetentionConfig(every_minutes=60), lambda: NOW)
    await keeper.start()
    try:
        for _ in range(200):
            if "sent" not in await counts(storage):
                break
            await asyncio.sleep(0.05)
    finally:
        await keeper.stop()
    assert await counts(storage) == {"messages": 0}


def test_retention_shorter_than_the_story_window_is_a_config_error(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text("[retention]\nfinished_deliveries_days = 2\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    message = str(raised.value)
    assert "\n" not in message and "story window" in message and "c.toml" in message


def prune(db: str, days: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--database-url", db, "db", "prune", "--days", days],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_prune_from_the_command_line(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    ok = prune(db, "45", tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "pruned 0 sent messages, 0 deliveries"
    short = prune(db, "1", tmp_path)
    assert short.returncode == 2
    assert short.stderr.count("\n") == 1 and "story window" in short.stderr
