"""Fit the semantic story rule's weights on the `tune` half of bench/data/stories_real.

Reproduces the constants of bot/stories/semantic.py (decision 018); never reads the
`holdout` rows. Steps: every pair of tune articles within the story window gets the
rule's terms (cosines, word overlap, shared names, figures, days apart, same outlet); a
class-weighted logistic regression (numpy, L2) fits their weights; then the join
threshold and the drift floor are chosen by replaying the tune articles in time order
through ``semantic.best_story`` (online, as the archive does) and keeping the pair F1
best. Run: ``.venv/bin/python -m bench.tune_stories``.
"""

from __future__ import annotations

import itertools
import sys
from datetime import timedelta

import numpy as np

from bench.bench_stories import load_real, pair_scores
from bot.stories import grouping, semantic

WINDOW_H = 72.0
TERMS = (
    "W_COSINE",
    "W_TITLE_COSINE",
    "W_WORDS",
    "W_NAME",
    "W_SHARED_TOTAL",
    "W_CONFLICT_TOTAL",
    "W_SHARED_PRICE",
    "W_CONFLICT_PRICE",
    "W_DAYS",
    "W_SAME_SOURCE",
)


def terms(a: grouping.StoryFeatures, b: grouping.StoryFeatures) -> list[float]:
    lex = grouping.score_pair(a, b)
    return [
        float(np.dot(a.vector, b.vector)),  # type: ignore[arg-type]
        float(np.dot(a.title_vector, b.title_vector)),  # type: ignore[arg-type]
        grouping.jaccard(a.title_tokens, b.title_tokens),
        min(len(a.entities & b.entities), semantic.MAX_NAMES),
        float(lex.shared_large),
        float(lex.conflict_large),
        float(lex.shared_price),
        float(lex.conflict_price),
        lex.hours_apart / 24.0,
        float(lex.same_source),
    ]


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, positive_weight: float = 10.0):  # type: ignore[no-untyped-def]
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    sample = np.where(y > 0, positive_weight, 1.0)
    for _ in range(4000):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ ((p - y) * sample) / len(y) + l2 * np.r_[w[:-1], 0.0]
        w -= 0.5 * grad
    weights = w[:-1] / sd
    bias = w[-1] - float(weights @ mu)
    return weights, bias


def replay(
    times: np.ndarray, terms_matrix: np.ndarray, weights: np.ndarray, bias: float
) -> list[int]:
    """Online grouping in time order, the rule of ``semantic.best_story`` on precomputed
    pair terms (n x n x terms): best member score >= JOIN_THRESHOLD, first article score
    >= DRIFT_FLOOR, first article within the window, story below MAX_STORY_SIZE."""
    n = len(times)
    scores = terms_matrix @ weights + bias
    cap = semantic.JOIN_THRESHOLD - 1.0
    scores = np.where(terms_matrix[:, :, 0] < semantic.MIN_COSINE, np.minimum(scores, cap), scores)
    story_of = np.full(n, -1)
    first: dict[int, int] = {}
    size: dict[int, int] = {}
    for i in np.argsort(times, kind="stable"):
        best, best_story = -np.inf, -1
        for sid, f in first.items():
            if abs(times[i] - times[f]) > WINDOW_H or size[sid] >= semantic.MAX_STORY_SIZE:
                continue
            members = np.nonzero(story_of == sid)[0]
            near = members[np.abs(times[members] - times[i]) <= WINDOW_H]
            if near.size == 0:
                continue
            top = scores[i, near].max()
            if top >= semantic.JOIN_THRESHOLD and scores[i, f] >= semantic.DRIFT_FLOOR:
                if top > best:
                    best, best_story = top, sid
        if best_story < 0:
            best_story = len(first) + 1
            first[best_story] = i
            size[best_story] = 0
        story_of[i] = best_story
        size[best_story] += 1
    return story_of.tolist()


def main() -> None:
    items = [(row, semantic.features(article)) for row, article in load_real("tune")]
    labels = [row["story"] for row, _ in items]
    n = len(items)
    times = np.array([f.published_at.timestamp() / 3600.0 for _, f in items])
    cube = np.zeros((n, n, len(TERMS)))
    x, y = [], []
    for i, j in itertools.combinations(range(n), 2):
        a, b = items[i][1], items[j][1]
        if abs(a.published_at - b.published_at) <= timedelta(hours=WINDOW_H):
            t = terms(a, b)
            cube[i, j] = cube[j, i] = t
            x.append(t)
            y.append(float(labels[i] == labels[j]))
    weights, bias = fit(np.array(x), np.array(y))
    print(f"{len(y)} tune pairs within {WINDOW_H:g} h, {int(sum(y))} same-event")
    for name, value in zip(TERMS, weights, strict=True):
        print(f"   {name} = {value:.3f}")
    print(f"   BIAS = {bias:.3f}")
    current = np.array([getattr(semantic, name) for name in TERMS])
    s = pair_scores(labels, replay(times, cube, current, semantic.BIAS))
    print(
        f"   the shipped constants: precision {s['precision']:.3f} recall {s['recall']:.3f} "
        f"F1 {s['f1']:.3f} largest {s['largest']}"
    )
    if "--current" in sys.argv:
        return
    weights = np.round(weights, 1)
    best = None
    held = {"W_SHARED_TOTAL": 0.0, "W_CONFLICT_TOTAL": -2.5, "W_CONFLICT_PRICE": 0.0}
    for name, value in held.items():  # decision 018: held by hand, see semantic.py
        weights[TERMS.index(name)] = value
    for threshold in (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0):
        for floor in (-1.5, -0.5, 0.5, 1.0):
            semantic.JOIN_THRESHOLD, semantic.DRIFT_FLOOR = threshold, floor
            s = pair_scores(labels, replay(times, cube, weights, round(bias, 1)))
            print(
                f"   threshold {threshold:+.1f} floor {floor:+.1f}: precision "
                f"{s['precision']:.3f} recall {s['recall']:.3f} F1 {s['f1']:.3f} "
                f"largest {s['largest']}"
            )
            if best is None or s["f1"] > best[0]:
                best = (s["f1"], threshold, floor)
    print(f"best on tune: F1 {best[0]:.3f} at threshold {best[1]:+.1f}, floor {best[2]:+.1f}")  # type: ignore[index]


if __name__ == "__main__":
    main()
