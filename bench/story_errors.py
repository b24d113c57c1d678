"""Error study of the story rule on the `tune` halves: which same-event pairs it misses, and why
(decision 047).

    CRYPTOWIRE_SHARED=/work/shared python -m bench.story_errors          # counts by class
    CRYPTOWIRE_SHARED=/work/shared python -m bench.story_errors --show   # and every missed pair

Each tune day block is replayed online (``story_cv.block_scores``) with a pair model fitted on
the other blocks at the shipped regularisation, threshold and drift floor, as the
cross-validation of ``bench/tune_stories.py`` does. Only the "strict" rows are studied (notes
flag neither a market move nor a doubt): the re-reports of one event worded differently by
several outlets. Every missed pair (earlier article ``a``, later ``b``, same label, different
predicted stories) gets one **stage** (where the rule lost it, in this order) and any number
of **content** classes (what the pair's evidence holds). Never reads a `holdout` label.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import numpy as np

from bench import tune_stories as tune
from bench.bench_stories import STRICT_OUT
from bench.story_cv import (
    POSITIVE_WEIGHT,
    _columns,
    block_scores,
    candidate_stories,
    fit,
    xy,
)
from bot.stories import pair_model

_NAMES = pair_model.FEATURES.index("names")
_SAME_EVENT = pair_model.FEATURES.index("same_event")
_SHARED_TOTAL = pair_model.FEATURES.index("shared_total")
_CONFLICT_TOTAL = pair_model.FEATURES.index("conflict_total")
# One actor under two names: the study counts pairs that share no name but one of these
# groups (a reading aid only; as a feature it did not pay, decision 047).
ALIASES = (
    "microstrategy strategy mstr saylor",
    "binance cz changpeng",
    "sec gensler atkins",
    "a16z andreessen horowitz",
    "crypto.com cryptocom",
    "jpmorgan jp dimon",
    "vitalik buterin",
    "salvador bukele",
    "terra terraform luna ust kwon",
    "ripple garlinghouse",
    "tether usdt ardoino",
    "fed fomc powell warsh",
    "ftx bankman-fried sbf",
    "gemini winklevoss",
)
_ALIAS = {word: i for i, group in enumerate(ALIASES) for word in group.split()}


def _actors(names: frozenset[str], title_tokens: frozenset[str]) -> set[int]:
    return {_ALIAS[w] for w in names | title_tokens if w in _ALIAS}


def stage(b: tune.Block, predicted: np.ndarray, scores: np.ndarray, i: int, j: int) -> str:
    """Where the rule lost the pair (``i`` published before ``j``)."""
    times, labels = b["times"], b["labels"]
    if not b["near"][i, j]:  # type: ignore[index]
        return "outside the 72 h window"
    if b["never"][i, j]:  # type: ignore[index]
        return "a digest / prediction series (singleton rule)"
    if b["moves"][i] or b["moves"][j]:  # type: ignore[index]
        return "one side read as a market move"
    earlier = [k for k in range(len(times)) if times[k] < times[j]]  # type: ignore[arg-type]
    so = np.full(len(times), -1)  # type: ignore[arg-type]
    so[earlier] = predicted[earlier]
    members = [k for k in earlier if labels[k] == labels[j]]  # type: ignore[index]
    proposed = candidate_stories(j, times, b["cube"][:, :, 0], so)  # type: ignore[arg-type, index]
    if not {int(predicted[k]) for k in members} & proposed:
        return "not a candidate (vector search)"
    if scores[j, members].max() < float(pair_model.model().threshold):
        return "every pair with the story below the threshold"
    if any(predicted[k] == predicted[j] for k in earlier):
        return "scored, but joined another story"
    return "scored, but held off by the drift floor (started a new story)"


def content(b: tune.Block, x: np.ndarray, i: int, j: int) -> list[str]:
    fa, fb = b["feats"][i], b["feats"][j]  # type: ignore[index]
    out = []
    if abs(b["times"][i] - b["times"][j]) > 36:  # type: ignore[index]
        out.append("more than 36 h apart")
    if not x[_NAMES]:
        out.append("no shared name")
        if _actors(fa.entities, fa.title_tokens) & _actors(fb.entities, fb.title_tokens):
            out.append("no shared name, one actor under two names")
    if x[_SAME_EVENT]:
        out.append("same event kind")
    if not fa.profile.events or not fb.profile.events:
        out.append("no event kind read in one headline")
    if x[_SHARED_TOTAL]:
        out.append("a shared total (same figure, units normalised)")
    if x[_CONFLICT_TOTAL]:
        out.append("two different totals")
    if float(b["cube"][i, j, 0]) < 0.3:  # type: ignore[index]
        out.append("cosine < 0.3")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", action="store_true", help="print every missed pair")
    args = parser.parse_args()
    shipped = json.loads(tune.MODEL.read_text(encoding="utf-8"))
    c, threshold, floor = shipped["regularisation_c"], shipped["threshold"], shipped["drift_floor"]
    blocks = tune.tune_blocks()
    cubes = _columns(blocks, None)
    names = list(blocks)
    counts: Counter[tuple[str, str]] = Counter()
    for h in names:
        b = blocks[h]
        weights, bias = fit(*xy(blocks, cubes, [n for n in names if n != h]), c, POSITIVE_WEIGHT[0])
        predicted = np.array(block_scores(b, cubes[h], weights, bias, threshold, floor)[1])
        scores = np.where(b["near"], cubes[h] @ weights + bias, -np.inf)  # type: ignore[arg-type]
        keep = [k for k, note in enumerate(b["notes"]) if not any(s in note for s in STRICT_OUT)]  # type: ignore[attr-defined]
        keep.sort(key=lambda k: b["times"][k])  # type: ignore[index]
        family = str(b["set"])
        for x, i in enumerate(keep):
            for j in keep[x + 1 :]:
                if b["labels"][i] != b["labels"][j]:  # type: ignore[index]
                    continue
                counts[(family, "same-event pairs")] += 1
                if predicted[i] == predicted[j]:
                    counts[(family, "found")] += 1
                    continue
                where = stage(b, predicted, scores, i, j)
                what = content(b, cubes[h][i, j], i, j)
                counts[(family, f"stage: {where}")] += 1
                counts.update((family, f"content: {w}") for w in what)
                if args.show:
                    print(f"[{h}] {where}; score {scores[i, j]:+.2f}; {', '.join(what)}")
                    print(f"    {b['titles'][i]}\n    {b['titles'][j]}")  # type: ignore[index]
    print(f"missed strict pairs (C {c}, threshold {threshold:+.1f}, floor {floor:+.1f}):")
    for (family, what), n in sorted(counts.items()):
        print(f"   {family:<8} {what:<70} {n}")


if __name__ == "__main__":
    main()
