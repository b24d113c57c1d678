"""One fold of decision 046's student: the shipped architecture (linear C 0.3 + 128-unit
network, values x4, 2025-26 rows x3) fitted on fold K's training rows plus the pool, whose
labels come from fold K's teacher (``teacher.py cv --pool`` writes them; that teacher never
saw fold K), and scored on fold K.

    PYTHONPATH=. python bench/data/sentiment_pseudo/student_fold.py K POOL_PROBA.npy MODE W OUT.npy

MODE: ``none`` (no pool: the paired baseline), ``soft`` (each pool row once per class,
weight W x the teacher's probability), ``avgsoft`` (the same with the teacher's
probabilities averaged with those of the fold's own shipped-architecture model).
"""

import csv
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.model_selection import StratifiedKFold

from bench import train_sentiment as T
from bench.sentiment_data import Headline, dataset_path, load_dataset
from bench.train_sentiment_mlp import fit_mlp

ORDER = ("positive", "neutral", "negative")
POOL = Path(__file__).resolve().parent / "pool.tsv"


def shipped_like(x, labels, weights):
    return T.model_for(0.3).fit(x, labels, sample_weight=weights), fit_mlp(x, labels, weights, 128)


def proba(models, x) -> np.ndarray:
    linear, network = models
    order = [list(linear.classes_).index(c) for c in ORDER]
    return ((linear.predict_proba(x) + network.predict_proba(x)) / 2)[:, order]


def main(k: int, pool_proba: np.ndarray, mode: str, weight: float, out: str) -> None:
    tune, is_modern = T.training_set(load_dataset(dataset_path()))
    with POOL.open(encoding="utf-8", newline="") as handle:
        pool = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = T.featurise(tune + [Headline(r["title"], r["lead"], "", False, "pool") for r in pool])
    keep = T.prune(rows[: len(tune)], T.MIN_DF)  # the vocabulary of labelled rows only
    rows = [T.scaled_row({f: v for f, v in r.items() if f in keep}, 4.0) for r in rows]
    labelled, pooled = rows[: len(tune)], rows[len(tune) :]
    labels = np.array([h.label for h in tune])
    weights = np.where(is_modern, 3.0, 1.0)
    folds = StratifiedKFold(5, shuffle=True, random_state=7)
    train, test = list(folds.split(np.zeros(len(labels)), labels))[k]
    xs, ys, ws = [labelled[i] for i in train], list(labels[train]), list(weights[train])
    if mode == "avgsoft":
        vec = DictVectorizer().fit(xs)
        own = proba(shipped_like(vec.transform(xs), ys, np.array(ws)), vec.transform(pooled))
        pool_proba = (pool_proba + own) / 2
    if mode in ("soft", "avgsoft"):
        for row, p in zip(pooled, pool_proba, strict=True):
            for cls, pc in zip(ORDER, p, strict=True):
                if pc > 0.01:
                    xs.append(row)
                    ys.append(cls)
                    ws.append(weight * pc)
    vec = DictVectorizer().fit(xs)
    models = shipped_like(vec.transform(xs), ys, np.array(ws))
    result = np.full((len(tune), 3), np.nan)
    result[test] = proba(models, vec.transform([labelled[i] for i in test]))
    np.save(out, result)


if __name__ == "__main__":
    main(int(sys.argv[1]), np.load(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5])
