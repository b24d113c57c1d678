"""A real `cryptowire run` as a child process for end-to-end tests: started on a config
file with the caller's CRYPTOWIRE_* settings removed, its output kept in a log file,
stopped with SIGTERM and its exit code kept, so every end-to-end test starts and stops
the bot the same way."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

STOP_WITHIN_S = 30


@dataclass
class RunningBot:
    """The child process, where its output goes, and its exit code once stopped."""

    process: asyncio.subprocess.Process
    log_path: Path
    code: int | None = None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def write_article(inbox: Path, name: str, text: str) -> None:
    """Drop an article into a watched folder the way a finished download appears: whole."""
    temporary = inbox / f".{name}.tmp"
    temporary.write_text(text, encoding="utf-8")
    temporary.rename(inbox / name)


def write_config(
    tmp_path: Path,
    sections: str,
    *,
    inbox: Path | None = None,
    source_name: str = "inbox",
    interval: str | None = "1s",
) -> Path:
    """``tmp_path/config.toml`` for a real run: SQLite at ``tmp_path/cw.db``, a folder
    source on INBOX when one is given, then the test's own TOML SECTIONS."""
    head = f'[storage]\nurl = "sqlite:///{tmp_path / "cw.db"}"\n'
    if inbox is not None:
        head += f'\n[[sources]]\nname = "{source_name}"\nkind = "folder"\npath = "{inbox}"\n'
        if interval is not None:
            head += f'interval = "{interval}"\n'
    path = tmp_path / "config.toml"
    path.write_text(f"{head}\n{sections.strip()}\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_port(port: int, within: float = 60) -> None:
    """Wait until something listens on 127.0.0.1:port (the console, the health server)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing listened on {port} within {within:.0f} s")


def run_env(**extra: str) -> dict[str, str]:
    """This environment without the caller's CRYPTOWIRE_* settings (a developer's shell or
    CI may set some), plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    env.update(extra)
    return env


@asynccontextmanager
async def cryptowire_run(
    config: Path, cwd: Path, *, env: dict[str, str] | None = None, log_mode: str = "wb"
) -> AsyncIterator[RunningBot]:
    """`cryptowire --config CONFIG run` in CWD; SIGTERM on leaving, then its exit code is
    read (a process that does not stop in time is killed and the test fails)."""
    log_path = cwd / "stderr.log"
    with log_path.open(log_mode) as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), "run",
            cwd=cwd, env=env if env is not None else run_env(),
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
        bot = RunningBot(process, log_path)
        try:
            yield bot
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                bot.code = await asyncio.wait_for(process.wait(), STOP_WITHIN_S)
            except TimeoutError:
                process.kill()
                await process.wait()
                message = f"cryptowire run did not stop within {STOP_WITHIN_S} s"
                raise AssertionError(message) from None
