"""The shipped sentiment model: a linear (multinomial logistic) model over named features.

Trained offline on hand-labelled real headlines by ``bench/train_sentiment.py``
(scikit-learn is a development tool only); the weights ship as data in
``bot/data/sentiment_weights.tsv``, one feature a line with its weight per class. At
run time scoring is a dictionary look-up per feature and three sums, a few
microseconds per article; no numpy, no model file larger than a few hundred KB.
See docs/decisions/014-trained-sentiment-and-tag-precision.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from importlib import resources

from bot.enrich.sentiment import SentimentModel
from bot.enrich.sentiment_features import Cues, features
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
    ) -> None:
        self.classes = classes
        self._weights = weights
        self._lexicon = lexicon
        self._cues = cues
        self._margin = polar_margin
        self._embed = embed

    @classmethod
    def from_package_data(cls, lexicon: SentimentModel | None = None) -> LinearSentiment:
        text = resources.files("bot").joinpath("data", WEIGHTS_FILE).read_text("utf-8")
        return cls.from_text(text, lexicon or SentimentModel.from_package_data())

    @classmethod
    def from_text(cls, text: str, lexicon: SentimentModel) -> LinearSentiment:
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
        embed = _headline_vector if "emb0" in weights else None
        return cls(classes, weights, lexicon, Cues.from_package_data(), threshold, embed)

    def scores(self, title: str, lead: str) -> dict[Sentiment, float]:
        """The linear score of each class (higher is likelier)."""
        a = b = c = 0.0  # three classes, unrolled: this runs for every article
        get = self._weights.get
        vector = self._embed(title) if self._embed else None
        for name, value in features(title, lead, self._lexicon, self._cues, vector).items():
            row = get(name)
            if row is not None:
                if value == 1.0:
                    a, b, c = a + row[0], b + row[1], c + row[2]
                else:
                    a, b, c = a + row[0] * value, b + row[1] * value, c + row[2] * value
        return dict(zip(self.classes, (a, b, c), strict=True))

    def classify(self, title: str, lead: str = "") -> Sentiment:
        """The likeliest class; a polarity only when the model is clearly more sure of it
        than of the opposite one (``polar_margin`` between their probabilities, chosen in
        training to keep good news from reading as bad and the reverse), else neutral."""
        scores = self.scores(title, lead)
        best = max(scores, key=scores.__getitem__)
        if best is not Sentiment.NEUTRAL and self._margin:
            top = max(scores.values())
            exp = {k: math.exp(v - top) for k, v in scores.items()}
            gap = abs(exp[Sentiment.POSITIVE] - exp[Sentiment.NEGATIVE]) / sum(exp.values())
            if gap < self._margin:
                return Sentiment.NEUTRAL
        return best


def _headline_vector(title: str) -> Sequence[float]:
    """The headline's static sentence vector, from the story-grouping model (the same
    files, loaded once per process)."""
    from bot.stories.embedding import default_embedder  # only when the weights use it

    return default_embedder().embed([title])[0]
