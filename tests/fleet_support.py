"""Helpers for tests that run real `cryptowire run --role ...` processes on one PostgreSQL.

The processes talk to the fake Bot API (``tests/fakes``) on 127.0.0.1; ``LimitsProbe``
records what the fake accepted and why it refused (per chat or overall).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.config import Settings, StorageConfig
from bot.models import DeliveryKind, NewDelivery
from storage.plugin import open_storage
from storage.tables import ArticleRow, ChatRow, DeliveryRow, StoryRow, WorkerLeaseRow
from tests.conftest import FreshDatabase, postgres_url
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_state import RateLimits

ROOT = Path(__file__).resolve().parents[1]

needs_postgres = pytest.mark.skipif(
    postgres_url() is None,
    reason="CRYPTOWIRE_TEST_POSTGRES_URL is not set "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test)",
)


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh PostgreSQL database (migrated by whoever opens it first)."""
    fresh = FreshDatabase("postgresql", tmp_path)
    url = await fresh.create()
    try:
        yield url
    finally:
        await fresh.drop()


def telegram_section(fake: FakeBotApi) -> str:
    return f"""[telegram]
token = "{fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
poll_timeout = 1
"""


def write_config(path: Path, url: str, *sections: str) -> Path:
    body = f'[storage]\nurl = "{url}"\n\n' + "\n".join(sections)
    path.write_text(body, encoding="utf-8")
    return path


async def start_role(config: Path, role: str, log: Path) -> asyncio.subprocess.Process:
    """``cryptowire run --role ROLE`` as its own process, its output into ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    env["PYTHONPATH"] = str(ROOT)
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            "run",
            "--role",
            role,
            cwd=config.parent,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


async def stop(*processes: asyncio.subprocess.Process) -> list[int]:
    """SIGTERM the live ones; their exit codes (a clean stop is 0)."""
    for process in processes:
        if process.returncode is None:
            process.terminate()
    return [await asyncio.wait_for(p.wait(), 60) for p in processes]


async def wait_until(
    predicate: Callable[[], object], within: float, what: str, every: float = 0.05
) -> float:
    """Poll an (async or plain) predicate; seconds it took. Fails naming ``what``."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    while loop.time() - began < within:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return loop.time() - began
        await asyncio.sleep(every)
    raise AssertionError(f"not within {within} s: {what}")


async def seed_fanout(
    url: str, chats: int, stories: int = 1, *, first_chat: int = 500_000, enqueue: bool = True
) -> None:
    """``chats`` Telegram chats and ``stories`` stories; with ``enqueue``, one alert row
    per (story, chat) (else later, with ``enqueue_fanout``)."""
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    await storage.upgrade()
    now = datetime.now(UTC)
    try:
        async with storage.db.session() as session:
            await session.execute(
                insert(ChatRow),
                [
                    {"platform": "telegram", "chat_id": str(first_chat + i), "thread_id": ""}
                    for i in range(chats)
                ],
            )
            for n in range(stories):
                story = StoryRow(title=f"Fleet {n}", first_published_at=now, last_updated_at=now)
                session.add(story)
                await session.flush()
                session.add(
                    ArticleRow(
                        identity=f"fleet-{n}",
                        title=f"Bitcoin ETF inflows hit a record, day {n}",
                        summary="Funds took in more than expected.",
                        source_key="fleet",
                        source_name="Fleet News",
                        published_at=now - timedelta(minutes=1),
                        tags=["BTC"],
                        content_hash=f"{n:064d}",
                        story_id=story.id,
                    )
                )
    finally:
        await storage.close()
    if enqueue:
        await enqueue_fanout(url)


async def enqueue_fanout(url: str) -> int:
    """One alert per (story, chat), enqueued story after story (so consecutive claims
    hold rows of the same chats); how many."""
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    now = datetime.now(UTC)
    try:
        async with storage.db.session() as session:
            chat_ids = sorted(await session.scalars(select(ChatRow.id)))
            pairs = (await session.execute(select(ArticleRow.story_id, ArticleRow.id))).all()
        rows = [
            NewDelivery(c, DeliveryKind.ALERT, now, story_id, article_id)
            for story_id, article_id in sorted(pairs)
            for c in chat_ids
        ]
        return await storage.outbox.enqueue_many(rows)
    finally:
        await storage.close()


async def workers_running(url: str) -> int:
    """Delivery workers holding a lease (a started fleet worker heartbeats at once)."""
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        async with storage.db.session() as session:
            query = select(func.count()).select_from(WorkerLeaseRow)
            return int((await session.execute(query)).scalar_one())
    finally:
        await storage.close()


async def count_rows(url: str, status: str | None = None) -> int:
    """Outbox rows (with ``status``, or all)."""
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        query = select(func.count()).select_from(DeliveryRow)
        if status is not None:
            query = query.where(DeliveryRow.status == status)
        async with storage.db.session() as session:
            return int((await session.execute(query)).scalar_one())
    finally:
        await storage.close()


def bot_sends(fake: FakeBotApi) -> list[tuple[int, str]]:
    """(chat id, text) of every message the bot sent and the fake accepted."""
    return [
        (message["chat"]["id"], message.get("text") or message.get("caption") or "")
        for message in fake.messages.values()
        if message.get("_by_bot")
    ]


class LimitsProbe:
    """Wraps the fake's ``RateLimits.check``: accepted times, refusals by cause."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.accepted: list[float] = []  # platform seconds
        self.refused_chat = 0  # the chat's one-a-second limit
        self.refused_overall = 0  # the bot token's 30 a second
        check = limits.check

        def probed(chat_id: int | str) -> int | None:
            last = limits._last_by_chat.get(str(chat_id))
            now = limits.now()
            retry = check(chat_id)
            if retry is None:
                self.accepted.append(now)
            elif last is not None and now - last < limits.per_chat_s * (1.0 - limits.slack):
                self.refused_chat += 1
            else:
                self.refused_overall += 1
            return retry

        limits.check = probed  # type: ignore[method-assign]

    def busiest(self, width: float) -> int:
        """The most sends accepted within any ``width`` platform seconds."""
        times, start, most = self.accepted, 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= width:
                start += 1
            most = max(most, end - start + 1)
        return most
