"""The hand-labelled headline set (bench/data/sentiment_headlines.tsv) joined to its leads.

The labels file holds url, title key, title, label, clear flag and tune/holdout split
(README: bench/data/sentiment_headlines.md); the one-sentence lead each label was read
with comes from ``../shared/datasets/cryptonews.csv`` at run time (not copied here).
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADLINES = HERE / "data" / "sentiment_headlines.tsv"
# Train-only rows labelled by reading (bench/select_extra_sentiment.py); never in holdout.
EXTRA = HERE / "data" / "sentiment_extra.tsv"
# Train-only rows labelled by reading by a second labeller with the same rules
# (bench/data/sentiment_train.md); the rows of EXTRA removed; never in holdout.
TRAIN = HERE / "data" / "sentiment_train.tsv"
# 1,000 real 2025-26 headlines from public feed snapshots, labelled by reading with the same
# rules, their own tune / holdout split, the lead carried in the file
# (bench/data/sentiment_modern.md): the vocabulary of 2024-26 news.
MODERN = HERE / "data" / "sentiment_modern.tsv"
# 1,715 CryptoCompare news-API headlines (December 2025 = tune, February-April 2026 =
# holdout; January 2026 left out), the aggregator of issue 14's external check, labelled
# by reading with the same rules and columns as MODERN (bench/data/sentiment_cc.md).
# Not in the shipped model's training rows; `train_sentiment --cc` adds the tune half (050).
CC = HERE / "data" / "sentiment_cc.tsv"


@dataclass(frozen=True, slots=True)
class Headline:
    title: str
    lead: str
    label: str
    clear: bool
    split: str
    url: str = ""


def dataset_path() -> Path | None:
    """../shared/datasets/cryptonews.csv beside the clone (or a worktree's parent)."""
    named = os.environ.get("CRYPTOWIRE_SHARED") or os.environ.get("CRYPTOWIRE_SHARED_DIR")
    candidates = [Path(named)] if named else []
    candidates += [HERE.parents[1] / "shared", HERE.parents[2] / "shared"]
    for shared in candidates:
        path = shared / "datasets" / "cryptonews.csv"
        if path.is_file():
            return path
    return None


def title_key(title: str) -> str:
    return hashlib.sha1(" ".join(title.split()).encode("utf-8")).hexdigest()[:12]


def load_dataset(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def load_headlines(rows: list[dict[str, str]], path: Path = HEADLINES) -> list[Headline]:
    """Every labelled headline of ``path`` with its lead ('' when the dataset row is missing)."""
    leads = {(row["url"], title_key(row["title"])): row["text"] for row in rows}
    by_url = {row["url"]: row["text"] for row in rows}
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            lead = leads.get((row["url"], row["title_sha1"]), by_url.get(row["url"], ""))
            out.append(
                Headline(
                    row["title"], lead, row["label"], row["clear"] == "1", row["split"], row["url"]
                )
            )
    return out


def load_modern(path: Path = MODERN) -> list[Headline]:
    """The 2025-26 headlines of ``sentiment_modern.tsv`` (or of ``sentiment_cc.tsv``, which
    has the same columns); the lead is a column of the file."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Headline(
                row["title"],
                row["lead"],
                row["label"],
                row["clear"] == "1",
                row["split"],
                row["url"],
            )
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]
