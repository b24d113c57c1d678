"""Three `cryptowire run --role deliver` processes, one PostgreSQL, one bot token.

10,000 deliveries (one story, 10,000 chats) are claimed with SKIP LOCKED by three worker
processes; one is SIGKILLed a third of the way through. The fake Bot API enforces 30 msg/s
overall and 1 msg/s per chat on a clock running ``SCALE`` times faster, and the workers'
declared limits are scaled the same way (``[delivery] limit_scale``): each worker alone
would pace itself at the full rate, so only the shared budget keeps the three under it.
Checked: every chat gets its alert, duplicates are only sends that were in flight in the
killed worker, every row ends up sent, no 429 and the overall rate within the limit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.config import Settings, StorageConfig
from bot.models import DeliveryKind, NewDelivery
from storage.plugin import open_storage
from storage.tables import ArticleRow, ChatRow, DeliveryRow, StoryRow
from tests.conftest import FreshDatabase, postgres_url
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_state import RateLimits

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        postgres_url() is None,
        reason="CRYPTOWIRE_TEST_POSTGRES_URL is not set "
        "(e.g. postgresql://postgres@127.0.0.1:5432/test)",
    ),
]

N = 10_000
WORKERS = 3
SCALE = float(os.environ.get("CRYPTOWIRE_FLEET_SCALE", "6"))
MAX_IN_FLIGHT = 8  # the dispatcher's default: what a killed worker can leave unrecorded
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    fresh = FreshDatabase("postgresql", tmp_path)
    url = await fresh.create()
    try:
        yield url
    finally:
        await fresh.drop()


async def seed(url: str) -> None:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    await storage.upgrade()
    now = datetime.now(UTC)
    try:
        async with storage.db.session() as session:
            await session.execute(
                insert(ChatRow),
                [
                    {"platform": "telegram", "chat_id": str(500_000 + i), "thread_id": ""}
                    for i in range(N)
                ],
            )
            story = StoryRow(title="Fleet", first_published_at=now, last_updated_at=now)
            session.add(story)
            await session.flush()
            article = ArticleRow(
                identity="fleet",
                title="Bitcoin ETF inflows hit a record",
                summary="Funds took in more than expected.",
                source_key="fleet",
                source_name="Fleet News",
                published_at=now - timedelta(minutes=1),
                tags=["BTC"],
                content_hash="0" * 64,
                story_id=story.id,
            )
            session.add(article)
            await session.flush()
            chat_ids = list(await session.scalars(select(ChatRow.id)))
            story_id, article_id = story.id, article.id
        rows = [NewDelivery(c, DeliveryKind.ALERT, now, story_id, article_id) for c in chat_ids]
        assert await storage.outbox.enqueue_many(rows) == N
    finally:
        await storage.close()


async def sent_rows(url: str) -> int:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        async with storage.db.session() as session:
            return int(
                (
                    await session.execute(select(func.count()).where(DeliveryRow.status == "sent"))
                ).scalar_one()
            )
    finally:
        await storage.close()


def write_config(path: Path, url: str, fake: FakeBotApi) -> Path:
    path.write_text(
        f"""[storage]
url = "{url}"

[telegram]
token = "{fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"

[delivery]
poll_interval_s = 0.1
limit_scale = {SCALE}
""",
        encoding="utf-8",
    )
    return path


async def start_worker(config: Path, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    env["PYTHONPATH"] = str(ROOT)
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            "run",
            "--role",
            "deliver",
            cwd=config.parent,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


def sends(fake: FakeBotApi) -> list[int]:
    return [message["chat"]["id"] for message in fake.messages.values() if message.get("_by_bot")]


async def test_three_workers_share_the_budget_and_send_each_delivery_once_through_a_kill(
    pg_url, tmp_path
):
    await seed(pg_url)
    async with FakeBotApi() as fake:
        limits = fake.enforce_limits(RateLimits(time_scale=SCALE))
        accepted: list[float] = []
        check = limits.check

        def counted(chat_id: int | str) -> int | None:
            retry = check(chat_id)
            if retry is None:
                accepted.append(limits.now())
            return retry

        limits.check = counted  # type: ignore[method-assign]
        config = write_config(tmp_path / "config.toml", pg_url, fake)
        logs = [tmp_path / f"worker{i}.log" for i in range(WORKERS)]
        workers = [await start_worker(config, log) for log in logs]
        try:
            # (cheap predicates: the fake evaluates them after every request)
            await fake.wait_for(lambda: len(accepted) >= N // 3, within=300)
            workers[0].send_signal(signal.SIGKILL)  # mid-send: rows claimed, some in flight
            await workers[0].wait()
            await fake.wait_for(lambda: len(fake.messages) >= N, within=300)
            for _ in range(300):  # the survivors send the killed worker's rows and record
                if await sent_rows(pg_url) == N:
                    break
                await asyncio.sleep(0.2)
        finally:
            for worker in workers[1:]:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGTERM)
            codes = [await asyncio.wait_for(w.wait(), 60) for w in workers[1:]]
        output = "\n".join(log.read_text(errors="replace")[-1500:] for log in logs)

    per_chat = Counter(sends(fake))
    assert len(per_chat) == N, output
    duplicated = sum(count - 1 for count in per_chat.values())
    assert duplicated <= MAX_IN_FLIGHT, (duplicated, output)  # only the killed worker's
    assert await sent_rows(pg_url) == N
    assert codes == [0, 0], output
    assert "Traceback" not in output, output
    assert limits.refused == 0  # no 429: the three never exceeded 30 msg/s together
    span = accepted[-1] - accepted[0]  # platform seconds
    assert (len(accepted) - 1) / span <= 30 * 1.02
    busiest = max(len(window) for window in _windows(accepted, 1.0 - limits.slack))
    assert busiest <= 30  # in any one platform second (the fake's own window)


def _windows(times: list[float], width: float):  # type: ignore[no-untyped-def]
    """Every run of sends within ``width`` platform seconds of a send."""
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= width:
            start += 1
        yield times[start : end + 1]
