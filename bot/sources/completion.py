"""Files that arrive complete: the kernel says so, so no stability wait is needed.

On Linux, inotify reports ``IN_MOVED_TO`` when a file is renamed or moved into a folder
(the rename convention: complete by definition) and ``IN_CLOSE_WRITE`` when a writer
closes a file it had open for writing. watchfiles folds both into "added"/"modified",
the same as a file still being written, so this listener watches the same tree for
just these two events and hands the paths over at once. Elsewhere (or when inotify
cannot be had: no ``inotify_simple``, the watch limit reached) it is simply absent and
every file takes the stability wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType

log = logging.getLogger("cryptowire.sources.folder")

_inotify: ModuleType | None
try:  # Linux only; a missing or unusable package means "no fast path", nothing more
    import inotify_simple as _inotify
except (ImportError, OSError, AttributeError):  # pragma: no cover - not Linux
    _inotify = None

MAX_WATCHED_FOLDERS = 10_000


def available() -> bool:
    return _inotify is not None


class CompletionListener:
    """Watches a folder tree for complete arrivals; ``on_complete`` gets their paths.

    Sub-folders are followed as they appear; hidden folders are skipped like the scan
    skips them. The callback runs on the event loop with the paths of one read.
    """

    def __init__(
        self,
        root: Path,
        on_complete: Callable[[list[Path]], None],
        keep: Callable[[Path], bool] = lambda _path: True,
    ) -> None:
        assert _inotify is not None
        self.root = root
        self.on_complete = on_complete
        self.keep = keep  # paths the source reads (not the database's own files)
        flags = _inotify.flags
        self._file_mask = flags.CLOSE_WRITE | flags.MOVED_TO
        self._mask = self._file_mask | flags.CREATE
        self._inotify = _inotify.INotify(nonblocking=True)
        self._folders: dict[int, Path] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Add watches for the tree and start reading events on the running loop."""
        self._add_tree(self.root)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._inotify.fileno(), self._read)

    def close(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._inotify.fileno())
        with contextlib.suppress(OSError):
            self._inotify.close()

    def _add_tree(self, top: Path) -> None:
        for root, dirs, _files in os.walk(top):
            dirs[:] = [d for d in dirs if not d.startswith(".") and self.keep(Path(root) / d)]
            if len(self._folders) >= MAX_WATCHED_FOLDERS:
                return
            try:
                wd = self._inotify.add_watch(root, self._mask)
            except OSError as exc:  # ENOSPC: the inotify watch limit; the stability wait stays
                log.info("not watching %s for complete files (%s)", root, exc.strerror or exc)
                return
            self._folders[wd] = Path(root)

    def _read(self) -> None:
        assert _inotify is not None
        flags = _inotify.flags
        complete: list[Path] = []
        try:
            events = self._inotify.read(timeout=0)
        except (BlockingIOError, OSError):
            return
        for event in events:
            folder = self._folders.get(event.wd)
            if event.mask & flags.IGNORED:
                self._folders.pop(event.wd, None)
                continue
            if folder is None or not event.name:
                continue
            path = folder / event.name
            if event.mask & flags.ISDIR:
                if (
                    not event.name.startswith(".")
                    and event.mask & (flags.CREATE | flags.MOVED_TO)
                    and self.keep(path)
                ):
                    self._add_tree(path)
                continue
            if event.mask & self._file_mask and self.keep(path):
                complete.append(path)
        if complete:
            self.on_complete(complete)


def listen(
    root: Path,
    read: Callable[[set[Path]], Awaitable[None]],
    stop: asyncio.Event,
    *,
    name: str,
    keep: Callable[[Path], bool] = lambda _path: True,
) -> asyncio.Task[None] | None:
    """A task handing complete arrivals under ``root`` to ``read`` (batched while it
    is busy) until ``stop``; None where the platform reports no such events."""
    if _inotify is None:
        return None
    arrived: asyncio.Queue[list[Path]] = asyncio.Queue()
    try:
        listener = CompletionListener(root, arrived.put_nowait, keep)
        listener.start()
    except OSError as exc:
        log.info("%s: complete files wait like the others (%s)", name, exc)
        return None

    async def read_arrivals() -> None:
        try:
            while not stop.is_set():
                paths = set(await arrived.get())
                while not arrived.empty():
                    paths.update(arrived.get_nowait())
                await read(paths)
        finally:
            listener.close()

    return asyncio.create_task(read_arrivals(), name=f"complete files {name}")
