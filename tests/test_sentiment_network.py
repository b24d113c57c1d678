"""The hidden-layer network averaged with the linear sentiment model (decision 042).

The headlines are real clear training rows (`tune` of bench/data/sentiment_modern.tsv,
never a holdout row) that main's model, trained before the 2026 rows were added, read as
neutral although a trader reads them one way: treasury companies buying or selling coins,
a bid against a company fended off.
"""

from __future__ import annotations

import math
from io import BytesIO

import numpy as np
import pytest

from bot.enrich.enrich import article_sentiment, default_sentiment_model
from bot.enrich.sentiment_linear import LinearSentiment
from bot.enrich.sentiment_mlp import MlpScorer
from bot.models import Sentiment

POS, NEG, NEU = Sentiment.POSITIVE, Sentiment.NEGATIVE, Sentiment.NEUTRAL
WEIGHTS = "classes\tpositive\tneutral\tnegative\nbias\t0\t0.5\t0\nt_rallies\t2\t0\t-2\n"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Chinese InsurTech Firm Zhibao Adds 2,380 Bitcoin in $154.7M Treasury Pivot", POS),
        ("BitMine Pushes Ethereum Treasury Past 5.8M ETH", POS),
        ("Empery Digital Sells 1,635 Bitcoin As Treasury Buffer Shrinks", NEG),
        ("Coinbase fends off Nevada’s emergency bid to halt prediction markets", POS),
    ],
)
def test_headlines_main_left_neutral(title: str, expected: Sentiment) -> None:
    assert article_sentiment(title, "") is expected


def network_bytes(hidden: int = 2, names: tuple[str, ...] = ("t_rallies",)) -> bytes:
    """A network whose output layer is all zeros: it always says 1/3 for each class."""
    buffer = BytesIO()
    np.savez(
        buffer,
        names=np.array("\n".join(names)),
        first=np.ones((len(names), hidden), dtype=np.float16),
        vector_first=np.ones((4, hidden), dtype=np.float16),
        bias1=np.zeros(hidden, dtype=np.float32),
        second=np.zeros((hidden, 3), dtype=np.float32),
        bias2=np.zeros(3, dtype=np.float32),
    )
    return buffer.getvalue()


def test_the_linear_sums_ride_along_in_the_network_rows() -> None:
    """One gather gives both models' sums: the blend is the linear model's softmax averaged
    with the network's probabilities, for words either model knows or neither does."""
    lexicon = default_sentiment_model()
    alone = LinearSentiment.from_text(WEIGHTS, lexicon)
    both = LinearSentiment.from_text(WEIGHTS, lexicon, MlpScorer.from_bytes(network_bytes()))
    for title in ("Bitcoin rallies", "Bitcoin", "Quantum kittens rally"):
        scores = alone.scores(title, "")
        total = sum(math.exp(v) for v in scores.values())
        for cls, proba in both.probabilities(title, "").items():
            assert proba == pytest.approx((math.exp(scores[cls]) / total + 1 / 3) / 2, abs=1e-6)
    assert both.classify("Bitcoin rallies") is POS
    assert both.classify("Bitcoin") is NEU


def test_the_network_file_is_checked() -> None:
    with pytest.raises(ValueError, match="malformed"):
        MlpScorer.from_bytes(network_bytes(names=()))  # no names, no rows: one too few
    broken = BytesIO()
    np.savez(broken, names=np.array("a"), first=np.ones((1, 2)), vector_first=np.ones((4, 2)),
             bias1=np.zeros(2), second=np.zeros((3, 3)), bias2=np.zeros(3))  # fmt: skip
    with pytest.raises(ValueError, match="malformed"):
        MlpScorer.from_bytes(broken.getvalue())
