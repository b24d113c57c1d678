"""Does more labelled data still pay? A learning curve of the shipped sentiment model.

    python -m bench.sentiment_curve            # 25 / 50 / 75 / 100% of all training rows
    python -m bench.sentiment_curve --modern   # ... of the 2025-26 rows only (2021-22 all)

The trainer's 5-fold cross-validation on the training rows alone (never a holdout row),
with each fold's training part subsampled (two draws per fraction) and every out-of-fold
row scored: accuracy and clear headlines reversed per period, at no margin and at the
shipped margin. The model is the linear one at the shipped settings (decision 042).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.model_selection import StratifiedKFold

from bench.sentiment_data import dataset_path, load_dataset
from bench.train_sentiment import (
    featurise,
    group_objective,
    model_for,
    prune,
    scaled_row,
    training_set,
    with_margin,
)

FRACTIONS = (0.25, 0.5, 0.75, 1.0)
DRAWS = 2


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modern", action="store_true", help="subsample the 2025-26 rows only")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--modern-weight", type=float, default=3.0)
    parser.add_argument("--margin", type=float, default=0.35)
    args = parser.parse_args(argv)
    path = dataset_path()
    if path is None:
        print("../shared/datasets/cryptonews.csv not found (set CRYPTOWIRE_SHARED)")
        return 2
    tune, is_modern = training_set(load_dataset(path))
    rows = featurise(tune)
    keep = prune(rows, 2)
    rows = [scaled_row({k: v for k, v in r.items() if k in keep}, args.scale) for r in rows]
    x = DictVectorizer().fit_transform(rows).tocsr()
    y = np.array([h.label for h in tune])
    weights = np.where(is_modern, args.modern_weight, 1.0)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=7).split(np.zeros(len(y)), y))
    for fraction in FRACTIONS:
        for draw in range(DRAWS if fraction < 1 else 1):
            rng = np.random.default_rng(draw)
            proba = np.zeros((len(y), 3))
            for train, test in folds:
                picked = rng.random(len(train)) < fraction
                if args.modern:
                    picked |= ~is_modern[train]  # every 2021-22 row, a share of the 2025-26
                part = train[picked]
                model = model_for(args.c).fit(x[part], y[part], sample_weight=weights[part])
                proba[test] = model.predict_proba(x[test])
                order = list(model.classes_)
            for margin in (0.0, args.margin):
                guess = with_margin(proba, order, margin)
                text = group_objective(tune, guess, is_modern)[1]
                print(f"{fraction:.0%} draw {draw}, margin {margin}: {text}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
