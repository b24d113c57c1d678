"""A new user copies config.example.toml to config.toml, as its first line says, and starts
the bot: it must start without a failing source, and an article dropped into the folder the
example names must reach a subscribed console."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (ROOT / "bot" / "data" / "examples" / "11_btc_etf_outflows.md").read_bytes()


def wait_for(path: Path, text: str, bot: subprocess.Popen[bytes], within: float = 60) -> str:
    deadline = time.monotonic() + within
    while text not in (seen := path.read_text()):
        assert bot.poll() is None, seen
        assert time.monotonic() < deadline, f"no {text!r} in:\n{seen}"
        time.sleep(0.2)
    return seen


def test_the_example_config_copied_as_is_starts_the_bot(tmp_path: Path) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    log_path, out_path = tmp_path / "run.log", tmp_path / "run.out"
    with log_path.open("w") as log, out_path.open("w") as out:
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=log,
        )
        try:
            assert bot.stdin is not None
            bot.stdin.write(b"/subscribe BTC\n")
            bot.stdin.flush()
            wait_for(out_path, "Subscribed", bot)
            wait_for(log_path, "leading ingestion", bot)
            time.sleep(2)  # the sources' first pass
            started = log_path.read_text()
            problems = [
                line for line in started.splitlines() if " WARNING " in line or " ERROR " in line
            ]
            assert problems == [], started
            inbox = tmp_path / "inbox"  # the example's path = "./inbox", next to the config
            inbox.mkdir(exist_ok=True)
            (inbox / "etf.md").write_bytes(ARTICLE)
            wait_for(out_path, "Bitcoin ETFs Bleed $410M", bot)
        finally:
            bot.terminate()
            bot.wait(30)
    assert bot.returncode == 0, log_path.read_text()
