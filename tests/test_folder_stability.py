"""When a file in a watched folder counts as finished (no pipeline needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sources.folder import FileState, StabilityTracker, is_ignored


@pytest.mark.parametrize(
    "name",
    ["story.md.tmp", "story.md.part", "STORY.PARTIAL", ".story.md", "x.crdownload", "a.txt~",
     ".a.txt.swp"],
)  # fmt: skip
def test_rename_convention_names_are_ignored(name: str) -> None:
    assert is_ignored(name)


@pytest.mark.parametrize("name", ["story.md", "001_abc.txt", "tmp.md", "part-two.txt"])
def test_ordinary_names_are_read(name: str) -> None:
    assert not is_ignored(name)


def test_a_growing_file_is_ready_only_after_it_stays_unchanged() -> None:
    tracker = StabilityTracker(settle_s=0.5)
    path = Path("/inbox/a.md")
    assert not tracker.observe(path, FileState(100, 1), now=0.0)
    assert not tracker.observe(path, FileState(250, 2), now=0.6)  # still growing
    assert tracker.pending == 1
    assert not tracker.observe(path, FileState(250, 2), now=0.9)  # stable, not long enough
    assert tracker.observe(path, FileState(250, 2), now=1.1)
    tracker.done(path, FileState(250, 2))
    assert tracker.pending == 0
    # The same version is never ready again; a new version goes through settling again.
    assert not tracker.observe(path, FileState(250, 2), now=5.0)
    assert not tracker.observe(path, FileState(300, 3), now=6.0)
    assert tracker.observe(path, FileState(300, 3), now=6.5)


def test_empty_files_wait_for_content_without_counting_as_pending() -> None:
    tracker = StabilityTracker(settle_s=0.1)
    path = Path("/inbox/empty.md")
    for now in (0.0, 1.0, 2.0):
        assert not tracker.observe(path, FileState(0, 1), now=now)
    assert tracker.pending == 0


def test_deleted_files_are_forgotten() -> None:
    tracker = StabilityTracker(settle_s=0.1)
    kept, gone = Path("/inbox/kept.md"), Path("/inbox/gone.md")
    tracker.observe(kept, FileState(1, 1), now=0.0)
    tracker.observe(gone, FileState(1, 1), now=0.0)
    tracker.done(gone, FileState(1, 1))
    tracker.forget_missing({kept})
    assert tracker.pending == 1
    # Re-created with identical size and mtime, it is a new file again.
    assert not tracker.observe(gone, FileState(1, 1), now=1.0)
