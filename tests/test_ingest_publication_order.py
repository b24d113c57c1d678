"""`cryptowire ingest FOLDER` stores articles earliest-published first, whatever the file
names say, so a folder forms the same stories in whatever order its files are named (the
way a reader ingesting an export of last week's news would use it)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import yaml

LABELS = Path(__file__).resolve().parents[1] / "bench" / "data" / "stories_real" / "stories.csv"


def real_articles(limit: int) -> list[dict[str, str]]:
    """The first ``limit`` labelled real articles (two days of three outlets), by date."""
    with LABELS.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["split"] == "tune"]
    rows.sort(key=lambda r: r["date"])
    return rows[:limit]


def write_folder(folder: Path, rows: list[dict[str, str]], name_of) -> None:
    folder.mkdir()
    for i, row in enumerate(rows):
        meta = {
            "title": row["title"],
            "description": row["text"],
            "publishedAt": row["date"],
            "source": {"name": row["source"], "key": row["source"].lower()},
        }
        head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        body = f"---\n{head}---\n{row['text']}\n"
        (folder / f"{name_of(i)}-{row['title_sha1']}.md").write_text(body, encoding="utf-8")


def ingest(folder: Path, db: Path) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--database-url", f"sqlite:///{db}",
         "ingest", str(folder), "--json"],
        capture_output=True, text=True, timeout=300, env=env, cwd=folder.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def partition(lines: list[dict]) -> set[frozenset[str]]:
    """Stories as sets of articles (by title hash; the file names differ between runs)."""
    groups: dict[int, set[str]] = {}
    for line in lines:
        key = Path(line["path"]).stem.split("-", 1)[1]
        groups.setdefault(line["story_id"], set()).add(key)
    return {frozenset(g) for g in groups.values()}


def test_newest_first_file_names_form_the_same_stories_as_oldest_first(tmp_path):
    rows = real_articles(120)
    n = len(rows)
    write_folder(tmp_path / "oldest", rows, lambda i: f"{i:04d}")
    write_folder(tmp_path / "newest", rows, lambda i: f"{n - i:04d}")  # names sort backwards
    oldest = ingest(tmp_path / "oldest", tmp_path / "a.db")
    newest = ingest(tmp_path / "newest", tmp_path / "b.db")
    assert len(oldest) == len(newest) == n
    assert all(line["status"] == "new" for line in oldest + newest)
    together = partition(newest)
    assert together == partition(oldest)
    assert any(len(group) > 1 for group in together), "no story with two articles to compare"
    # stored earliest first: article ids follow the publication dates, not the file names
    by_key = {Path(x["path"]).stem.split("-", 1)[1]: x["article_id"] for x in newest}
    for earlier, later in pairwise(rows):
        if earlier["date"] < later["date"]:  # same minute: either may go first
            assert by_key[earlier["title_sha1"]] < by_key[later["title_sha1"]]
