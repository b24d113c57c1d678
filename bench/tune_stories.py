"""Fit the semantic story rule's pair model on the `tune` half of bench/data/stories_real.

    pip install scikit-learn   # a development tool only, never needed at run time
    python -m bench.tune_stories            # writes bot/data/story_idf.tsv + story_pair_model.json
    python -m bench.tune_stories --dry-run  # cross-validation figures only

Never reads the `holdout` labels, and keeps the holdout days out of the word statistics.
Steps (decision 022):
1. Word rarity: document frequencies of content words over the shared dataset
   (cryptonews.csv, 2021-22) without the holdout blocks' days -> ``story_idf.tsv``.
2. Every pair of tune articles within the story window gets ``pair_model.pair_features``
   (the code the bot runs); a class-weighted logistic regression is fitted on them.
3. Cross-validation by day block (A, C, E: fit on two, replay the third online in time
   order exactly as ``semantic.best_story`` joins) chooses the regularisation, the join
   threshold and the drift floor by pooled pair F1; the final fit uses all tune pairs.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from bench.bench_stories import DATASET, REAL, load_real, pair_scores, write_front_matter
from bot.ingest.parse import parse_document
from bot.models import Article
from bot.stories import grouping, pair_model, semantic
from storage.story_store import MAX_CANDIDATES

ROOT = Path(__file__).resolve().parents[1]
IDF = ROOT / "bot" / "data" / "story_idf.tsv"
MODEL = ROOT / "bot" / "data" / "story_pair_model.json"
WINDOW_H = 72.0
MIN_DF = 2
C_GRID = (0.1, 0.3)
POSITIVE_WEIGHT = (5.0,)
THRESHOLDS = (0.0, 0.5, 1.0, 1.5, 2.0)
FLOORS = (-1.0, 0.0, 1.0)
# Weights set by hand after the fit, where the tune pairs hold too little evidence for a rule
# of the labels: two different totals are two events (fit about -0.7; samples 000/002 and
# decision 018), and one price move is one story per UTC day (rule 5; fit about -0.1).
HELD = {"conflict_total": -2.5, "move_other_day": -1.0}
MIN_COSINE = 0.1  # below: never the same event (bounds the members scored per article)


def holdout_days() -> set[date]:
    with REAL.open(encoding="utf-8", newline="") as handle:
        return {
            date.fromisoformat(r["date"][:10])
            for r in csv.DictReader(handle)
            if r["split"] == "holdout"
        }


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


def parsed_tune() -> list[tuple[dict[str, str], Article]]:
    """The tune rows as ``cryptowire ingest`` sees them: front matter without tags or
    sentiment, through the real parser (so tags are inferred as in the archive)."""
    with tempfile.TemporaryDirectory(prefix="cw-tune-stories-") as tmp:
        rows = load_real("tune")
        files = write_front_matter(Path(tmp), rows)
        return [
            (row, parse_document(f.read_bytes(), origin=str(f)))
            for (row, _), f in zip(rows, files, strict=True)
        ]


def block_of(day: str) -> str:
    return {"02": "A", "03": "C", "05": "E"}[day[5:7]]


def pair_cube(items: list[tuple[dict[str, str], grouping.StoryFeatures]]):  # type: ignore[no-untyped-def]
    """Features of every pair within the window (n x n x features), and the labels."""
    n, k = len(items), len(pair_model.FEATURES)
    cube = np.zeros((n, n, k))
    near = np.zeros((n, n), dtype=bool)
    for i, j in itertools.combinations(range(n), 2):
        a, b = items[i][1], items[j][1]
        if abs(a.published_at - b.published_at) > timedelta(hours=WINDOW_H):
            continue
        lexical = grouping.score_pair(a, b)
        cos = float(np.dot(a.vector, b.vector))  # type: ignore[arg-type]
        tcos = float(np.dot(a.title_vector, b.title_vector))  # type: ignore[arg-type]
        shared = len(a.entities & b.entities)
        cube[i, j] = cube[j, i] = pair_model.pair_features(a, b, cos, tcos, lexical, shared)
        near[i, j] = near[j, i] = True
    return cube, near


def candidate_stories(i: int, times: np.ndarray, cos: np.ndarray, story_of: np.ndarray) -> set[int]:
    """The stories the archive's vector search proposes for article ``i``: those of the
    nearest earlier articles within the window, cosine >= CANDIDATE_COSINE, at most
    MAX_CANDIDATES (``storage/story_vectors.py``; the MinHash band candidates, which add a
    few lexically close stories, are not replayed)."""
    prev = np.nonzero((story_of >= 0) & (np.abs(times - times[i]) <= WINDOW_H))[0]
    prev = prev[np.argsort(-cos[i, prev], kind="stable")]
    found: list[int] = []
    for k in prev[cos[i, prev] >= semantic.CANDIDATE_COSINE].tolist():
        if story_of[k] not in found:
            found.append(int(story_of[k]))
            if len(found) >= MAX_CANDIDATES:
                break
    return set(found)


def replay(
    times: np.ndarray, scores: np.ndarray, cos: np.ndarray, threshold: float, floor: float
) -> list[int]:
    """Online grouping in time order, the rule of ``semantic.best_story`` over the
    candidates the archive proposes."""
    n = len(times)
    cap = threshold - 1.0
    scores = np.where(cos < MIN_COSINE, np.minimum(scores, cap), scores)
    story_of = np.full(n, -1)
    first: dict[int, int] = {}
    size: dict[int, int] = {}
    for i in np.argsort(times, kind="stable"):
        best, best_story = -np.inf, -1
        for sid in candidate_stories(i, times, cos, story_of):
            f = first[sid]
            if abs(times[i] - times[f]) > WINDOW_H or size[sid] >= semantic.MAX_STORY_SIZE:
                continue
            members = np.nonzero(story_of == sid)[0]
            top = scores[i, members].max()
            if top >= threshold and scores[i, f] >= floor and top > best:
                best, best_story = top, sid
        if best_story < 0:
            best_story = len(first) + 1
            first[best_story] = i
            size[best_story] = 0
        story_of[i] = best_story
        size[best_story] += 1
    return story_of.tolist()


def fit(x: np.ndarray, y: np.ndarray, c: float, positive: float):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=c, class_weight={0: 1.0, 1: positive}, max_iter=5000)
    lr.fit(scaler.transform(x), y)
    weights = lr.coef_[0] / scaler.scale_
    bias = float(lr.intercept_[0] - weights @ scaler.mean_)
    for name, value in HELD.items():
        weights[pair_model.FEATURES.index(name)] = value
    return weights, bias


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--dump", help="write the pair features to this .npz and stop")
    args = parser.parse_args()
    if not args.dry_run or not IDF.exists():
        build_idf()
    blocks: dict[str, dict] = {}  # type: ignore[type-arg]
    rows = parsed_tune()
    for name in "ACE":
        items = [(r, semantic.features(a)) for r, a in rows if block_of(r["date"]) == name]
        cube, near = pair_cube(items)
        labels = [r["story"] for r, _ in items]
        same = np.array([[x == y for y in labels] for x in labels])
        times = np.array([f.published_at.timestamp() / 3600.0 for _, f in items])
        digest = np.array([bool(f.profile.singleton) for _, f in items])  # type: ignore[attr-defined]
        never = np.logical_or.outer(digest, digest)  # a recurring digest joins nothing (rule 7)
        blocks[name] = {
            "cube": cube,
            "near": near,
            "same": same,
            "labels": labels,
            "times": times,
            "never": never,
        }
        print(
            f"   block {name}: {len(items)} articles, {int(same[near].sum()) // 2} same-event pairs"
        )

    def xy(names: str):  # type: ignore[no-untyped-def]
        xs, ys = [], []
        for name in names:
            b = blocks[name]
            upper = np.triu(b["near"], 1)
            xs.append(b["cube"][upper])
            ys.append(b["same"][upper].astype(int))
        return np.vstack(xs), np.concatenate(ys)

    def pooled(weights: np.ndarray, bias: float, name: str, threshold: float, floor: float):  # type: ignore[no-untyped-def]
        b = blocks[name]
        scores = np.where(b["near"], b["cube"] @ weights + bias, -np.inf)
        scores = np.where(b["never"], np.minimum(scores, threshold - 1.0), scores)
        cos = b["cube"][:, :, 0]
        predicted = replay(b["times"], scores, cos, threshold, floor)
        return pair_scores(b["labels"], predicted)

    if args.dump:
        np.savez(args.dump, **{f"{k}_{n}": v for n, b in blocks.items() for k, v in b.items()})
        return
    results = []
    for c, positive in itertools.product(C_GRID, POSITIVE_WEIGHT):
        fitted = {}
        for held in "ACE":
            x, y = xy("".join(n for n in "ACE" if n != held))
            fitted[held] = fit(x, y, c, positive)
        for threshold, floor in itertools.product(THRESHOLDS, FLOORS):
            tp = guess = truth = 0.0
            largest = 0
            for held in "ACE":
                s = pooled(*fitted[held], held, threshold, floor)
                tp += s["precision"] * s["predicted_pairs"]
                guess += s["predicted_pairs"]
                truth += s["true_pairs"]
                largest = max(largest, s["largest"])
            p, r = (tp / guess if guess else 1.0), tp / truth
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            results.append((f1, p, r, largest, c, positive, threshold, floor))
    # best pooled F1; within 0.001 of each other the stronger regularisation (smaller C)
    results.sort(key=lambda r: (round(r[0], 3), -r[4], r[0]), reverse=True)
    for f1, p, r, largest, c, positive, threshold, floor in results[:8]:
        print(
            f"   cv by block: F1 {f1:.3f} (precision {p:.3f} recall {r:.3f}, largest {largest}) "
            f"C {c} positives x{positive:g} threshold {threshold:+.1f} floor {floor:+.1f}"
        )
    f1, p, r, largest, c, positive, threshold, floor = results[0]
    x, y = xy("ACE")
    weights, bias = fit(x, y, c, positive)
    for name, w in zip(pair_model.FEATURES, weights, strict=True):
        print(f"   {name:<20} {w:+.3f}")
    print(f"   bias {bias:+.3f}")
    for name in "ACE":
        s = pooled(weights, bias, name, threshold, floor)
        print(f"   block {name} (in the fit): F1 {s['f1']:.3f} largest {s['largest']}")
    if args.dry_run:
        return
    MODEL.write_text(
        json.dumps(
            {
                "about": "semantic story pair model: logistic regression fitted on the tune half "
                "of bench/data/stories_real by bench/tune_stories.py (decision 022)",
                "features": list(pair_model.FEATURES),
                "weights": [round(float(w), 4) for w in weights],
                "bias": round(bias, 4),
                "threshold": threshold,
                "drift_floor": floor,
                "min_cosine": MIN_COSINE,
                "cv_by_block": {
                    "f1": round(f1, 4),
                    "precision": round(p, 4),
                    "recall": round(r, 4),
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
