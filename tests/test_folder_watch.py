"""Watched folders end to end: real files written in steps, the real pipeline, both databases."""

from __future__ import annotations

import asyncio
import os
import random
from datetime import timedelta
from pathlib import Path

import pytest
from sources_support import article_md

from bot.config import Settings, SourceConfig
from bot.ingest.pipeline import IngestPipeline
from bot.sources.folder import FolderSource
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Wraps the real pipeline and records every file it was handed (no behaviour change)."""

    def __init__(self, pipeline: IngestPipeline) -> None:
        self.pipeline = pipeline
        self.calls: list[tuple[str, bytes]] = []

    async def ingest_bytes(self, raw: bytes, *, origin: str, source: object = None) -> object:
        outcome = await self.pipeline.ingest_bytes(raw, origin=origin, source=source)
        self.calls.append((origin, raw))  # once stored: what the test waits for
        return outcome

    async def ingest_article(self, article: object, *, origin: str) -> object:
        return await self.pipeline.ingest_article(article, origin=origin)  # type: ignore[arg-type]


def pipeline_for(storage: SqlStorage, settings: Settings) -> Recorder:
    return Recorder(
        IngestPipeline(
            storage.archive,
            max_bytes=settings.ingest.max_file_bytes,
            story_window=timedelta(hours=72),
        )
    )


async def test_a_file_written_in_steps_is_read_only_when_complete(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    recorder = pipeline_for(storage, settings)
    ticks = Ticks()
    folder = FolderSource("Inbox", inbox, recorder, settle_s=0.5, clock=ticks)
    text = article_md("Bitcoin miners sell reserves", "m-1", body="First half. " * 20 + "END")
    path = inbox / "miners.md"
    half = len(text) // 2

    with path.open("w", encoding="utf-8") as handle:
        handle.write(text[:half])
        handle.flush()
        assert (await folder.scan()).items_seen == 0  # first look
        ticks.now = 1.0
        handle.write(text[half:])
        handle.flush()
        assert (await folder.scan()).items_seen == 0  # changed since the first look
        ticks.now = 1.2
        assert (await folder.scan()).items_seen == 0  # unchanged, but not for long enough
    ticks.now = 2.0
    report = await folder.scan()
    assert (report.items_seen, report.new, report.rejected) == (1, 1, 0)
    assert recorder.calls == [(str(path), text.encode())]
    [article] = await storage.archive.latest()
    assert article.title == "Bitcoin miners sell reserves" and article.body.endswith("END")

    # Unchanged: not even read again. Changed: through the pipeline, as an update.
    ticks.now = 10.0
    assert (await folder.scan()).items_seen == 0
    assert len(recorder.calls) == 1
    path.write_text(
        article_md(
            "Bitcoin miners sell more reserves",
            "m-1",
            body="Revised. END",
            updated="2026-01-06T12:00:00Z",
        ),
        encoding="utf-8",
    )
    ticks.now = 11.0
    await folder.scan()
    ticks.now = 12.0
    update = await folder.scan()
    assert (update.items_seen, update.updated) == (1, 1)
    [article] = await storage.archive.latest()
    assert article.title == "Bitcoin miners sell more reserves"


async def test_temp_names_are_ignored_until_renamed(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    recorder = pipeline_for(storage, settings)
    ticks = Ticks()
    folder = FolderSource("Inbox", inbox, recorder, settle_s=0.5, clock=ticks)
    temp = inbox / "etf.md.tmp"
    temp.write_text(article_md("Ether ETF inflows", "e-1")[:40], encoding="utf-8")
    (inbox / ".hidden.md").write_text(article_md("Hidden", "h-1"), encoding="utf-8")
    (inbox / "partial.part").write_text("half", encoding="utf-8")
    (inbox / ".drafts").mkdir()
    (inbox / ".drafts" / "wip.md").write_text(article_md("Work in progress", "w-1"), "utf-8")
    for now in (0.0, 1.0, 2.0):
        ticks.now = now
        assert (await folder.scan()).items_seen == 0
    temp.write_text(article_md("Ether ETF inflows", "e-1"), encoding="utf-8")
    final = temp.rename(inbox / "etf.md")
    ticks.now = 3.0
    await folder.scan()
    ticks.now = 4.0
    assert (await folder.scan()).new == 1
    assert [origin for origin, _ in recorder.calls] == [str(final)]


async def test_rejected_files_are_reported_once_and_the_rest_still_indexed(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    recorder = pipeline_for(storage, settings)
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "good.md").write_text(article_md("Good one", "g-1"), encoding="utf-8")
    (inbox / "bad.md").write_bytes(b"\x00\xff\x00 binary junk")
    (inbox / "sub" / "nested.md").write_text(article_md("Nested one", "n-1"), "utf-8")
    folder = FolderSource("Inbox", inbox, recorder, settle_s=0.01)
    report = await folder.poll()
    assert (report.items_seen, report.new, report.rejected) == (3, 2, 1)
    assert report.rejections[0].startswith(str(inbox / "bad.md"))
    again = await folder.poll()
    assert again.items_seen == 0 and len(recorder.calls) == 3


async def test_oversized_files_are_rejected_without_reading_them_whole(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "huge.md").write_text(article_md("Huge", "x-1", body="word " * 2000), "utf-8")
    pipeline = Recorder(
        IngestPipeline(storage.archive, max_bytes=1000, story_window=timedelta(hours=72))
    )
    folder = FolderSource("Inbox", inbox, pipeline, max_bytes=1000, settle_s=0.01)
    report = await folder.poll()
    assert report.rejected == 1 and report.new == 0
    assert len(pipeline.calls[0][1]) == 1001  # the cap plus one byte, never the whole file
    assert await storage.archive.latest() == []


async def test_a_restart_reads_only_files_that_changed_meanwhile(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"{n}.md").write_text(article_md(f"Story {n}", f"r-{n}"), encoding="utf-8")
    first = pipeline_for(storage, settings)
    source = FolderSource("Inbox", inbox, first, settle_s=0.01, memory=storage.sources, key="inbox")
    assert (await source.poll()).new == 3

    # While "down": one file edited, one deleted, one new.
    (inbox / "0.md").write_text(
        article_md("Story 0, revised", "r-0", updated="2026-01-07T00:00:00Z"), encoding="utf-8"
    )
    (inbox / "1.md").unlink()
    (inbox / "3.md").write_text(article_md("Story 3", "r-3"), encoding="utf-8")

    second = pipeline_for(storage, settings)
    restarted = FolderSource(
        "Inbox", inbox, second, settle_s=0.01, memory=storage.sources, key="inbox"
    )
    report = await restarted.poll()
    assert sorted(Path(origin).name for origin, _ in second.calls) == ["0.md", "3.md"]
    assert (report.new, report.updated) == (1, 1)
    assert set(await storage.sources.known_files("inbox")) == {"0.md", "2.md", "3.md"}


async def test_a_folder_that_cannot_be_created_is_a_source_error(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    blocked = tmp_path / "a-file" / "inbox"
    scheduler = SourceScheduler(
        settings.model_copy(
            update={"sources": [SourceConfig(name="Gone", kind="folder", path=blocked)]}
        ),
        pipeline_for(storage, settings),
        storage.sources,
    )
    try:
        [report] = await scheduler.poll_once()
        assert not report.ok
        assert report.error is not None
        assert report.error.startswith(f"folder {blocked} does not exist and cannot be created (")
        assert "\n" not in report.error
        health = await storage.sources.get("gone")
        assert health is not None and health.consecutive_failures == 1
    finally:
        await scheduler.stop()


@pytest.mark.parametrize("force_polling", [False, True], ids=["events", "polling-watcher"])
async def test_watched_folder_ingests_within_a_second(
    storage: SqlStorage, settings: Settings, tmp_path: Path, force_polling: bool
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "before.md").write_text(article_md("Already there", "b-1"), encoding="utf-8")
    recorder = pipeline_for(storage, settings)
    scheduler = SourceScheduler(
        settings,
        recorder,
        storage.sources,
        settle_s=0.2,
        rng=random.Random(1),
        force_polling=force_polling,
    )
    scheduler.add_folder("Demo inbox", inbox, interval_s=3600)
    await scheduler.start()
    try:
        await _until(lambda: len(recorder.calls) == 1, within=3)  # the start-up scan
        loop = asyncio.get_running_loop()
        text = article_md("Dogecoin rallies on payments news", "d-1", body="Body. " * 200)
        path = inbox / "doge.md"
        with path.open("w", encoding="utf-8") as handle:
            for start in range(0, len(text), 400):  # several writes, 50 ms apart
                handle.write(text[start : start + 400])
                handle.flush()
                os.fsync(handle.fileno())
                await asyncio.sleep(0.05)
        written = loop.time()
        await _until(lambda: len(recorder.calls) == 2, within=3)
        assert loop.time() - written < 1.0
        assert recorder.calls[1] == (str(path), text.encode())
        titles = {a.title for a in await storage.archive.latest(limit=10)}
        assert titles == {"Already there", "Dogecoin rallies on payments news"}
        await asyncio.sleep(0.4)  # later events (close, metadata) must not re-ingest
        assert len(recorder.calls) == 2

        # The rename convention: pauses longer than the settle time do not matter.
        text = article_md("Ether treasury firms keep buying", "e-1", body="Ether. " * 100)
        temp = inbox / "ether.md.tmp"
        with temp.open("w", encoding="utf-8") as handle:
            for start in range(0, len(text), len(text) // 3 + 1):
                handle.write(text[start : start + len(text) // 3 + 1])
                handle.flush()
                await asyncio.sleep(0.3)
        final = temp.rename(inbox / "ether.md")
        await _until(lambda: len(recorder.calls) == 3, within=3)
        assert recorder.calls[2] == (str(final), text.encode())
        await _until_health(storage, "demo-inbox", items=3)
    finally:
        await scheduler.stop()


async def _until(condition, *, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def _until_health(storage: SqlStorage, key: str, *, items: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 3
    while True:
        health = await storage.sources.get(key)
        if health is not None and health.items_seen == items:
            assert health.status == "ok"
            return
        if loop.time() > deadline:
            raise AssertionError(f"health of {key}: {health}")
        await asyncio.sleep(0.02)
