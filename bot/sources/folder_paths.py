"""Which paths under a watched folder a folder source reads.

Never read: hidden names, the temporary names of the rename convention, anything under
a hidden folder, and the configured SQLite database's own files (the file, its ``-wal``,
``-shm`` and ``-journal``, and the search index folder beside it, ``<db>.search/``,
decision 027). Why the last: a first run often puts the database in the folder it also
watches; those files change on every write, and a folder source that read them once
ingested a file of the search index as an article.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

from watchfiles import Change

TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal", ".search")  # ".search": the index folder


def is_ignored(name: str) -> bool:
    """True for hidden names and the temporary names of the rename convention."""
    lowered = name.lower()
    return lowered.startswith(".") or lowered.endswith(TEMP_SUFFIXES)


def sqlite_file(url: str) -> Path | None:
    """The SQLite file a storage URL names (absolute, from the current folder like
    SQLite's own resolution), or None for servers and in-memory databases."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.lower().startswith("sqlite"):
        return None
    database = rest.partition("/")[2].partition("?")[0]  # sqlite://<host>/<path>?<query>
    database = unquote(database.removeprefix("file:"))
    if database in ("", ":memory:"):
        return None
    return Path(os.path.abspath(Path(database).expanduser()))


def database_files(url: str) -> tuple[Path, ...]:
    """The files and folder a SQLite database at ``url`` writes beside itself."""
    file = sqlite_file(url)
    if file is None:
        return ()
    return tuple(file.with_name(file.name + suffix) for suffix in SQLITE_SUFFIXES)


class FolderPaths:
    """The paths under ``root`` (absolute, symlinks kept as named) a source may read;
    ``skip`` (files or folders, anywhere) are compared by their real location, so a
    folder named through a symlink still skips the database inside it."""

    def __init__(self, root: Path, skip: Iterable[Path] = ()) -> None:
        self.root = root
        real_root = Path(os.path.realpath(root))
        self._skip: set[tuple[str, ...]] = set()
        for path in skip:
            try:
                relative = Path(os.path.realpath(path)).relative_to(real_root).parts
            except ValueError:  # not under the folder: never met
                continue
            if relative:
                self._skip.add(relative)

    def _skipped(self, parts: tuple[str, ...]) -> bool:
        return any(parts[:n] in self._skip for n in range(1, len(parts) + 1))

    def wanted(self, path: Path) -> bool:
        """Inside the folder, not under a hidden folder, not a temporary name, not one of
        the database's files."""
        try:
            parts = Path(os.path.abspath(path)).relative_to(self.root).parts
        except ValueError:
            return False
        return (
            bool(parts)
            and not is_ignored(parts[-1])
            and not any(part.startswith(".") for part in parts[:-1])
            and not (self._skip and self._skipped(parts))
        )

    def files(self) -> Iterator[Path]:
        """Every readable file under the folder, in a stable order."""
        for root, dirs, files in os.walk(self.root):
            base = Path(root).relative_to(self.root).parts
            dirs[:] = sorted(
                d for d in dirs if not d.startswith(".") and (*base, d) not in self._skip
            )
            for name in sorted(files):
                if not is_ignored(name) and (*base, name) not in self._skip:
                    yield Path(root) / name

    def watch_filter(self, change: Change, path: str) -> bool:
        """watchfiles' filter: deletions and unread paths wake nobody."""
        return change != Change.deleted and self.wanted(Path(path))
