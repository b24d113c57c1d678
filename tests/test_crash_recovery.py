"""`cryptowire run` killed with SIGKILL mid fan-out: nothing lost, almost nothing repeated."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from delivery_data import add_chats, add_story, deliveries
from sqlalchemy import func, select

from storage.plugin import SqlStorage
from storage.tables import DeliveryRow

CHATS = 2000
ALERT = re.compile(r"^┌─ ALERT #\d+ to console:(c\d{5})$")
pytestmark = pytest.mark.slow


def start(url: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--database-url", url, "-q", "run"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def read_alerts(process: subprocess.Popen[str], seen: Counter[str], stop_at: int) -> None:
    """Count alert headers until ``stop_at`` distinct chats were served or output ends."""
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    for line in process.stdout:
        match = ALERT.match(line.rstrip("\n"))
        if match:
            seen[match.group(1)] += 1
            if len(seen) >= stop_at:
                return
        assert time.monotonic() < deadline, f"only {len(seen)} alerts in time"


async def test_sigkill_mid_fan_out_then_restart_delivers_each_exactly_once(
    storage: SqlStorage, database_url: str, tmp_path: Path
):
    chats = await add_chats(storage, CHATS)
    story, (article,) = await add_story(storage)
    due = datetime.now(UTC)  # recent: the run's retention job must not touch these rows
    fan_out = deliveries(chats, story, article, due_at=due)
    assert await storage.outbox.enqueue_many(fan_out) == CHATS

    seen: Counter[str] = Counter()
    first = start(database_url, tmp_path)
    read_alerts(first, seen, stop_at=CHATS // 3)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.stdout is not None
    read_alerts(first, seen, stop_at=CHATS + 1)  # what it flushed before dying
    before_restart = len(seen)
    assert before_restart < CHATS, "the first run was meant to die mid fan-out"

    second = start(database_url, tmp_path)
    read_alerts(second, seen, stop_at=CHATS)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0, second.stderr.read() if second.stderr else ""

    assert len(seen) == CHATS, "every delivery was sent"
    repeated = {chat: n for chat, n in seen.items() if n > 1}
    print(f"served before the kill: {before_restart}, repeated: {len(repeated)}")
    assert all(n == 2 for n in repeated.values())
    # only messages in flight at the kill (printed, not yet recorded) may repeat
    assert len(repeated) <= 8, repeated  # Dispatcher.max_in_flight
    async with storage.db.session() as session:
        statuses = dict(
            (
                await session.execute(
                    select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
                )
            ).all()
        )
    assert statuses == {"sent": CHATS}
