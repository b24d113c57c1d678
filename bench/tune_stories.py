"""Fit the semantic story rule's pair model on the `tune` halves of the labelled sets.

    python -m bench.tune_stories            # writes bot/data/story_idf.tsv + story_pair_model.json
    python -m bench.tune_stories --dry-run  # cross-validation figures only

The sets: bench/data/stories_real (2021-22, three outlets; day blocks A, C, E) and, when
its file is there, bench/data/stories_modern/tune.csv (2026, many outlets; each day its
own block). Never reads a `holdout` label, and keeps the holdout days out of the word
statistics. Steps (decisions 022, 041):
1. Word rarity: document frequencies of content words over the shared dataset
   (cryptonews.csv, 2021-22) without the holdout blocks' days -> ``story_idf.tsv``.
2. Every pair of tune articles within the story window gets ``pair_scorer.ArticleSide.row``
   (the code the bot runs); a class-weighted logistic regression is fitted on them.
3. Cross-validation by day block (fit on the other blocks, replay the held one online in
   time order exactly as ``semantic.best_story`` joins) chooses the regularisation, the
   join threshold and the drift floor by pooled pair F1 over every block; the final fit
   uses all tune pairs. The fit is ``bench.logistic`` (numpy; no scikit-learn).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from bench.bench_stories import (
    DATASET,
    FAMILY,
    REAL,
    load_set,
    set_file,
    write_front_matter,
)
from bench.story_cv import (
    HELD,
    MIN_COSINE,
    WINDOW_H,
    Block,
    _columns,
    _pooled,
    block_scores,
    cross_validate,
    describe,
    fit,
    strict_scores,
    xy,
)
from bot.ingest.parse import parse_document
from bot.models import Article
from bot.stories import grouping, pair_model, semantic
from bot.stories.pair_scorer import ArticleSide

ROOT = Path(__file__).resolve().parents[1]
IDF = ROOT / "bot" / "data" / "story_idf.tsv"
MODEL = ROOT / "bot" / "data" / "story_pair_model.json"
MIN_DF = 2
# The fit of decision 041. stories_modern/cnth.csv's tune half (2026-02-05) landed after it
# was frozen and measured: add "cnth" here at the next refit.
SETS = ("real", "realmore", "modern", "cnth")
# Scored by --dry-run with the final fit, not fitted: stories_cc (CryptoCompare-fed front
# matter). Decision 049: every weighting that put it in the fit lowered 2021-22's CV F1.
SCORED = ("cc",)


def holdout_days() -> set[date]:
    """The 2021-22 holdout days (stories.csv blocks B/D/F, more.csv blocks H/J): kept out of
    the word statistics too."""
    days = set()
    for path in (REAL, set_file("realmore", "holdout")):
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                days |= {
                    date.fromisoformat(r["date"][:10])
                    for r in csv.DictReader(handle)
                    if r["split"] == "holdout"
                }
    return days


def build_idf() -> None:
    skip = holdout_days()
    df: Counter[str] = Counter()
    documents = 0
    with DATASET.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            day = datetime.strptime(row["date"], "%d-%m-%Y %H:%M").replace(tzinfo=UTC).date()
            if day in skip:
                continue
            documents += 1
            df.update(
                t
                for t in grouping.tokenize(f"{row['title']}\n{row['text']}")
                if t[0] != "$" and t[-1] != "%"
            )
    rows = sorted((w, n) for w, n in df.items() if n >= MIN_DF)
    lines = [
        "# word<TAB>documents containing it, over cryptonews.csv without the holdout days",
        "# (bench/tune_stories.py, decision 022); first row: the number of documents",
        f"__documents__\t{documents}",
        *(f"{w}\t{n}" for w, n in rows),
    ]
    IDF.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pair_model._idf_table.cache_clear()
    print(f"   {IDF.name}: {len(rows)} words from {documents} documents")


def parsed_tune(sets: tuple[str, ...] | None = None) -> list[tuple[dict[str, str], Article]]:
    """The tune rows of every set there is, as ``cryptowire ingest`` sees them: front
    matter without tags or sentiment, through the real parser (tags inferred as in the
    archive)."""
    rows = []
    for name in sets or SETS:
        try:
            rows += load_set(name, "tune")
        except FileNotFoundError:
            print(f"   {set_file(name, 'tune').name} of stories_{name} not found: not in the fit")
    with tempfile.TemporaryDirectory(prefix="cw-tune-stories-") as tmp:
        files = write_front_matter(Path(tmp), rows)
        return [
            (row, parse_document(f.read_bytes(), origin=str(f)))
            for (row, _), f in zip(rows, files, strict=True)
        ]


def block_of(row: dict[str, str]) -> str:
    """The cross-validation block of a tune row: A/C/E for the 2021-22 set's five-day
    blocks, the day itself for the 2026 set (each labelled day is a block)."""
    if row.get("set", "real") == "real":
        return {"02": "A", "03": "C", "05": "E"}[row["date"][5:7]]
    if row["set"] == "realmore":
        return {"01": "G", "05": "I"}[row["date"][5:7]]
    return row["date"][:10]


def tune_blocks(sets: tuple[str, ...] | None = None) -> dict[str, Block]:
    """Every tune block's pair features (the shipped ``pair_model.FEATURES``), labels,
    times and digest flags, plus the articles' features for extra columns."""
    rows = parsed_tune(sets)
    blocks: dict[str, Block] = {}
    for name in dict.fromkeys(block_of(r) for r, _ in rows):
        chosen = [(r, a) for r, a in rows if block_of(r) == name]
        feats = [semantic.features(a) for _, a in chosen]
        cube, near = pair_cube([(r, f) for (r, _), f in zip(chosen, feats, strict=True)])
        labels = [r["story"] for r, _ in chosen]
        same = np.array([[x == y for y in labels] for x in labels])
        digest = np.array([bool(f.profile.singleton) for f in feats])  # type: ignore[attr-defined]
        blocks[name] = {
            "set": FAMILY[chosen[0][0]["set"]],  # 2021-22 or 2026: one say each in the fit
            "rows_set": chosen[0][0]["set"],
            "cube": cube,
            "near": near,
            "same": same,
            "labels": labels,
            "notes": [r["note"] for r, _ in chosen],
            "times": np.array([f.published_at.timestamp() / 3600.0 for f in feats]),
            "never": np.logical_or.outer(digest, digest),  # a digest joins nothing (rule 7)
            "feats": feats,
            "moves": [f.move for f in feats],
            "titles": [a.title for _, a in chosen],
            "leads": [grouping.lead_of(a) for _, a in chosen],
        }
        print(
            f"   block {name}: {len(chosen)} articles, "
            f"{int(same[near].sum()) // 2} same-event pairs within the window"
        )
    return blocks


def pair_cube(items: list[tuple[dict[str, str], grouping.StoryFeatures]]):  # type: ignore[no-untyped-def]
    """Features of every pair within the window (n x n x features), and the labels."""
    n, k = len(items), len(pair_model.FEATURES)
    cube = np.zeros((n, n, k))
    near = np.zeros((n, n), dtype=bool)
    for i in range(n):
        a = items[i][1]
        side = ArticleSide(a)  # the writer's article side: the rows it scores
        for j in range(i + 1, n):
            b = items[j][1]
            if abs(a.published_at - b.published_at) > timedelta(hours=WINDOW_H):
                continue
            cos = float(np.dot(a.vector, b.vector))  # type: ignore[arg-type]
            tcos = float(np.dot(a.title_vector, b.title_vector))  # type: ignore[arg-type]
            cube[i, j] = cube[j, i] = side.row(b, cos, tcos)
            near[i, j] = near[j, i] = True
    return cube, near


def score_outside(weights: np.ndarray, bias: float, threshold: float, floor: float) -> None:
    """The ``SCORED`` sets' tune blocks replayed with the final fit (none of their rows in
    it): pooled pair F1 / precision / recall, strict F1 and largest story per set."""
    outside = tune_blocks(SCORED)
    for name in SCORED:
        per, strict, largest = [], [], 0
        for b in outside.values():
            if b["rows_set"] != name:
                continue
            s, predicted = block_scores(b, b["cube"], weights, bias, threshold, floor)  # type: ignore[arg-type]
            per.append(s)
            strict.append(strict_scores(b, predicted))
            largest = max(largest, int(s["largest"]))
        if per:
            f1, p, r = _pooled(per)
            print(
                f"   {name} tune (not in the fit, each day a block): F1 {f1:.3f} "
                f"(P {p:.3f} R {r:.3f}, strict {_pooled(strict)[0]:.3f}) largest {largest}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    if not args.dry_run or not IDF.exists():
        build_idf()
    blocks = tune_blocks()
    results = cross_validate(blocks)
    for result in results[:8]:
        print(f"   cv by block: {describe(result)}")
    best = results[0]
    c, positive = float(best["c"]), float(best["positive"])  # type: ignore[arg-type]
    threshold, floor = float(best["threshold"]), float(best["floor"])  # type: ignore[arg-type]
    cubes = _columns(blocks, None)
    weights, bias = fit(*xy(blocks, cubes, list(blocks)), c, positive)
    for name, w in zip(pair_model.FEATURES, weights, strict=True):
        print(f"   {name:<20} {w:+.3f}")
    print(f"   bias {bias:+.3f}")
    for name, b in blocks.items():
        s = block_scores(b, cubes[name], weights, bias, threshold, floor)[0]
        print(f"   block {name} (in the fit): F1 {s['f1']:.3f} largest {s['largest']}")
    if args.dry_run:
        score_outside(weights, bias, threshold, floor)
        return
    MODEL.write_text(
        json.dumps(
            {
                "about": "semantic story pair model: logistic regression fitted on the tune "
                "halves of bench/data/stories_real and stories_modern by "
                "bench/tune_stories.py (decisions 022, 041)",
                "features": list(pair_model.FEATURES),
                "weights": [round(float(w), 4) for w in weights],
                "bias": round(bias, 4),
                "threshold": threshold,
                "drift_floor": floor,
                "min_cosine": MIN_COSINE,
                "cv_by_block": {
                    "f1": round(float(best["f1"]), 4),  # type: ignore[arg-type]
                    "precision": round(float(best["precision"]), 4),  # type: ignore[arg-type]
                    "recall": round(float(best["recall"]), 4),  # type: ignore[arg-type]
                    "blocks": best["blocks"],
                },
                "regularisation_c": c,
                "positive_weight": positive,
                "held_by_hand": HELD,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    pair_model.model.cache_clear()
    print(f"   wrote {MODEL.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
