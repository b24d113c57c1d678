"""Helpers of the SQLite burst tests: a real `cryptowire run` process and its log."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

LOCK_ERRORS = ("database is locked", "database table is locked", "OperationalError")


def clean_env() -> dict[str, str]:
    """The environment without CRYPTOWIRE_ overrides (the config file decides)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}


@asynccontextmanager
async def cryptowire(
    tmp_path: Path, config: Path, *args: str, log_name: str = "run.log"
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`cryptowire --config CONFIG ARGS...` with stdout and stderr in ``tmp_path/log_name``;
    stopped with SIGTERM on exit (and killed if it does not stop within 30 s)."""
    log_path = tmp_path / log_name
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            *args,
            cwd=tmp_path,
            env=clean_env(),
            stdout=log,
            stderr=log,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


def read_log(tmp_path: Path, log_name: str = "run.log") -> str:
    return (tmp_path / log_name).read_text(encoding="utf-8", errors="replace")


def query(db_path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read the archive directly (a separate connection, as an operator would)."""
    connection = sqlite3.connect(db_path, timeout=30)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()
