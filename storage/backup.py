"""A consistent copy of the SQLite archive while the bot keeps running.

SQLite's online backup API (``sqlite3.Connection.backup``) copies the pages of one read
snapshot; in WAL mode that snapshot does not block the bot's writer, and the copy is a
complete database of its own (no -wal file needed). It is written next to the destination
under a temporary name and renamed when complete, so a crash never leaves half a backup
where the real one should be. PostgreSQL has ``pg_dump`` for this (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from bot.errors import RuntimeFailure, UserError
from storage.database import Database


def sqlite_file(db: Database) -> Path:
    """The database file behind ``db``; a UserError for PostgreSQL or in-memory databases."""
    if db.is_postgres:
        raise UserError(
            "backup copies the SQLite archive; for PostgreSQL use pg_dump (docs/deploy.md)"
        )
    name = db.url.database
    if not name or name == ":memory:":
        raise UserError("an in-memory database has nothing to back up")
    return Path(name).expanduser()


def copy_sqlite(source: Path, destination: Path) -> int:
    """Copy ``source`` to ``destination`` (mode 0600) with the online backup API; its size."""
    if not source.is_file():
        raise UserError(f"{source}: no database there (is [storage] url right?)")
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    try:
        reader = sqlite3.connect(source, timeout=30)
        try:
            target = sqlite3.connect(partial)
            try:
                reader.backup(target)
                check = target.execute("PRAGMA quick_check").fetchone()
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                target.close()
        finally:
            reader.close()
        if not check or check[0] != "ok":
            raise RuntimeFailure(f"the copy of {source} failed its integrity check")
        os.replace(partial, destination)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise RuntimeFailure(f"backup of {source} failed: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return destination.stat().st_size


async def backup(db: Database, destination: Path) -> int:
    """Back up the SQLite archive to ``destination`` in a worker thread."""
    return await asyncio.to_thread(copy_sqlite, sqlite_file(db), destination)
