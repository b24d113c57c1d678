"""An edited watched file whose updatedAt is not newer is not applied; the log says why and
how to publish it as an update (before, the edit vanished without a word)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sources_support import article_md

from bot.config import Settings
from bot.ingest.pipeline import IngestPipeline
from bot.sources.folder import FolderSource
from storage.plugin import SqlStorage


def folder(storage: SqlStorage, settings: Settings, inbox: Path) -> FolderSource:
    pipeline = IngestPipeline(
        storage.archive,
        max_bytes=settings.ingest.max_file_bytes,
        story_window=timedelta(hours=72),
    )
    return FolderSource("Inbox", inbox, pipeline, settle_s=0.01)


async def test_an_edit_without_a_newer_updated_at_is_logged_with_the_fix(
    storage: SqlStorage, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "story.md"
    updated = "2026-01-06T12:00:00Z"
    path.write_text(article_md("Exchange halts withdrawals", "e-1", updated=updated))
    source = folder(storage, settings, inbox)
    assert (await source.poll()).new == 1

    path.write_text(
        article_md("Exchange halts withdrawals", "e-1", updated=updated, body="Now restored.")
    )
    with caplog.at_level(logging.INFO, logger="cryptowire.sources.folder"):
        report = await source.poll()
    assert (report.updated, report.duplicates) == (0, 1)
    (line,) = [r.getMessage() for r in caplog.records if "story.md" in r.getMessage()]
    assert "updatedAt is not newer than the stored version (2026-01-06T12:00:00Z)" in line
    assert "set a later updatedAt" in line
    stored = (await storage.archive.latest(None, 5))[0]
    assert "Now restored." not in stored.body

    # following the advice publishes the edit, and says nothing more
    caplog.clear()
    path.write_text(
        article_md("Exchange halts withdrawals", "e-1", updated="2026-01-06T13:00:00Z",
                   body="Now restored.")
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="cryptowire.sources.folder"):
        assert (await source.poll()).updated == 1
    assert not [r for r in caplog.records if "updatedAt" in r.getMessage()]


async def test_an_unchanged_copy_says_nothing(
    storage: SqlStorage, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = article_md("Same story", "s-1")
    (inbox / "a.md").write_text(text)
    source = folder(storage, settings, inbox)
    await source.poll()
    (inbox / "b.md").write_text(text)  # the same article again: a plain duplicate
    with caplog.at_level(logging.INFO, logger="cryptowire.sources.folder"):
        assert (await source.poll()).duplicates == 1
    assert not [r for r in caplog.records if "updatedAt" in r.getMessage()]
