"""Out-of-fold probabilities of the shipped model (linear + 128-unit network, decision 042's
settings: C 0.3, value scale 4, modern weight 3) on the trainer's five folds, in the order
positive, neutral, negative (decision 046's baseline).

    PYTHONPATH=. python bench/data/sentiment_pseudo/oof_shipped.py /tmp/shipped_oof.npy
"""

import sys

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from bench import train_sentiment as T
from bench.sentiment_data import dataset_path, load_dataset
from bench.train_sentiment_mlp import oof_mlp

ORDER = ("positive", "neutral", "negative")


def main(out: str) -> None:
    tune, is_modern = T.training_set(load_dataset(dataset_path()))
    rows = T.featurise(tune)
    keep = T.prune(rows, T.MIN_DF)
    rows = [T.scaled_row({k: v for k, v in r.items() if k in keep}, 4.0) for r in rows]
    labels = [h.label for h in tune]
    weights = np.where(is_modern, 3.0, 1.0)
    x = DictVectorizer().fit_transform(rows)
    folds = StratifiedKFold(5, shuffle=True, random_state=7)
    linear = cross_val_predict(T.model_for(0.3), x, labels, cv=folds, method="predict_proba",
                               params={"sample_weight": weights})  # fmt: skip
    network = oof_mlp(x, labels, weights, 128, folds)
    order = [sorted(T.CLASSES).index(c) for c in ORDER]
    np.save(out, ((linear + network) / 2)[:, order])


if __name__ == "__main__":
    main(sys.argv[1])
