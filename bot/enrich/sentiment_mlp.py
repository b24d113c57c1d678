"""A small network beside the linear sentiment model: one hidden layer over the same features.

Why: the linear model adds each word's vote on its own, so it cannot learn that a word
means one thing beside another ("ETF" with "inflows" vs. with "denied", a move with a
bad subject); a hidden layer of a few dozen units can, and its probabilities are averaged
with the linear model's (decision 042). It reads exactly the features the linear model
reads (``sentiment_features.features`` and the headline's static vector), so it adds no
tokenising: at run time it is a gather-and-sum of one row per present feature, one
192 x H product for the vector, a ReLU and an H x 3 product (numpy only); the linear
model's weights ride along as three more columns of the same rows (``join_linear``).
Trained offline by ``bench/train_sentiment.py --mlp`` (scikit-learn, development only);
the weights ship as ``bot/data/sentiment_mlp.npz`` (float16, no pickled objects).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from io import BytesIO

import numpy as np

MLP_FILE = "sentiment_mlp.npz"


class MlpScorer:
    """Features -> hidden ReLU layer -> three class probabilities (the weights file's order)."""

    def __init__(
        self,
        names: Sequence[str],
        first: np.ndarray,
        vector_first: np.ndarray,
        bias1: np.ndarray,
        second: np.ndarray,
        bias2: np.ndarray,
    ) -> None:
        self._index = {name: i for i, name in enumerate(names)}
        self._first = first.astype(np.float32)
        self._vector_first = vector_first.astype(np.float32)
        self._bias1 = bias1.astype(np.float32)
        self._second = second.astype(np.float32)
        self._bias2 = bias2.astype(np.float32)
        self._hidden = int(second.shape[0])
        self._unknown = len(names)
        zero = np.zeros((1, self._first.shape[1]), dtype=np.float32)
        self._first = np.concatenate([self._first, zero])  # an unknown name's row

    @classmethod
    def from_package_data(cls) -> MlpScorer | None:
        """The shipped network, or None when the package has none (linear model alone)."""
        path = resources.files("bot").joinpath("data", MLP_FILE)
        if not path.is_file():
            return None
        return cls.from_bytes(path.read_bytes())

    @classmethod
    def from_bytes(cls, raw: bytes) -> MlpScorer:
        with np.load(BytesIO(raw), allow_pickle=False) as data:
            names = str(data["names"]).split("\n")
            parts = [data[k] for k in ("first", "vector_first", "bias1", "second", "bias2")]
        first, vector_first, bias1, second, bias2 = parts
        hidden = bias1.shape[0]
        if (
            first.shape != (len(names), hidden)
            or vector_first.shape[1] != hidden
            or second.shape != (hidden, 3)
            or bias2.shape != (3,)
        ):
            raise ValueError(f"malformed {MLP_FILE}")
        return cls(names, first, vector_first, bias1, second, bias2)

    def join_linear(
        self, weights: dict[str, tuple[float, ...]], vector_weights: np.ndarray | None
    ) -> None:
        """Take the linear model's weights as three more columns, so one gather per article
        gives both models' sums (and the linear model's Python loop is not run)."""
        if self._first.shape[1] != self._hidden:
            raise ValueError("the linear model is already joined")
        names = list(self._index)
        names += [name for name in weights if name not in self._index]
        hidden = self._hidden
        joint = np.zeros((len(names), hidden + 3), dtype=np.float32)
        joint[: self._unknown, :hidden] = self._first[: self._unknown]
        for i, name in enumerate(names):
            if name in weights:
                joint[i, hidden:] = weights[name]
        rows = max(len(self._vector_first), 0 if vector_weights is None else len(vector_weights))
        vector_joint = np.zeros((rows, hidden + 3), dtype=np.float32)
        vector_joint[: len(self._vector_first), :hidden] = self._vector_first
        if vector_weights is not None:
            vector_joint[: len(vector_weights), hidden:] = vector_weights
        self._index = {name: i for i, name in enumerate(names)}
        self._unknown = len(names)  # the last row, all zeros
        zero = np.zeros((1, hidden + 3), dtype=np.float32)
        self._first, self._vector_first = np.concatenate([joint, zero]), vector_joint
        self._bias1 = np.concatenate([self._bias1, np.zeros(3, dtype=np.float32)])

    def both(
        self, named: dict[str, float], vector: np.ndarray | None
    ) -> tuple[list[float], list[float]]:
        """The linear model's three scores (after ``join_linear``) and the network's three
        probabilities, in the weights file's class order, from one gather-and-sum."""
        get, unknown = self._index.get, self._unknown  # an unknown name: the zero row
        rows = [get(name, unknown) for name in named]
        values = np.fromiter(named.values(), np.float32, len(rows))
        total = values @ self._first[rows] + self._bias1
        if vector is not None:
            total += vector[: len(self._vector_first)] @ self._vector_first
        hidden = self._hidden
        logits = (np.maximum(total[:hidden], 0.0) @ self._second + self._bias2).tolist()
        top = max(logits)
        out = [math.exp(v - top) for v in logits]
        norm = sum(out)
        return total[hidden:].tolist(), [v / norm for v in out]
