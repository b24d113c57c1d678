"""A real `cryptowire run` process talking to the fake Bot API, for the end-to-end benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.fakes.telegram_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]


def write_config(
    folder: Path, fake: FakeBotApi, *, database: str, inbox: Path | None = None, extra: str = ""
) -> Path:
    """A config: the database, an optional watched folder, Telegram at the fake."""
    source = (
        f'[[sources]]\nname = "inbox"\nkind = "folder"\npath = "{inbox}"\ninterval = "5s"\n'
        if inbox is not None
        else ""
    )
    path = folder / "config.toml"
    path.write_text(
        f"""[storage]
url = "{database}"

{source}
[telegram]
token = "{fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
poll_timeout = 1

[delivery]
poll_interval_s = 0.2
{extra}
""",
        encoding="utf-8",
    )
    return path


@contextlib.asynccontextmanager
async def cryptowire_run(config: Path, log: Path, *args: str) -> AsyncIterator[int]:
    """Start `cryptowire run`, yield its pid, stop it with SIGTERM (SIGKILL after 30 s)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    env["PYTHONPATH"] = str(ROOT)
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            "run",
            *args,
            cwd=config.parent,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
        try:
            yield process.pid
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) so far."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


async def until_polling(fake: FakeBotApi, log: Path, within: float = 300.0) -> None:
    """Wait until the bot long-polls the fake (started: storage, index, adapters)."""
    try:
        await fake.wait_calls("getUpdates", within=within)
    except Exception:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]  # noqa: ASYNC240
        raise RuntimeError(f"cryptowire run did not come up:\n{tail}") from None
