"""Hostile files dropped into a watched folder while the bot answers commands (issue 15,
items 5 and 6): the real folder source and scheduler (file events plus a fast fallback
scan), the real pipeline and command handler on one real database.

- a YAML alias bomb and a 2 MiB file that takes a while to read do not stall the event
  loop: commands sent meanwhile are answered promptly;
- the bomb and a file dated 9999 are each rejected once, not read again at every scan.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from pathlib import Path

from command_helpers import Bot
from generated import GENERATED
from sources_support import article_md

from bot.config import Settings
from bot.ingest.pipeline import IngestPipeline
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage

HERE = Path(__file__).parent
MAX_LAG_S = 0.45  # the longest the loop may go without running (a command's turn)
MAX_ANSWER_S = 0.6


class Counting:
    """The real pipeline, counting how often each file was handed to it and its outcome."""

    def __init__(self, pipeline: IngestPipeline) -> None:
        self.pipeline = pipeline
        self.calls: dict[str, list[str]] = {}

    async def ingest_bytes(self, raw: bytes, *, origin: str, source: object = None) -> object:
        try:
            outcome = await self.pipeline.ingest_bytes(raw, origin=origin, source=source)
        except Exception as exc:
            self.calls.setdefault(Path(origin).name, []).append(type(exc).__name__)
            raise
        self.calls.setdefault(Path(origin).name, []).append(str(outcome.status))
        return outcome

    async def ingest_article(self, article: object, *, origin: str) -> object:
        return await self.pipeline.ingest_article(article, origin=origin)  # type: ignore[arg-type]


async def _lag_monitor(stop: asyncio.Event, lags: list[float]) -> None:
    """How late 10 ms sleeps wake up: the time the loop could not run anything."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - before - 0.01)


async def _commands(bot: Bot, stop: asyncio.Event, answers: list[float]) -> None:
    """A user asking /latest every 50 ms; how long each answer took."""
    while not stop.is_set():
        started = time.perf_counter()
        reply = await bot.say("/latest")
        answers.append(time.perf_counter() - started)
        assert not reply.error or "empty" in reply.text, reply.text
        await asyncio.sleep(0.05)


async def test_hostile_files_in_a_watched_folder_neither_block_nor_repeat(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    counting = Counting(
        IngestPipeline(storage.archive, max_bytes=2 * 1024 * 1024, story_window=timedelta(hours=72))
    )
    scheduler = SourceScheduler(
        settings, counting, storage.sources, settle_s=0.1, rng=random.Random(3)
    )
    scheduler.add_folder("Inbox", inbox, interval_s=0.3)  # a fallback scan every 0.3 s
    bot = Bot(storage)
    stop = asyncio.Event()
    lags: list[float] = []
    answers: list[float] = []
    await scheduler.start()
    watchers = [
        asyncio.create_task(_lag_monitor(stop, lags)),
        asyncio.create_task(_commands(bot, stop, answers)),
    ]
    try:
        (inbox / "warm-up.md").write_text(article_md("Warm-up", "w-1"), encoding="utf-8")
        deadline = time.monotonic() + 20
        while "warm-up.md" not in counting.calls:  # first use loads lexicons and models
            assert time.monotonic() < deadline, "the warm-up file was not read"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        lags.clear()
        answers.clear()
        (inbox / "bomb.md").write_bytes((HERE / "files" / "yaml_alias_bomb_draft.md").read_bytes())
        (inbox / "far-future.md").write_text(
            article_md("Far future", "f-1", published="9999-12-31T23:59:59Z"), encoding="utf-8"
        )
        (inbox / "slow.txt").write_bytes(GENERATED["many_short_lines.txt"]())
        (inbox / "fine.md").write_text(article_md("Ordinary news", "o-1"), encoding="utf-8")
        names = {"bomb.md", "far-future.md", "slow.txt", "fine.md"}
        deadline = time.monotonic() + 20
        while not names <= set(counting.calls):
            assert time.monotonic() < deadline, f"not all files were read: {counting.calls}"
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # several fallback scans: nothing may be read again
    finally:
        stop.set()
        await asyncio.gather(*watchers)
        await scheduler.stop()

    assert counting.calls["bomb.md"] == ["rejected"]
    assert counting.calls["far-future.md"] == ["rejected"]
    assert counting.calls["slow.txt"] == ["new"]
    assert counting.calls["fine.md"] == ["new"]
    assert counting.calls["warm-up.md"] == ["new"]
    assert max(lags) < MAX_LAG_S, f"the event loop stalled for {max(lags):.2f} s"
    assert max(answers) < MAX_ANSWER_S, f"a command waited {max(answers):.2f} s"
    health = await storage.sources.get("inbox")
    assert health is not None and health.consecutive_failures == 0
