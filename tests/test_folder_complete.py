"""Complete arrivals skip the stability wait: a file renamed into a watched folder (or
closed after writing) is read at once, while a file still open for writing waits."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from sources_support import article_md
from test_folder_watch import pipeline_for

from bot.config import Settings
from bot.sources import completion
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage

pytestmark = pytest.mark.skipif(
    not completion.available(), reason="complete-arrival events need Linux inotify"
)

SETTLE_S = 3.0  # far above what a complete arrival may take


async def test_renamed_and_closed_files_are_read_without_the_stability_wait(
    storage: SqlStorage, settings: Settings, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    recorder = pipeline_for(storage, settings)
    scheduler = SourceScheduler(
        settings, recorder, storage.sources, settle_s=SETTLE_S, rng=random.Random(1)
    )
    scheduler.add_folder("Inbox", inbox, interval_s=3600)
    await scheduler.start()
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(0.3)  # the watchers are up
        # 1. renamed into the folder (the download convention), also in a sub-folder
        for n, where in enumerate((inbox, inbox / "sub")):
            text = article_md(f"Bitcoin miners sell reserves {n}", f"m-{n}")
            temp = where / f"miners-{n}.md.tmp"
            temp.write_text(text, encoding="utf-8")
            began = loop.time()
            final = temp.rename(where / f"miners-{n}.md")
            await _until(lambda n=n: len(recorder.calls) == n + 1, within=SETTLE_S)
            assert loop.time() - began < 1.0, "a renamed file waited for the settle time"
            assert recorder.calls[n] == (str(final), text.encode())

        # 2. written in place and still open: not read before it settles
        text = article_md("Solana fees fall after upgrade", "s-1")
        path = inbox / "solana.md"
        handle = path.open("w", encoding="utf-8")
        handle.write(text[:60])
        handle.flush()
        await asyncio.sleep(1.0)
        assert len(recorder.calls) == 2, "a file still open for writing was read"
        handle.write(text[60:])
        began = loop.time()
        handle.close()  # closed after writing: complete, read at once
        await _until(lambda: len(recorder.calls) == 3, within=SETTLE_S)
        assert loop.time() - began < 1.0, "a file closed after writing waited"
        assert recorder.calls[2] == (str(path), text.encode())

        # 3. temp names stay unread, and later events for read files read nothing again
        (inbox / "draft.md.part").write_text(article_md("Draft", "d-1"), encoding="utf-8")
        await asyncio.sleep(SETTLE_S + 0.5)
        assert len(recorder.calls) == 3
        titles = {a.title for a in await storage.archive.latest(limit=10)}
        assert "Solana fees fall after upgrade" in titles
    finally:
        await scheduler.stop()


async def _until(condition, *, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
