"""Fan-out: one article to 10,000 Telegram chats at the platform's limits (target >= 95%).

The fake Bot API runs in its own process and enforces 30 msg/s overall and 1 msg/s per
chat on a clock running ``SCALE`` times faster than real time; the Telegram adapter's
declared limits are scaled the same way, so the dispatcher paces for the same platform.
Figures: achieved rate / allowed rate (platform seconds, first to last accepted send) and
the number of 429s. Path: outbox (SQLite) -> Dispatcher -> TelegramAdapter (real
python-telegram-bot) -> HTTP -> fake. ``CRYPTOWIRE_BENCH_FANOUT_SCALE`` changes the scale.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bench.support import record
from bot.config import DeliveryConfig, Settings, StorageConfig, TelegramConfig
from bot.delivery.dispatcher import Dispatcher
from bot.models import DeliveryKind, NewDelivery
from storage.plugin import open_storage
from storage.tables import ArticleRow, ChatRow, StoryRow

CHATS = int(os.environ.get("CRYPTOWIRE_BENCH_FANOUT_CHATS", "10000"))
SCALE = float(os.environ.get("CRYPTOWIRE_BENCH_FANOUT_SCALE", "1"))
ALLOWED = 30.0  # Telegram: messages per second overall
TARGET = 0.95
# "1": every chat has its own template (docs/templates.md); bench_fanout_templates runs both
TEMPLATED = os.environ.get("CRYPTOWIRE_BENCH_FANOUT_TEMPLATES", "0") == "1"
ROOT = Path(__file__).resolve().parents[1]


def start_fake(scale: float) -> tuple[subprocess.Popen[str], dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_telegram_server", str(scale)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def stop_fake(process: subprocess.Popen[str]) -> dict:
    out, _ = process.communicate(input="", timeout=60)
    return json.loads(out.strip().splitlines()[-1])


def chat_template(i: int) -> str:
    """Chat ``i``'s own template: the standard look with its own first line (every tenth
    chat on the compact or full preset), so no two chats share a compiled template."""
    from bot.delivery.templating import presets

    if i % 10 == 0:
        return f"{{# chat {i} #}}" + str(
            presets.preset(("compact", "full")[i % 20 // 10], "telegram")
        )
    return f"Desk {i} · {{{{ source }}}}\n" + presets.standard("telegram")


async def seed(storage, chats: int, templated: bool = False) -> int:  # type: ignore[no-untyped-def]
    """``chats`` private Telegram chats and one story: returns the deliveries enqueued."""
    now = datetime.now(UTC)
    async with storage.db.session() as session:
        await session.execute(
            insert(ChatRow),
            [
                {"platform": "telegram", "chat_id": str(100_000 + i), "thread_id": ""}
                | ({"template": chat_template(i)} if templated else {})
                for i in range(chats)
            ],
        )
        story = StoryRow(title="ETF inflows", first_published_at=now, last_updated_at=now)
        session.add(story)
        await session.flush()
        article = ArticleRow(
            identity="bench:fanout",
            title="Bitcoin ETF inflows hit a record as funds add 12,000 BTC",
            summary="Spot funds took in more than expected; analysts say demand holds.",
            url="https://news.example/etf-inflows",
            source_key="bench",
            source_name="Bench News",
            published_at=now - timedelta(minutes=2),
            tags=["BTC", "ETF"],
            sentiment="POSITIVE",
            content_hash="0" * 64,
            story_id=story.id,
        )
        session.add(article)
        await session.flush()
        chat_ids = list(await session.scalars(text("SELECT id FROM chats ORDER BY id")))
        story_id, article_id = story.id, article.id
    rows = [NewDelivery(c, DeliveryKind.ALERT, now, story_id, article_id) for c in chat_ids]
    return await storage.outbox.enqueue_many(rows)


async def fan_out(
    db_url: str,
    api: dict,
    chats: int,
    scale: float,
    templated: bool = TEMPLATED,
    templates: object = None,
) -> tuple[float, int, float]:
    """Send everything; returns (wall seconds, sends the dispatcher counted, CPU seconds of
    this process while sending: seeding and start-up left out)."""
    from adapters.telegram.adapter import TelegramAdapter

    storage = open_storage(Settings(storage=StorageConfig(url=db_url)))
    await storage.upgrade()
    try:
        queued = await seed(storage, chats, templated)
        config = TelegramConfig(
            token=api["token"],
            base_url=f"http://127.0.0.1:{api['port']}/bot",
            base_file_url=f"http://127.0.0.1:{api['port']}/file/bot",
        )
        adapter = TelegramAdapter(config)
        await adapter.application.initialize()  # so shutdown below closes its HTTP session
        caps = adapter.capabilities
        adapter.capabilities = replace(  # type: ignore[misc]
            caps,
            sends_per_second=caps.sends_per_second * scale,
            per_chat_interval_s=caps.per_chat_interval_s / scale,
            per_group_per_minute=(caps.per_group_per_minute or 0) * scale or None,
        )
        dispatcher = Dispatcher(
            storage.outbox,
            [adapter],
            DeliveryConfig(poll_interval_s=0.05),
            stale_after=timedelta(0),
            max_in_flight=16,
            templates=templates,  # type: ignore[arg-type]
        )
        began, cpu = time.perf_counter(), time.process_time()
        await dispatcher.start()
        while dispatcher.sent < queued and time.perf_counter() - began < 600:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        await dispatcher.stop()
        await adapter.application.shutdown()
        return wall, dispatcher.sent, cpu
    finally:
        await storage.close()


def run(results: dict) -> None:
    process, api = start_fake(SCALE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'fanout.db'}"
            wall, sent, _cpu = asyncio.run(fan_out(url, api, CHATS, SCALE))
    finally:
        stats = stop_fake(process)
    span = (stats["last"] - stats["first"]) * SCALE if stats["first"] is not None else 0.0
    achieved = (stats["accepted"] - 1) / span if span > 0 else 0.0
    print(
        f"   {stats['accepted']:,} accepted, {stats['refused']} refused (429), "
        f"{sent:,} recorded sent, {wall:.1f} s wall at x{SCALE:g} "
        f"({CHATS / (ALLOWED * SCALE):.1f} s ideal)"
    )
    record(
        results,
        "fanout_rate_ratio",
        achieved / ALLOWED,
        "fraction of allowed",
        target=TARGET,
    )
    record(results, "fanout_rate_msg_s", achieved, "msg/s (platform time)", baseline=ALLOWED)
    record(results, "fanout_429s", float(stats["refused"]), "responses", target=0.0, digits=0)
    record(results, "fanout_wall_s", wall, "s", digits=1)
