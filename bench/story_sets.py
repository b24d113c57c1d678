"""The labelled story sets, one split at a time (decisions 018, 041).

Each is a CSV with the columns of bench/data/stories_real/stories.csv
(``url,title_sha1,date,source,title,text,story,split,note``; stories_cc adds ``body``, the
article's first ~1,500 characters, which then becomes the article body instead of ``text``);
rows come back as (row, Article) with the row's set name under ``set``.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from bot.models import Article

DATA = Path(__file__).resolve().parent / "data"
REAL = DATA / "stories_real" / "stories.csv"
MODERN = DATA / "stories_modern"  # 2026 multi-outlet news: tune.csv and holdout.csv
CC = DATA / "stories_cc"  # CryptoCompare-fed front matter with bodies: tune.csv and holdout.csv
# real: stories_real/stories.csv (blocks A-F); realmore: its blocks G-J (more.csv); modern:
# 2026-08-19..22 (tune.csv, holdout.csv); cnth: 2026-02-05 tune / 02-06 holdout, another aggregator;
# cc: 2025-12 tune / 2026-02 holdout from savvoff/pumpushka.trade (not in tune_stories' fit)
SETS = ("real", "realmore", "modern", "cnth", "cc")
FAMILY = {"real": "real", "realmore": "real", "modern": "modern", "cnth": "modern", "cc": "modern"}


def set_file(name: str, split: str) -> Path:
    """The CSV holding one split of a labelled set (the same columns in every set)."""
    files = {
        "real": REAL,
        "realmore": REAL.with_name("more.csv"),
        "modern": MODERN / f"{split}.csv",
        "cnth": MODERN / "cnth.csv",  # both halves in one file, told apart by `split`
        "cc": CC / f"{split}.csv",
    }
    if name not in files:
        raise ValueError(f"unknown story set {name!r}")
    return files[name]


def _row_article(row: dict[str, str]) -> Article:
    return Article(
        title=row["title"],
        summary=row["text"],
        body=row.get("body") or row["text"],
        source_key=row["source"].lower(),
        source_name=row["source"],
        published_at=datetime.fromisoformat(row["date"].replace("Z", "+00:00")),
        url=row["url"] or None,
    )


def load_set(name: str, split: str) -> list[tuple[dict[str, str], Article]]:
    """The labelled rows of one split of a set, as (row, article) in file order; each row
    also carries ``set`` (its set's name). Raises FileNotFoundError when not there yet."""
    with set_file(name, split).open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("split", split) in (split, "")]
    return [({**r, "set": name}, _row_article(r)) for r in rows]


def load_real(split: str) -> list[tuple[dict[str, str], Article]]:
    """The labelled rows of one split of bench/data/stories_real."""
    return load_set("real", split)
