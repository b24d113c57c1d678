"""Watched folders: new and changed files are ingested within a second of being written.

How a file is judged finished (writers can rely on either rule):

1. **Stable size and mtime.** A file is read only after two looks, ``settle_s`` apart
   (0.5 s by default), saw the same size and modification time; a file still growing
   is looked at again later. Empty files wait for content.
2. **Rename convention.** Names starting with ``.`` and names ending in ``.tmp``,
   ``.part``, ``.partial``, ``.crdownload``, ``.swp`` or ``~`` are never read: write
   ``story.md.tmp`` (or ``.story.md``) and rename it to ``story.md`` when complete,
   which is atomic on the same filesystem. Hidden folders are skipped too, and so are
   the configured SQLite database's own files and its search index folder when they sit
   in the watched folder (``bot.sources.folder_paths``).
3. **Complete arrivals are read at once.** Where the platform says a file arrived
   complete (Linux: renamed or moved into the folder, or closed after writing; see
   ``bot.sources.completion``), it is read without the stability wait.

Events come from watchfiles (inotify and friends); a periodic scan (the source's
``interval``, and once at start) is the fallback for filesystems without events and
for files that were already there. Ingested files stay in place. Each file's
(size, mtime) is remembered after ingesting (in memory, and in the ``source_files``
table when a store is given, so a restart does not read the folder again); an
unchanged file is not even read again, and a changed file goes through the pipeline
again, whose identity rules turn it into an update or a duplicate, never a second alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchfiles import awatch

from bot.errors import Unavailable
from bot.models import Article
from bot.sources import completion
from bot.sources.base import Ingestor, PollReport, SourceError, SourceStore
from bot.sources.folder_paths import FolderPaths, is_ignored

__all__ = ["DEFAULT_SETTLE_S", "FileState", "FolderSource", "StabilityTracker", "is_ignored"]

log = logging.getLogger("cryptowire.sources.folder")

DEFAULT_SETTLE_S = 0.5
POLL_ROUNDS = 6
WATCH_ROUNDS = 40


@dataclass(frozen=True, slots=True)
class FileState:
    """What tells us a file changed: its size and modification time (ns)."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileState:
        return cls(stat.st_size, stat.st_mtime_ns)


class StabilityTracker:
    """Decides when a file is finished and remembers which versions were ingested."""

    def __init__(self, settle_s: float) -> None:
        self.settle_s = settle_s
        self._watching: dict[Path, tuple[FileState, float]] = {}
        self._done: dict[Path, FileState] = {}

    def observe(self, path: Path, state: FileState, now: float, *, complete: bool = False) -> bool:
        """Record a look at ``path``; True when it is ready to read (``complete``: the
        platform said it arrived whole, so a non-empty new version is ready now)."""
        if self._done.get(path) == state:
            self._watching.pop(path, None)
            return False
        if complete and state.size:
            return True
        previous = self._watching.get(path)
        if previous is None or previous[0] != state or state.size == 0:
            self._watching[path] = (state, now)
            return False
        return now - previous[1] >= self.settle_s

    def done(self, path: Path, state: FileState) -> None:
        self._done[path] = state
        self._watching.pop(path, None)

    def forget(self, path: Path) -> None:
        self._done.pop(path, None)
        self._watching.pop(path, None)

    def forget_missing(self, present: set[Path]) -> list[Path]:
        """Forget files no longer there; return those that had been ingested."""
        gone = [p for p in self._done if p not in present]
        for path in [p for p in (*self._watching, *gone) if p not in present]:
            self.forget(path)
        return gone

    def pending_paths(self) -> list[Path]:
        return [path for path, (state, _) in self._watching.items() if state.size]

    @property
    def pending(self) -> int:
        """Files with content seen but not yet settled (empty files just wait)."""
        return sum(1 for state, _ in self._watching.values() if state.size)


class FolderSource:
    """One watched folder feeding the pipeline through ``ingest_bytes``."""

    kind = "folder"

    def __init__(
        self,
        name: str,
        path: Path,
        pipeline: Ingestor,
        *,
        source_hint: Any = None,
        max_bytes: int = 2 * 1024 * 1024,
        settle_s: float = DEFAULT_SETTLE_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        memory: SourceStore | None = None,
        key: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        skip: Iterable[Path] = (),
    ) -> None:
        self.name = name
        # absolute, so the absolute paths of file events are inside it ("./inbox" never is)
        self.path = _absolute(Path(path))
        self.paths = FolderPaths(self.path, skip)  # ``skip``: the database's own files
        self.pipeline = pipeline
        self.source_hint = source_hint
        self.max_bytes = max_bytes
        self.clock = clock
        self.sleep = sleep
        self.tracker = StabilityTracker(settle_s)
        self._lock = asyncio.Lock()
        self.memory = memory
        self.key = key or name
        self.now = now
        self._loaded = memory is None
        self._ingested: dict[str, tuple[int, int]] = {}

    @property
    def target(self) -> str:
        return str(self.path)

    def ensure_folder(self) -> None:
        """Create the folder when it is missing (a configured inbox need not exist before
        the first start); a path that is a file, or cannot be created, is a SourceError."""
        if self.path.is_dir():
            return
        if self.path.exists():
            raise SourceError(f"{self.path} is not a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SourceError(
                f"folder {self.path} does not exist and cannot be created ({exc.strerror or exc})"
            ) from None
        log.info("%s: created the watched folder %s", self.name, self.path)

    async def scan(
        self,
        report: PollReport | None = None,
        *,
        only: Iterable[Path] | None = None,
        complete: bool = False,
    ) -> PollReport:
        """Look at every file (or just ``only``, the paths events named) once; ingest
        those that are finished (``complete``: ``only`` arrived whole) and not yet ingested."""
        report = report or PollReport(self.name, self.kind)
        self.ensure_folder()
        if only is not None:
            named = sorted(p for p in map(_absolute, only) if self.paths.wanted(p))
            if any(path.is_dir() for path in named):
                only, complete = None, False  # a folder moved in: look at everything
            else:
                paths: Iterable[Path] = named
        async with self._lock:
            await self._load_memory()
            failures: list[str] = []
            present: set[Path] = set()
            for path in self.paths.files() if only is None else paths:
                present.add(path)
                try:
                    state = FileState.of(path.stat())
                except FileNotFoundError:
                    self.tracker.forget(path)
                    continue
                except OSError:
                    continue
                if not path.is_file() or not self.tracker.observe(
                    path, state, self.clock(), complete=complete
                ):
                    continue
                error = await self._ingest(path, state, report)
                if error:
                    failures.append(error)
            gone = self.tracker.forget_missing(present) if only is None else []
            await self._save_memory(gone)
            report.pending = self.tracker.pending
        if failures:
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise SourceError(failures[0] + more)
        return report

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.path).as_posix()

    async def _load_memory(self) -> None:
        """Once: files ingested by earlier runs, so a restart does not read them again."""
        if self._loaded or self.memory is None:
            return
        for relative, (size, mtime_ns) in (await self.memory.known_files(self.key)).items():
            self.tracker.done(self.path / relative, FileState(size, mtime_ns))
        self._loaded = True

    async def _save_memory(self, gone: list[Path]) -> None:
        if self.memory is None:
            self._ingested.clear()
            return
        if self._ingested:
            await self.memory.remember_files(self.key, self._ingested, at=self.now())
            self._ingested.clear()
        if gone:
            await self.memory.forget_files(self.key, [self._relative(p) for p in gone])

    async def _ingest(self, path: Path, state: FileState, report: PollReport) -> str | None:
        """Read and ingest one settled file; return a failure line when it must be retried."""
        try:
            with path.open("rb") as handle:
                raw = handle.read(self.max_bytes + 1)
        except FileNotFoundError:
            self.tracker.forget(path)
            return None
        except OSError as exc:
            return f"{path}: cannot read ({exc.strerror or exc})"
        try:
            outcome = await self.pipeline.ingest_bytes(
                raw, origin=str(path), source=self.source_hint
            )
        except Unavailable:  # the database is away (logged once): the next scan retries
            log.debug("ingesting %s waits for the database", path)
            return f"{path}: database unreachable"
        except Exception as exc:
            log.warning("ingesting %s failed", path, exc_info=True)
            return f"{path}: {type(exc).__name__}: {exc}"
        self.tracker.done(path, state)
        self._ingested[self._relative(path)] = (state.size, state.mtime_ns)
        report.count(outcome, str(path))
        if str(outcome.status) == "rejected":
            log.warning("%s rejected: %s", path, outcome.error)
        elif outcome.status == "duplicate" and outcome.error and outcome.article is not None:
            _log_not_applied(path, outcome.article)
        return None

    async def poll(self) -> PollReport:
        """A full pass that also waits out files being written (bounded rounds)."""
        report = await self.scan()
        rounds = 1
        while self.tracker.pending and rounds < POLL_ROUNDS:
            await self.sleep(self.tracker.settle_s)
            await self.scan(report)
            rounds += 1
        return report

    async def watch(
        self,
        on_report: Callable[[PollReport], Awaitable[None]],
        stop: asyncio.Event,
        *,
        force_polling: bool | None = None,
    ) -> None:
        """Follow filesystem events until ``stop`` is set; each settled batch is reported.
        Complete arrivals (where the platform reports them) are read at once beside."""
        self.ensure_folder()
        fast = None
        if not force_polling:

            async def read(paths: set[Path]) -> None:
                await self._read_complete(paths, on_report)

            fast = completion.listen(self.path, read, stop, name=self.name, keep=self.paths.wanted)
        try:
            await self._watch_changes(on_report, stop, force_polling)
        finally:
            if fast is not None:
                fast.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fast

    async def _read_complete(
        self, paths: set[Path], on_report: Callable[[PollReport], Awaitable[None]]
    ) -> None:
        report = PollReport(self.name, self.kind)
        try:
            await self.scan(report, only=paths, complete=True)
        except SourceError as exc:
            report.ok, report.error = False, str(exc)
        if report.items_seen or not report.ok:
            await on_report(report)

    async def _watch_changes(
        self,
        on_report: Callable[[PollReport], Awaitable[None]],
        stop: asyncio.Event,
        force_polling: bool | None,
    ) -> None:
        async for changes in awatch(
            self.path,
            watch_filter=self.paths.watch_filter,
            stop_event=stop,
            debounce=400,
            step=30,
            force_polling=force_polling,
            poll_delay_ms=100,
        ):
            log.debug("%s: %d change(s)", self.name, len(changes))
            await self._settle({Path(path) for _, path in changes}, on_report, stop)

    async def _settle(
        self,
        changed: set[Path],
        on_report: Callable[[PollReport], Awaitable[None]],
        stop: asyncio.Event,
    ) -> None:
        """Look at the changed paths, then at those still settling until they are done."""
        report = PollReport(self.name, self.kind)
        try:
            await self.scan(report, only=changed)
            rounds = 1
            while self.tracker.pending and not stop.is_set() and rounds < WATCH_ROUNDS:
                await self.sleep(self.tracker.settle_s)
                await self.scan(report, only=self.tracker.pending_paths())
                rounds += 1
        except SourceError as exc:
            report.ok, report.error = False, str(exc)
        if report.items_seen or not report.ok:
            await on_report(report)


def _log_not_applied(path: Path, stored: Article) -> None:
    """An edit that changed nothing a reader sees: say why, and how to publish it."""
    stamp = (stored.updated_at or stored.published_at).astimezone(UTC)
    later = max(stamp, datetime.now(UTC)).replace(microsecond=0) + timedelta(seconds=1)
    log.warning(
        "%s changed, but its updatedAt is not newer than the stored version (%s), so the "
        "edit is ignored; to publish it as an update, set a later updatedAt in its front "
        "matter, e.g. updatedAt: '%s'",
        path,
        stamp.isoformat().replace("+00:00", "Z"),
        later.isoformat().replace("+00:00", "Z"),
    )


def _absolute(path: Path) -> Path:
    """Absolute and normalised ("/x/./inbox" -> "/x/inbox"), symlinks kept as named:
    watchfiles reports paths under the folder as it was given."""
    return Path(os.path.abspath(path.expanduser()))
