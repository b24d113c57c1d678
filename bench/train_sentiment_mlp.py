"""The hidden-layer network that ``bench.train_sentiment --mlp`` trains beside the linear model.

It is fitted on exactly the matrix the linear model is fitted on (the same features,
values scaled the same way, the same row weights) and exported as float16 arrays for
``bot.enrich.sentiment_mlp.MlpScorer`` (decision 042). Its out-of-fold probabilities are
averaged with the linear model's before the polar margin is chosen, as at run time.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction import DictVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier

from bot.enrich.sentiment_features import EMBEDDING_NAMES, EMBEDDING_SCALE

ROOT = Path(__file__).resolve().parents[1]
MLP_WEIGHTS = ROOT / "bot" / "data" / "sentiment_mlp.npz"
# Chosen by 5-fold cross-validation on the training rows (decision 042): a few passes
# over the data with a weight penalty; more passes fit the training rows' labels, not news.
ALPHA = 1e-2
EPOCHS = 15
BATCH = 128


def mlp_model(hidden: int, seed: int = 0) -> MLPClassifier:
    return MLPClassifier(
        hidden_layer_sizes=(hidden,),
        alpha=ALPHA,
        max_iter=EPOCHS,
        batch_size=BATCH,
        learning_rate_init=1e-3,
        random_state=seed,
    )


def fit_mlp(x, labels: list[str], weights: np.ndarray, hidden: int) -> MLPClassifier:
    model = mlp_model(hidden)
    with warnings.catch_warnings():  # a fixed number of passes, by choice
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, labels, sample_weight=weights)
    return model


def oof_mlp(
    x, labels: list[str], weights: np.ndarray, hidden: int, folds: StratifiedKFold, x_eval=None
) -> np.ndarray:
    """Out-of-fold probabilities (sklearn's class order) on the trainer's folds, of the rows
    of ``x_eval`` when given (the same rows as ``x``, featurised as at run time)."""
    x_eval = x if x_eval is None else x_eval
    y = np.asarray(labels)
    out = np.zeros((len(y), 3))
    for train, test in folds.split(np.zeros(len(y)), y):
        model = fit_mlp(x[train], list(y[train]), weights[train], hidden)
        out[test] = model.predict_proba(x_eval[test])
    return out


def write_mlp(
    vectorizer: DictVectorizer,
    model: MLPClassifier,
    classes: tuple[str, ...],
    scaled: set[str],
    scale: float,
) -> None:
    """Float16 arrays in ``classes`` order: value features' rows times ``scale`` (the
    network saw value * scale) and the vector's rows times ``EMBEDDING_SCALE``."""
    first = model.coefs_[0].copy()
    names = list(vectorizer.feature_names_)
    emb_rows = {name: j for j, name in enumerate(names) if name in EMBEDDING_NAMES}
    for j, name in enumerate(names):
        if name in scaled:
            first[j] *= scale
    vector_first = np.zeros((len(EMBEDDING_NAMES), first.shape[1]))
    for i, name in enumerate(EMBEDDING_NAMES):
        if name in emb_rows:
            vector_first[i] = first[emb_rows[name]] * EMBEDDING_SCALE
    used = max((i for i, n in enumerate(EMBEDDING_NAMES) if n in emb_rows), default=-1) + 1
    word_rows = [j for j, name in enumerate(names) if name not in emb_rows]
    order = [list(model.classes_).index(cls) for cls in classes]
    np.savez_compressed(
        MLP_WEIGHTS,
        names=np.array("\n".join(names[j] for j in word_rows)),
        first=first[word_rows].astype(np.float16),
        vector_first=vector_first[:used].astype(np.float16),
        bias1=model.intercepts_[0].astype(np.float32),
        second=model.coefs_[1][:, order].astype(np.float32),
        bias2=model.intercepts_[1][order].astype(np.float32),
    )
