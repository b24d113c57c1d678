"""`cryptowire ingest/latest/search/show/story` as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli.archive  # noqa: F401 - registers the archive commands on the app
from bot.cli.main import app
from tests.test_cli_foundation import cryptowire

GOOD_A = """---
title: 'Bridge exploit drains $95 million in wrapped bitcoin'
description: 'Attackers forged withdrawal proofs on the bridge and took $95M in wrapped BTC.'
publishedAt: '2026-12-01T22:00:00Z'
externalId: 'cli-1'
source:
  name: The Block
  key: theblock
tags: [HACK, BTC]
sentiment: negative
---
Attackers forged withdrawal proofs on the cross-chain bridge and took $95M in wrapped BTC.
"""
GOOD_B = """---
title: Cross-chain bridge hacked for $95M, team pauses contracts
publishedAt: 2026-12-02T08:00:00Z
source: {name: Decrypt, key: decrypt}
---
The bridge team paused its contracts after the $95 million exploit involving forged proofs.
Wrapped bitcoin worth $95 million left the bridge before the pause.
"""


def _lines(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.md").write_text(GOOD_A, encoding="utf-8")
    (folder / "nested" / "b.txt").write_text(GOOD_B, encoding="utf-8")
    (folder / "broken.bin").write_bytes(b"\x00\x01\x02\x03" * 50)
    (folder / ".hidden").write_text("ignored", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_ingest_subprocess_json_lines_bad_file_and_exit_code(
    database_url: str, inbox: Path, tmp_path: Path
):
    db = ("--database-url", database_url)
    result = cryptowire(*db, "ingest", str(inbox), "--json", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    rows = {Path(r["path"]).name: r for r in _lines(result.stdout)}
    assert set(rows) == {"a.md", "b.txt", "broken.bin"}
    assert set(rows["a.md"]) == {"path", "status", "article_id", "story_id", "error"}
    assert rows["a.md"]["status"] == "new" and rows["b.txt"]["status"] == "new"
    assert rows["a.md"]["story_id"] == rows["b.txt"]["story_id"] is not None
    assert rows["broken.bin"]["status"] == "rejected"
    assert rows["broken.bin"]["article_id"] is None and rows["broken.bin"]["error"]
    errors = [line for line in result.stderr.splitlines() if "broken.bin" in line]
    assert len(errors) == 1 and "binary" in errors[0]
    assert "Traceback" not in result.stderr
    missing = cryptowire(*db, "show", "99999", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: article 99999 not found"


@pytest.mark.slow
def test_ingest_summary_and_size_limit(tmp_path: Path):
    (tmp_path / "ok.md").write_text(GOOD_A, encoding="utf-8")
    (tmp_path / "big.txt").write_text("Big headline\n" + "x" * 5000, encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "cw.db"}"\n[ingest]\nmax_file_bytes = 4096\n'
    )
    result = cryptowire(
        "--config",
        str(config),
        "ingest",
        str(tmp_path / "ok.md"),
        str(tmp_path / "big.txt"),
        str(tmp_path / "missing.md"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "1 new, 0 updated, 0 duplicate, 0 draft, 2 rejected" in result.stdout
    assert "big.txt: file is 5013 bytes, over the 4096-byte limit" in result.stderr
    assert "missing.md: no such file or folder" in result.stderr


def test_query_commands_in_process(database_url: str, inbox: Path):
    """latest/search/show/story through the same typer app (no process start-up cost)."""
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--database-url", database_url, *args])

    ingested = run("ingest", str(inbox), "--json")
    assert ingested.exit_code == 2
    rows = {Path(r["path"]).name: r for r in _lines(ingested.stdout)}
    a_id, b_id = rows["a.md"]["article_id"], rows["b.txt"]["article_id"]
    story_id = rows["a.md"]["story_id"]

    again = run("ingest", str(inbox / "a.md"))
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 1 duplicate, 0 draft, 0 rejected" in again.stdout

    latest = run("latest", "hack", "--json")
    assert latest.exit_code == 0, latest.output
    articles = _lines(latest.stdout)
    assert [a["id"] for a in articles] == [b_id, a_id]
    first = articles[1]
    assert set(first) >= {
        "id", "title", "summary", "body", "url", "source", "published_at", "updated_at",
        "tags", "sentiment", "story_id", "image", "inferred",
    }  # fmt: skip
    assert first["published_at"] == "2026-12-01T22:00:00Z"
    assert first["sentiment"] == "NEGATIVE" and "HACK" in first["tags"]
    assert first["source"] == {"key": "theblock", "name": "The Block"}
    assert "Bridge exploit" in run("latest").stdout
    assert run("latest", "NOPE").stdout.strip() == "no articles tagged NOPE"

    found = run("search", '"forged withdrawal" tag:HACK')
    assert found.exit_code == 0 and "Bridge exploit" in found.stdout
    hostile = run("search", '" OR ) NEAR(', "--json")
    assert hostile.exit_code == 0 and hostile.stdout == ""

    story = run("story", str(story_id))
    assert story.exit_code == 0 and "2 article(s)" in story.stdout
    story_json = _lines(run("story", str(story_id), "--json").stdout)
    assert [a["id"] for a in story_json] == [a_id, b_id]

    show = run("show", str(a_id), "--json")
    assert _lines(show.stdout)[0]["title"].startswith("Bridge exploit")
    assert "forged withdrawal proofs" in run("show", str(a_id)).stdout
    no_story = run("story", "99999", "--json")
    assert no_story.exit_code == 2 and "story 99999 not found" in no_story.stderr
