"""`cryptowire backup PATH`: a complete, consistent copy of the SQLite archive, taken while
another connection keeps writing, including what is still only in the -wal file."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "bot" / "data" / "examples"


def cryptowire(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    result = cryptowire("ingest", str(EXAMPLES), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "cryptowire.db"


class Writer(threading.Thread):
    """Another process's writer, as the running bot is: WAL, commits all the time, and
    never checkpoints (so recent rows live only in the -wal file)."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.stop = threading.Event()
        self.committed = 0
        self.ready = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.db, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER, pad TEXT)")
        while not self.stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO scratch VALUES (?, ?)", [(self.committed, "x" * 200)] * 50
            )
            conn.execute("COMMIT")
            self.committed += 1
            if self.committed == 20:
                self.ready.set()
            time.sleep(0.002)
        conn.close()


def test_backup_while_a_writer_commits_is_complete_and_consistent(
    archive: Path, tmp_path: Path
) -> None:
    articles = count(archive, "articles")
    assert articles >= 10
    writer = Writer(archive)
    writer.start()
    assert writer.ready.wait(30)
    assert (tmp_path / "cryptowire.db-wal").stat().st_size > 0  # rows not in the .db yet
    copy = tmp_path / "copy.db"
    try:
        result = cryptowire("backup", str(copy), cwd=tmp_path)
        seen = writer.committed
    finally:
        writer.stop.set()
        writer.join(30)
    assert result.returncode == 0, result.stderr
    assert f"backed up to {copy}" in result.stdout
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        batches = conn.execute("SELECT count(DISTINCT n), count(*) FROM scratch").fetchone()
    assert count(copy, "articles") == articles
    assert batches[0] >= 20 and batches[1] == batches[0] * 50  # whole transactions only
    assert batches[0] <= seen + 1
    # the copy is an archive the program reads as it is
    latest = cryptowire(
        "--database-url", f"sqlite:///{copy}", "latest", "--limit", "3", cwd=tmp_path
    )
    assert latest.returncode == 0 and "[" in latest.stdout, latest.stderr


def test_a_plain_file_copy_would_have_missed_the_wal(archive: Path, tmp_path: Path) -> None:
    """Why the online backup API: rows still in the -wal file are in the backup."""
    writer = sqlite3.connect(archive, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE late (n INTEGER)")
    writer.execute("INSERT INTO late VALUES (1)")
    naive = tmp_path / "naive.db"
    naive.write_bytes(archive.read_bytes())
    with sqlite3.connect(naive) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='late'").fetchone() is None
    result = cryptowire("backup", str(tmp_path / "real.db"), cwd=tmp_path)
    writer.close()
    assert result.returncode == 0, result.stderr
    assert count(tmp_path / "real.db", "late") == 1


def test_a_folder_gets_a_dated_file_and_a_file_is_not_replaced(
    archive: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    result = cryptowire("backup", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (made,) = folder.iterdir()
    assert made.name.startswith("cryptowire-") and made.suffix == ".db"
    again = cryptowire("backup", str(made), cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    forced = cryptowire("backup", str(made), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr


def test_no_archive_and_postgres_get_one_line(tmp_path: Path) -> None:
    missing = cryptowire("backup", str(tmp_path / "b.db"), cwd=tmp_path)
    assert missing.returncode == 2
    assert "no database there" in missing.stderr and len(missing.stderr.splitlines()) == 1
    assert not (tmp_path / "cryptowire.db").exists()
    pg = cryptowire(
        "--database-url", "postgresql://u@127.0.0.1:1/db", "backup", str(tmp_path / "b.db"),
        cwd=tmp_path,
    )  # fmt: skip
    assert pg.returncode == 2 and "pg_dump" in pg.stderr
