"""The shipped sentiment model: a linear (multinomial logistic) model over named features.

Trained offline on hand-labelled real headlines by ``bench/train_sentiment.py``
(scikit-learn is a development tool only); the weights ship as data in
``bot/data/sentiment_weights.tsv``, one feature a line with its weight per class. At
run time scoring is a dictionary look-up per feature and three sums, a few
microseconds per article; no numpy, no model file larger than a few hundred KB.
See docs/decisions/014-trained-sentiment-and-tag-precision.md.
"""

from __future__ import annotations

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
        lexicon_override: float = 0.0,
    ) -> None:
        self.classes = classes
        self._weights = weights
        self._lexicon = lexicon
        self._cues = cues
        self._override = lexicon_override

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
            elif name == "lexicon_override":
                threshold = float(values[0])
            else:
                weights[name] = tuple(float(value) for value in values)
        if not classes or any(len(w) != len(classes) for w in weights.values()):
            raise ValueError(f"malformed {WEIGHTS_FILE}")
        return cls(classes, weights, lexicon, Cues.from_package_data(), threshold)

    def scores(self, title: str, lead: str) -> dict[Sentiment, float]:
        """The linear score of each class (higher is likelier)."""
        totals = [0.0] * len(self.classes)
        weights = self._weights
        for name, value in features(title, lead, self._lexicon, self._cues).items():
            row = weights.get(name)
            if row is not None:
                for k, weight in enumerate(row):
                    totals[k] += weight * value
        return dict(zip(self.classes, totals, strict=True))

    def classify(self, title: str, lead: str = "") -> Sentiment:
        """The best-scoring class; where that is neutral but the lexicon is sure of a
        polarity ("Bitcoin is not bullish anymore"), the lexicon's (trained threshold)."""
        scores = self.scores(title, lead)
        best = max(scores, key=scores.__getitem__)
        if best is Sentiment.NEUTRAL and self._override:
            lex = lexicon_score(self._lexicon, title, lead)
            if abs(lex) >= self._override:
                return Sentiment.POSITIVE if lex > 0 else Sentiment.NEGATIVE
        return best


def lexicon_score(lexicon: SentimentModel, title: str, lead: str) -> float:
    """The crypto lexicon's article score: the headline counts twice, then the lead."""
    return 2.0 * lexicon.score(title) + lexicon.score(lead)
