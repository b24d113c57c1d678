"""Cross-validation of the story pair model by day block (decisions 022, 031, 041).

The pieces ``bench/tune_stories.py`` and ``bench/story_features_cv.py`` share: the online
replay of ``semantic.best_story`` over the candidates the archive proposes, the fit, and
pooled pair scores per block, per labelled set and without market moves ("strict"). Never
reads a `holdout` label: blocks are built from tune rows only.
"""

from __future__ import annotations

import itertools

import numpy as np

from bench.bench_stories import STRICT_OUT, pair_scores
from bench.logistic import fit_logistic
from bot.stories import pair_model, semantic
from storage.story_store import MAX_CANDIDATES

Block = dict[str, object]
WINDOW_H = 72.0
C_GRID = (0.1, 0.3)
POSITIVE_WEIGHT = (5.0,)
THRESHOLDS = (0.0, 0.5, 1.0, 1.5, 2.0)
FLOORS = (-2.0, -1.0, 0.0, 1.0)
# Weights set by hand after the fit, where the tune pairs cannot say what a rule of the labels
# says: one price move is one story per UTC day (rule 5; fit about -0.1); two different totals
# are two events (rule 12; decision 018's -1.5): the 2026 set's two big market moves quote
# many liquidation totals ($1.14B, $1.23B, $1.93B), so the fit gives a conflict +0.7 there,
# which merges one outlet's two reports of different totals (tests/test_stories_archive.py).
# Two opposite moves are never evidence *for* one event, but "shorts liquidated" reads as a
# move down in a rally headline and the fit gives +0.9: held at 0. (Decision 041; decisions
# 018/022 held two totals at -2.5, which on the 2026 set splits every market move.)
HELD = {"move_other_day": -1.0, "conflict_total": -1.5, "opposite_move": 0.0}

MIN_COSINE = 0.1  # below: never the same event (bounds the members scored per article)


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
    times: np.ndarray,
    scores: np.ndarray,
    cos: np.ndarray,
    threshold: float,
    floor: float,
    moves: list[str] | None = None,
) -> list[int]:
    """Online grouping in time order, the rule of ``semantic.best_story`` over the
    candidates the archive proposes: a market move joins the open story of the same move
    (found through its move bands), else another story only ``semantic.MOVE_SURE`` above
    the threshold (decision 045)."""
    moves = moves or [""] * len(times)
    n = len(times)
    cap = threshold - 1.0
    scores = np.where(cos < MIN_COSINE, np.minimum(scores, cap), scores)
    story_of = np.full(n, -1)
    first: dict[int, int] = {}
    size: dict[int, int] = {}
    for i in np.argsort(times, kind="stable"):
        best, best_story = -np.inf, -1
        found = set(candidate_stories(i, times, cos, story_of))
        if moves[i]:
            found |= {
                int(story_of[k]) for k in range(n) if story_of[k] >= 0 and moves[k] == moves[i]
            }
        same_move = sorted(
            (-sum(moves[k] == moves[i] for k in np.nonzero(story_of == sid)[0]), sid)
            for sid in found
            if moves[i]
            and abs(times[i] - times[first[sid]]) <= WINDOW_H
            and size[sid] < semantic.MAX_STORY_SIZE
        )
        if same_move and same_move[0][0] < 0:
            best_story = same_move[0][1]
        for sid in [] if best_story >= 0 else found:
            f = first[sid]
            if abs(times[i] - times[f]) > WINDOW_H or size[sid] >= semantic.MAX_STORY_SIZE:
                continue
            members = np.nonzero(story_of == sid)[0]
            top = scores[i, members].max()
            sure = threshold + (semantic.MOVE_SURE if moves[i] else 0.0)
            if top >= sure and scores[i, f] >= floor and top > best:
                best, best_story = top, sid
        if best_story < 0:
            best_story = len(first) + 1
            first[best_story] = i
            size[best_story] = 0
        story_of[i] = best_story
        size[best_story] += 1
    return story_of.tolist()


def fit(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None, c: float, positive: float
) -> tuple[np.ndarray, float]:
    weights, bias = fit_logistic(x, y, c, positive, weight)
    for name, value in HELD.items():
        weights[pair_model.FEATURES.index(name)] = value
    return weights, bias


def _columns(
    blocks: dict[str, Block], extra: dict[str, np.ndarray] | None
) -> dict[str, np.ndarray]:
    return {
        n: b["cube"] if extra is None else np.concatenate([b["cube"], extra[n]], axis=2)  # type: ignore[list-item]
        for n, b in blocks.items()
    }


def xy(blocks: dict[str, Block], cubes: dict[str, np.ndarray], names: list[str]):  # type: ignore[no-untyped-def]
    """The window's pairs of the named blocks: features, labels, and a weight per pair
    that gives each labelled set the same total weight of same-event pairs (the 2026
    set's pairs are 3x as many, three quarters of them in two market moves)."""
    upper = {n: np.triu(blocks[n]["near"], 1) for n in names}  # type: ignore[call-overload]
    x = np.vstack([cubes[n][upper[n]] for n in names])
    y = np.concatenate([blocks[n]["same"][upper[n]].astype(int) for n in names])  # type: ignore[index]
    sets = np.concatenate([np.full(int(upper[n].sum()), str(blocks[n]["set"])) for n in names])
    weight = np.ones(len(y))
    found = {s: int(y[sets == s].sum()) for s in np.unique(sets)}
    for s, positives in found.items():
        weight[sets == s] = sum(found.values()) / len(found) / max(positives, 1)
    return x, y, weight


def block_scores(  # type: ignore[no-untyped-def]
    b: Block, cube: np.ndarray, weights: np.ndarray, bias: float, threshold: float, floor: float
):
    """One block replayed online with a fitted model: pair scores and the predicted ids."""
    scores = np.where(b["near"], cube @ weights + bias, -np.inf)  # type: ignore[arg-type]
    scores = np.where(b["never"], np.minimum(scores, threshold - 1.0), scores)  # type: ignore[arg-type]
    cos = b["cube"][:, :, 0]  # type: ignore[index]
    predicted = replay(b["times"], scores, cos, threshold, floor, b.get("moves"))  # type: ignore[arg-type]
    return pair_scores(b["labels"], predicted), predicted  # type: ignore[arg-type]


def strict_scores(b: Block, predicted: list[int]) -> dict[str, float]:
    """Pair scores over the rows whose note flags neither a market move nor a doubt: the
    least arguable events (stories_real README; the 2026 set's two market moves hold three
    quarters of its pairs)."""
    keep = [i for i, note in enumerate(b["notes"]) if not any(k in note for k in STRICT_OUT)]  # type: ignore[attr-defined]
    return pair_scores([b["labels"][i] for i in keep], [predicted[i] for i in keep])  # type: ignore[index]


def _pooled(parts: list[dict[str, float]]) -> tuple[float, float, float]:
    tp = sum(s["precision"] * s["predicted_pairs"] for s in parts)
    guess = sum(s["predicted_pairs"] for s in parts)
    truth = sum(s["true_pairs"] for s in parts)
    p, r = (tp / guess if guess else 1.0), (tp / truth if truth else 1.0)
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def cross_validate(
    blocks: dict[str, Block], extra: dict[str, np.ndarray] | None = None
) -> list[dict[str, object]]:
    """Every grid point (C, threshold, floor), best first by the mean of the sets' pooled
    pair F1 (each set has the same say): every block replayed with a model fitted on the
    other blocks; pooled F1 / precision / recall over all blocks, per set, per block, and
    per set without market-move and doubtful rows ("strict"). Ties within 0.001 go to the
    stronger regularisation."""
    cubes = _columns(blocks, extra)
    names = list(blocks)
    results = []
    for c, positive in itertools.product(C_GRID, POSITIVE_WEIGHT):
        fitted = {
            h: fit(*xy(blocks, cubes, [n for n in names if n != h]), c, positive) for h in names
        }
        for threshold, floor in itertools.product(THRESHOLDS, FLOORS):
            per, strict = {}, {}
            for h in names:
                per[h], predicted = block_scores(blocks[h], cubes[h], *fitted[h], threshold, floor)
                strict[h] = strict_scores(blocks[h], predicted)
            f1, p, r = _pooled(list(per.values()))
            by_set = {
                s: _pooled([v for h, v in per.items() if blocks[h]["set"] == s])
                for s in dict.fromkeys(str(b["set"]) for b in blocks.values())
            }
            strict_by_set = {
                s: _pooled([v for h, v in strict.items() if blocks[h]["set"] == s])[0]
                for s in by_set
            }
            results.append(
                {
                    "score": sum(v[0] for v in by_set.values()) / len(by_set),
                    "f1": f1,
                    "precision": p,
                    "recall": r,
                    "largest": max(v["largest"] for v in per.values()),
                    "c": c,
                    "positive": positive,
                    "threshold": threshold,
                    "floor": floor,
                    "sets": by_set,
                    "strict": strict_by_set,
                    "blocks": {h: round(v["f1"], 3) for h, v in per.items()},
                }
            )
    results.sort(key=lambda r: (round(r["score"], 3), -r["c"], r["score"]), reverse=True)  # type: ignore[operator]
    return results


def describe(result: dict[str, object]) -> str:
    sets = " ".join(
        f"{k} {v[0]:.3f} (strict {result['strict'][k]:.3f})"  # type: ignore[index]
        for k, v in result["sets"].items()  # type: ignore[attr-defined]
    )
    blocks = " ".join(f"{k} {v:.3f}" for k, v in result["blocks"].items())  # type: ignore[attr-defined]
    return (
        f"mean of sets {result['score']:.3f}; F1 {result['f1']:.3f} "
        f"(P {result['precision']:.3f} R {result['recall']:.3f}, "
        f"largest {result['largest']}; sets: {sets}; blocks: {blocks}) C {result['c']} "
        f"threshold {result['threshold']:+.1f} floor {result['floor']:+.1f}"
    )
