"""Classes of clear headlines the cue rules read the wrong way round (issue 14's reversals).

Each headline is a real training row (bench/data/sentiment_train.tsv, never a holdout row)
that 5-fold cross-validation reversed before decision 038's update; the test asserts the
direction the features now give, which the model weighs (the direction values).
"""

from __future__ import annotations

import pytest

from bot.enrich.enrich import article_sentiment, default_sentiment_model
from bot.enrich.sentiment_features import Cues, features
from bot.models import Sentiment


def found(title: str) -> dict[str, float]:
    return features(title, "", default_sentiment_model(), Cues.from_package_data())


def test_a_headline_that_opens_with_despite_is_read_by_its_main_clause() -> None:
    """ "Despite X's plunge, Y surges" is Y surging: the clause after the comma decides."""
    title = "Despite Meta’s Stock Price Plunge, Metaverse Tokens Surge"
    values = found(title)
    assert values["dir_main"] > 0 and values["dir_sub"] < 0
    assert article_sentiment(title, "") is Sentiment.POSITIVE


@pytest.mark.parametrize(
    "title",
    [  # a rise right before the bad subject, and subjects the cue list lacked
        "Bitcoin and Ethereum Increased Losses, ZEC and STX Rally",
        "MicroStrategy’s Bitcoin Impairment Charge Swells to $147 Million in Q4 2021",
        "Tether’s Circulating Supply Reduced by $7 Billion in a Week",
    ],
)
def test_bad_news_moves_read_as_bad_news(title: str) -> None:
    assert found(title)["dir_main"] < 0


def test_a_dip_shrugged_off_is_not_a_fall() -> None:
    values = found("Bitcoin casts off dip, climbs past $45K as Fed signals rate hike coming")
    assert values["dir_main"] > 0
    assert "t_not_dip" in values


@pytest.mark.parametrize(
    ("title", "part", "sign"),
    [
        ("One River Carbon Neutral Bitcoin ETF Trust Denied by the SEC", "dir_main", -1),
        ("Bitcoin and Ethereum Get Support in EU, Ban Idea Rejected", "dir_sub", 1),
        ("It’s Official:EU Says No to Provisions Restricting Bitcoin", "dir_main", 1),
    ],
)
def test_what_is_rejected_decides_the_direction(title: str, part: str, sign: int) -> None:
    """A rejected ban or restriction is good news; a rejected fund or licence bad news."""
    assert found(title).get(part, 0.0) * sign > 0
