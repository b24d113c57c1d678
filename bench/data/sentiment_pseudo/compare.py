"""Decision 046's tables from saved out-of-fold arrays (order positive, neutral, negative):
accuracy and clear headlines reversed per period at margin 0 and 0.4, and paired
differences against the first array.

    PYTHONPATH=. python bench/data/sentiment_pseudo/compare.py 0,1 base.npy other.npy ...
"""

import sys

import numpy as np
from sklearn.model_selection import StratifiedKFold

from bench.sentiment_data import dataset_path, load_dataset
from bench.train_sentiment import training_set, with_margin

ORDER = ["positive", "neutral", "negative"]


def main(ks: list[int], paths: list[str]) -> None:
    tune, is_modern = training_set(load_dataset(dataset_path()))
    labels = np.array([h.label for h in tune])
    clear = np.array([h.clear for h in tune])
    folds = list(StratifiedKFold(5, shuffle=True, random_state=7).split(labels, labels))
    idx = np.concatenate([folds[k][1] for k in ks])
    base_right = {}
    for path in paths:
        p = np.load(path)
        for period, mask in (("2021-22", ~is_modern), ("2025-26", is_modern)):
            rows = idx[mask[idx]]
            text = []
            for margin in (0.0, 0.4):
                guess = np.array(with_margin(p[rows], ORDER, margin))
                right = guess == labels[rows]
                flips = clear[rows] & (guess != "neutral") & (labels[rows] != "neutral") & ~right
                text.append(f"margin {margin}: {right.mean():.1%}, reversed {flips.sum()}"
                            f"/{clear[rows].sum()}")  # fmt: skip
                if margin == 0.0:
                    base = base_right.setdefault(period, right.astype(float))
                    d = right - base
                    se = d.std(ddof=1) / np.sqrt(len(d)) * 100
                    better, worse = int((d > 0).sum()), int((d < 0).sum())
                    text.append(f"vs first {d.mean() * 100:+.1f} (SE {se:.1f}; {better} / {worse})")
            print(f"{path} {period} (n={len(rows)}): " + "; ".join(text))


if __name__ == "__main__":
    main([int(k) for k in sys.argv[1].split(",")], sys.argv[2:])
