"""`cryptowire poll --once` and `cryptowire sources` as a user runs them (subprocesses)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sources_support import FeedServer, article_md, rss_document, rss_item

from bot.config import Settings, StorageConfig
from storage.plugin import open_storage

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed_server = await FeedServer().start()
    yield feed_server
    await feed_server.close()


async def cryptowire(*args: str, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    env["COLUMNS"] = "200"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def write_config(tmp_path: Path, database_url: str, feed_url: str) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "one.md").write_text(article_md("Folder story about Bitcoin", "cli-1"), "utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[storage]
url = "{database_url}"

[[sources]]
name = "Inbox"
kind = "folder"
path = "{inbox}"
interval = "30s"

[[sources]]
name = "Wire"
kind = "rss"
url = "{feed_url}"

[[sources]]
name = "Parked"
kind = "rss"
url = "http://127.0.0.1:9/never.xml"
enabled = false

[http]
timeout_s = 2
""",
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
async def test_poll_once_exit_codes_and_sources_health(
    database_url: str, server: FeedServer, tmp_path: Path
) -> None:
    server.status("/wire.xml", 500)
    config = write_config(tmp_path, database_url, server.url("/wire.xml"))

    code, out, err = await cryptowire("--config", str(config), "poll", "--once", cwd=tmp_path)
    assert code == 2, err
    assert "Inbox: ok, 1 item(s): 1 new" in out
    assert "Wire: FAILED: HTTP 500 Internal Server Error" in out
    assert err.strip().splitlines()[-1] == (
        "error: 1 source(s) failed: Wire (HTTP 500 Internal Server Error)"
    )
    assert "Traceback" not in err

    code, out, err = await cryptowire("--config", str(config), "sources", "--json", cwd=tmp_path)
    assert code == 0, err
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert list(rows) == ["Inbox", "Wire", "Parked"]
    assert rows["Inbox"]["status"] == "ok" and rows["Inbox"]["items_seen"] == 1
    assert rows["Wire"]["status"] == "failing"
    assert rows["Wire"]["last_error"] == "HTTP 500 Internal Server Error"
    assert rows["Wire"]["consecutive_failures"] == 1 and rows["Wire"]["retry_at"]
    assert rows["Parked"]["status"] == "disabled" and rows["Parked"]["last_polled_at"] is None

    server.feed("/wire.xml", rss_document(rss_item("w-1", "Feed story about Ether")))
    code, out, err = await cryptowire(
        "--config", str(config), "poll", "--once", "--json", cwd=tmp_path
    )
    assert code == 0, err
    reports = {r["source"]: r for r in map(json.loads, out.splitlines())}
    assert reports["Wire"]["ok"] and reports["Wire"]["new"] == 1
    # A new process, and the file is not even read again: its version is remembered.
    assert reports["Inbox"]["ok"] and reports["Inbox"]["items_seen"] == 0

    code, out, err = await cryptowire("--config", str(config), "sources", cwd=tmp_path)
    assert code == 0, err
    table = out.splitlines()
    wire = next(line for line in table if "Wire" in line)
    assert "ok" in wire and server.url("/wire.xml") in wire
    assert any("Parked" in line and "disabled" in line for line in table)

    storage = open_storage(Settings(storage=StorageConfig(url=database_url)))
    try:
        await storage.sources.set_enabled("wire", False)  # as the web console does
    finally:
        await storage.close()
    code, out, err = await cryptowire("--config", str(config), "sources", "--json", cwd=tmp_path)
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert (rows["Wire"]["status"], rows["Wire"]["enabled"]) == ("disabled", False)
    assert rows["Inbox"]["enabled"] is True
    code, out, err = await cryptowire(
        "--config", str(config), "poll", "--once", "--json", cwd=tmp_path
    )
    assert code == 0, err
    assert [r["source"] for r in map(json.loads, out.splitlines())] == ["Inbox"]
    assert "Wire: disabled in the web console, not polled" in err


async def test_poll_needs_once(tmp_path: Path) -> None:
    code, _, err = await cryptowire("poll", cwd=tmp_path)
    assert code == 2
    assert err.strip() == "error: add --once (continuous polling runs inside `cryptowire run`)"
