"""Edit on update: a second source joins a story already sent to 10,000 chats; time the
``StoryUpdates`` listener (read the sent messages, enqueue 10,000 edit rows) on SQLite.

Baseline: enqueuing the story's 10,000 original alert rows with ``enqueue_many`` in the
same run (the listener should cost about one such fan-out, not one query per message).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import insert, select, update

from bench.fanout_seed import seed_fanout
from bot.alerts.story_updates import StoryUpdates
from bot.models import Article, DeliveryStatus
from storage.database import Database
from storage.plugin import SqlStorage
from storage.tables import DeliveryRow, SentMessageRow

N = 10_000
TARGET_RATIO = 5.0  # reads 10,000 messages and writes 10,000 rows; the baseline only writes


async def _mark_all_sent(storage: SqlStorage, now: datetime) -> None:
    async with storage.db.session() as session:
        await session.execute(update(DeliveryRow).values(status=DeliveryStatus.SENT.value))
        rows = (await session.execute(select(DeliveryRow.id, DeliveryRow.chat_id))).all()
        await session.execute(
            insert(SentMessageRow),
            [
                {
                    "delivery_id": delivery_id,
                    "chat_id": chat_id,
                    "story_id": None,
                    "platform": "telegram",
                    "message_id": str(delivery_id),
                    "sent_at": now,
                }
                for delivery_id, chat_id in rows
            ],
        )


async def _measure(url: str) -> tuple[float, float, int]:
    storage = SqlStorage(Database(url))
    try:
        await storage.upgrade()
        now = datetime.now(UTC)
        story_id, article_id, rows = await seed_fanout(storage, N, now)
        started = time.perf_counter()
        await storage.outbox.enqueue_many(rows)
        baseline = time.perf_counter() - started
        await _mark_all_sent(storage, now)
        async with storage.db.session() as session:
            await session.execute(update(SentMessageRow).values(story_id=story_id))
            await session.execute(update(SentMessageRow).values(article_id=article_id))
        joined = Article(
            title="bench, second source",
            source_key="second",
            source_name="Second",
            published_at=now,
            content_hash="1",
            id=article_id + 1,
            story_id=story_id,
        )
        outcome = SimpleNamespace(status="new", article=joined, story=None, story_joined=True)
        listener = StoryUpdates(storage.outbox, storage.archive, lambda: now)
        started = time.perf_counter()
        enqueued = await listener(outcome)
        value = time.perf_counter() - started
        return value, baseline, enqueued
    finally:
        await storage.close()


def run(results: dict[str, dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        value, baseline, enqueued = asyncio.run(_measure(url))
    if enqueued != N:
        raise RuntimeError(f"expected {N} edit rows, got {enqueued}")
    ratio = value / baseline if baseline else float("inf")
    print(
        f"   story edits for {N} sent messages: {value:.3f} s"
        f" (fan-out {baseline:.3f} s, x{ratio:.2f})"
    )
    results["story_edits_10k_sqlite"] = {
        "value": round(value, 4),
        "unit": "s",
        "baseline": round(baseline, 4),
        "ratio": round(ratio, 3),
        "target": f"ratio <= {TARGET_RATIO}",
    }
