"""The CryptoCompare headline set (bench/data/sentiment_cc.tsv): the aggregator of issue
14's external check, labelled by reading. The file keeps its promises (months per split,
January 2026 left out, labels and clear flags as the rules allow, disjoint from every set
the trainer reads), and ``python -m bench enrichment`` scores it per split under its own
keys, skipping a split without rows."""

from __future__ import annotations

import csv
import re

from bench import bench_enrichment
from bench.sentiment_data import CC, EXTRA, HEADLINES, MODERN, TRAIN, load_modern

CLASSES = ("positive", "neutral", "negative")


def _rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _norm(title: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", title.lower()).strip()


def test_the_file_holds_december_tune_and_february_to_april_holdout() -> None:
    rows = _rows(CC)
    assert list(rows[0]) == list(_rows(MODERN)[0])  # the columns of sentiment_modern.tsv
    months = {"tune": {"2025-12"}, "holdout": {"2026-02", "2026-03", "2026-04"}}
    for row in rows:
        assert row["date"][:7] in months[row["split"]], row["url"]
        assert row["label"] in CLASSES and row["clear"] in "01"
        assert row["clear"] == "0" or row["label"] != "neutral"
        assert row["lead"] and row["origin"].startswith("savvoff/pumpushka.trade@")
    assert len({_norm(r["title"]) for r in rows}) == len(rows)
    assert sum(r["split"] == "tune" for r in rows) >= 900
    assert sum(r["split"] == "holdout" for r in rows) >= 750


def test_no_title_is_in_a_set_the_trainer_reads() -> None:
    cc = {_norm(r["title"]) for r in _rows(CC)}
    for path in (HEADLINES, EXTRA, TRAIN, MODERN):
        assert not cc & {_norm(r["title"]) for r in _rows(path)}, path.name


def test_the_bench_scores_each_split_it_has_under_the_cc_keys(tmp_path, capsys) -> None:
    assert ("cc", CC) in [(name, path) for name, path, _ in bench_enrichment.LABELLED_SETS]
    rows = [r for r in _rows(CC) if r["split"] == "tune"][:12]
    part = tmp_path / "cc_tune_only.tsv"
    with part.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t",
                                quoting=csv.QUOTE_NONE)  # fmt: skip
        writer.writeheader()
        writer.writerows(rows)
    results: dict = {}
    methods = bench_enrichment.sentiment_methods()
    bench_enrichment.score_set("cc", "CryptoCompare", load_modern(part), methods, results)
    out = capsys.readouterr().out
    assert "holdout half CryptoCompare: no rows, skipped" in out
    assert "tune half CryptoCompare (tuned on), 12 headlines" in out
    keys = ["accuracy", "reversal_rate"] + [
        f"{kind}_{cls}" for kind in ("precision", "recall") for cls in CLASSES
    ]
    assert sorted(results) == sorted(f"enrich_sentiment_cc_tune_{k}" for k in keys)
    assert 0 <= results["enrich_sentiment_cc_tune_accuracy"]["value"] <= 100
