"""The shipped sentiment model: a linear (multinomial logistic) model over named features.

Trained offline on hand-labelled real headlines by ``bench/train_sentiment.py``
(scikit-learn is a development tool only); the weights ship as data in
``bot/data/sentiment_weights.tsv``, one feature a line with its weight per class. At
run time scoring is a dictionary look-up per word feature and three sums, plus one
small matrix product for the headline's sentence vector; the file is a few hundred KB.
See docs/decisions/014-trained-sentiment-and-tag-precision.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from importlib import resources

import numpy as np

from bot.enrich.sentiment import SentimentModel
from bot.enrich.sentiment_features import EMBEDDING_NAMES, EMBEDDING_SCALE, Cues, features
from bot.enrich.sentiment_mlp import MlpScorer
from bot.models import Sentiment

WEIGHTS_FILE = "sentiment_weights.tsv"


class LinearSentiment:
    """Features -> three class scores -> the best class."""

    def __init__(
        self,
        classes: tuple[Sentiment, ...],
        weights: dict[str, tuple[float, ...]],
        lexicon: SentimentModel,
        cues: Cues,
        polar_margin: float = 0.0,
        embed: Callable[[str], Sequence[float]] | None = None,
        mlp: MlpScorer | None = None,
    ) -> None:
        self.classes = classes
        self._weights = weights
        self._lexicon = lexicon
        self._cues = cues
        self._margin = polar_margin
        self._embed = embed
        self._mlp = mlp  # averaged with the linear model when shipped (decision 042)
        # The vector's weights as one matrix: a product instead of 224 look-ups.
        found = [i for i, n in enumerate(EMBEDDING_NAMES) if n in weights]
        self._vector_weights: np.ndarray | None = None
        if found:
            matrix = np.zeros((found[-1] + 1, 3), dtype=np.float32)
            for i in found:
                matrix[i] = weights.pop(EMBEDDING_NAMES[i])
            self._vector_weights = matrix * EMBEDDING_SCALE
        if mlp is not None:
            mlp.join_linear(weights, self._vector_weights)

    @classmethod
    def from_package_data(cls, lexicon: SentimentModel | None = None) -> LinearSentiment:
        text = resources.files("bot").joinpath("data", WEIGHTS_FILE).read_text("utf-8")
        lexicon = lexicon or SentimentModel.from_package_data()
        return cls.from_text(text, lexicon, MlpScorer.from_package_data())

    @classmethod
    def from_text(
        cls, text: str, lexicon: SentimentModel, mlp: MlpScorer | None = None
    ) -> LinearSentiment:
        """Parse the weights file: ``#`` comments, a ``classes`` line, ``feature w1 w2 w3``."""
        classes: tuple[Sentiment, ...] = ()
        weights: dict[str, tuple[float, ...]] = {}
        threshold = 0.0
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            name, *values = line.split("\t")
            if name == "classes":
                classes = tuple(Sentiment.parse(value) for value in values)
            elif name == "polar_margin":
                threshold = float(values[0])
            else:
                weights[name] = tuple(float(value) for value in values)
        if len(classes) != 3 or any(len(w) != len(classes) for w in weights.values()):
            raise ValueError(f"malformed {WEIGHTS_FILE}")
        embed = _headline_vector if EMBEDDING_NAMES[0] in weights else None
        cues = Cues.from_package_data()
        return cls(classes, weights, lexicon, cues, threshold, embed, mlp)

    def scores(self, title: str, lead: str) -> dict[Sentiment, float]:
        """The linear score of each class (higher is likelier)."""
        named = features(title, lead, self._lexicon, self._cues)
        return dict(zip(self.classes, self._linear(named, self._vector(title)), strict=True))

    def probabilities(self, title: str, lead: str) -> dict[Sentiment, float]:
        """P(class): the linear model's, averaged with the network's when one is shipped."""
        vector = self._vector(title)
        named = features(title, lead, self._lexicon, self._cues)
        other = None
        if self._mlp is not None:
            linear, other = self._mlp.both(named, vector)
            scores = tuple(linear)
        else:
            scores = self._linear(named, vector)
        top = max(scores)
        exp = [math.exp(v - top) for v in scores]
        total = sum(exp)
        proba = [v / total for v in exp]
        if other is not None:
            proba = [(p + q) / 2 for p, q in zip(proba, other, strict=True)]
        return dict(zip(self.classes, proba, strict=True))

    def _vector(self, title: str) -> np.ndarray | None:
        if self._embed is None:
            return None
        return np.asarray(self._embed(title), dtype=np.float32)

    def _linear(self, named: dict[str, float], vector: np.ndarray | None) -> tuple[float, ...]:
        a = b = c = 0.0  # three classes, unrolled: this runs for every article
        get = self._weights.get
        if vector is not None and self._vector_weights is not None:
            a, b, c = (float(x) for x in vector[: len(self._vector_weights)] @ self._vector_weights)
        for name, value in named.items():
            row = get(name)
            if row is not None:
                if value == 1.0:
                    a, b, c = a + row[0], b + row[1], c + row[2]
                else:
                    a, b, c = a + row[0] * value, b + row[1] * value, c + row[2] * value
        return a, b, c

    def classify(self, title: str, lead: str = "") -> Sentiment:
        """The likeliest class; a polarity only when the model is clearly more sure of it
        than of the opposite one (``polar_margin`` between their probabilities, chosen in
        training to keep good news from reading as bad and the reverse), else neutral."""
        proba = self.probabilities(title, lead)
        best = max(proba, key=proba.__getitem__)
        if best is not Sentiment.NEUTRAL and self._margin:
            gap = abs(proba[Sentiment.POSITIVE] - proba[Sentiment.NEGATIVE])
            if gap < self._margin:
                return Sentiment.NEUTRAL
        return best


def _headline_vector(title: str) -> Sequence[float]:
    """The headline's static sentence vector, from the story-grouping model (the same
    files, loaded once per process)."""
    from bot.stories.embedding import default_embedder  # only when the weights use it

    return default_embedder().embed([title])[0]
