"""`cryptowire demo` in a real subprocess, driven through stdin like a user would."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MATCHING = """---
title: Bitcoin Hashrate Hits a Record as New Rigs Come Online
publishedAt: '2026-02-10T08:00:00Z'
source:
  name: Test Wire
  key: test-wire
tags: [BTC, MINING]
sentiment: POSITIVE
---
Bitcoin's hashrate reached a record on Tuesday as miners switched on a new fleet of machines.
"""

NOT_MATCHING = """Cardano Foundation Opens a Grant Round for Wallet Developers
The foundation will fund twelve teams building open-source wallets for ADA holders this spring.
"""


def demo(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "-q", "demo", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


class Lines:
    """Stdout lines as they arrive, read on a thread so the test can wait with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate, timeout: float = 20.0) -> str:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"not seen in time; output so far: {self.seen[-20:]}")

    def rest(self) -> list[str]:
        while (line := self._queue.get(timeout=30)) is not None:
            self.seen.append(line)
        return self.seen


def test_piped_commands_get_answers_and_the_demo_exits_0(tmp_path: Path):
    process = demo([], tmp_path)
    out, err = process.communicate("/subscribe BTC\n/latest BTC\n/search ETF inflows\n", 60)
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Cryptowire demo. Drop article files into: ")
    assert "> /subscribe BTC" in lines
    assert any(line.startswith("Subscribed") and "BTC" in line for line in lines)
    latest = out.split("> /latest BTC", 1)[1]
    assert "Bitcoin Climbs Past $98K" in latest.split("> /search", 1)[0]
    assert "Spot Bitcoin ETFs Pull In $640M" in out.split("> /search ETF inflows", 1)[1]
    assert "Traceback" not in out + err


def test_an_article_dropped_in_the_inbox_alerts_exactly_once(tmp_path: Path):
    inbox = tmp_path / "inbox"
    process = demo(["--inbox", str(inbox)], tmp_path)
    lines = Lines(process)
    first = lines.wait_for(lambda line: "Drop article files into" in line)
    assert first.endswith(str(inbox))
    assert process.stdin is not None
    process.stdin.write("/subscribe BTC\n")
    process.stdin.flush()
    lines.wait_for(lambda line: line.startswith("Subscribed"))

    (tmp_path / "draft.md").write_text(MATCHING, encoding="utf-8")
    dropped = time.monotonic()
    os.replace(tmp_path / "draft.md", inbox / "hashrate.md")
    lines.wait_for(lambda line: line.startswith("┌─ ALERT"))
    latency = time.monotonic() - dropped
    lines.wait_for(lambda line: "Bitcoin Hashrate Hits a Record" in line, timeout=2)

    (inbox / "cardano.txt").write_text(NOT_MATCHING, encoding="utf-8")
    (inbox / "hashrate-copy.md").write_text(MATCHING, encoding="utf-8")  # same article again
    time.sleep(2.5)  # give the watcher time to (not) alert on those two
    process.stdin.write("/latest ADA\n")
    process.stdin.close()
    assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    seen = lines.rest()
    assert sum(1 for line in seen if line.startswith("┌─ ALERT")) == 1
    assert any("Cardano Foundation Opens a Grant Round" in line for line in seen)
    assert latency < 5, f"alert took {latency:.2f}s"  # about 0.6 s here; 1 s is the target


def test_ctrl_c_stops_cleanly_with_exit_0(tmp_path: Path):
    process = demo([], tmp_path)
    lines = Lines(process)
    lines.wait_for(lambda line: "Drop article files into" in line)
    assert process.stdin is not None
    process.stdin.write("/subscribe ETH\n")
    process.stdin.flush()
    lines.wait_for(lambda line: line.startswith("Subscribed"))
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")
