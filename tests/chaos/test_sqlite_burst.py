"""1,000 users send /subscribe within seconds to a real `cryptowire run` on SQLite.

The embedded default used to fail a tenth of such a burst with "database is locked"
(a deferred transaction that read first cannot become a writer once another connection
committed). Every command must be answered, every subscription stored, no lock error
logged.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.chaos.sqlite_support import LOCK_ERRORS, cryptowire, query, read_log
from tests.fakes.telegram_api import FakeBotApi

pytestmark = pytest.mark.slow

USERS = 1000
FIRST_USER = 500_001
APOLOGY = "Something went wrong"


def write_config(tmp_path: Path, fake: FakeBotApi) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{tmp_path / "cw.db"}"

[telegram]
token = "{fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
poll_timeout = 1
""",
        encoding="utf-8",
    )
    return path


def answered(fake: FakeBotApi) -> dict[int, str]:
    """The first reply each burst user got."""
    replies: dict[int, str] = {}
    for call in fake.calls:
        if call.method == "sendMessage":
            chat = int(call.params.get("chat_id") or 0)
            if chat >= FIRST_USER and chat not in replies:
                replies[chat] = str(call.params.get("text", ""))
    return replies


async def test_a_thousand_users_subscribe_at_once_and_all_are_stored(tmp_path):
    async with FakeBotApi() as fake:
        config = write_config(tmp_path, fake)
        async with cryptowire(tmp_path, config, "run"):
            await fake.wait_calls("getUpdates", within=60)
            users = range(FIRST_USER, FIRST_USER + USERS)
            chats = {user: fake.private_chat(user, f"Trader{user}") for user in users}
            started = time.monotonic()
            for user in users:  # the whole burst is queued at once: harder than 10 s
                fake.command(chats[user], user, "/subscribe BTC negative")
            await fake.wait_for(lambda: len(answered(fake)) >= USERS, within=60)
            took = time.monotonic() - started
        output = read_log(tmp_path)
    replies = answered(fake)
    failed = {user: text for user, text in replies.items() if APOLOGY in text}
    assert not failed, f"{len(failed)} commands failed, e.g. {next(iter(failed.items()))}"
    # 10 s on a quiet 2-core machine; CI shares the machine with nothing, developers do
    assert took < 60, f"answering {USERS} commands took {took:.1f}s"
    stored = query(
        tmp_path / "cw.db",
        "SELECT count(DISTINCT c.chat_id) FROM subscriptions s JOIN chats c ON c.id = s.chat_id "
        "WHERE s.active = 1 AND c.platform = 'telegram'",
    )
    assert stored[0][0] == USERS
    for marker in LOCK_ERRORS:
        assert marker not in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
