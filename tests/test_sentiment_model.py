"""The shipped sentiment model on headlines a trader reads one way, and its data file.

The headlines are the issue's examples of reversed polarity (from real January 2026
feeds, in no training file) and everyday cases; stated sentiment still wins.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.enrich.enrich import article_sentiment, default_sentiment_model
from bot.enrich.sentiment_features import Cues, features
from bot.enrich.sentiment_linear import LinearSentiment
from bot.ingest.parse import parse_document
from bot.models import Sentiment

POS, NEG, NEU = Sentiment.POSITIVE, Sentiment.NEGATIVE, Sentiment.NEUTRAL


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Crypto Crime Soared to $154 Billion", NEG),
        ("Bitcoin, Ether ETFs Shed Over $1B", NEG),  # fund flows (decision 030)
        ("Bitcoin reclaims $70,000", POS),
        ("XRP Rallies 9% as Court Rejects Last Appeal", POS),
        ("Bitcoin surges to a record high", POS),
        ("Exchange hacked, $200M stolen", NEG),
        ("Bitcoin plunges as liquidations top $1B", NEG),
        ("Spot bitcoin ETFs see record inflows", POS),
        ("Hackers drain $50M from DeFi lender", NEG),
        ("What is a blockchain oracle?", NEU),
    ],
)
def test_headlines_get_the_polarity_a_trader_gives(title: str, expected: Sentiment) -> None:
    assert article_sentiment(title, "") is expected


def test_the_lead_counts_but_the_headline_leads() -> None:
    title = "Solana validators vote on fee change"
    assert article_sentiment(title, "The exploit drained $40 million from users.") is NEG


def test_a_move_after_a_bad_subject_reads_as_bad_news() -> None:
    cues, lexicon = Cues.from_package_data(), default_sentiment_model()
    crime = features("Crypto crime soared to $154 billion", "", lexicon, cues)
    assert "t_worsens" in crime and "t_soared" not in crime
    assert crime["dir_main"] < 0
    eased = features("Fears ease as bitcoin steadies", "", lexicon, cues)
    assert "t_improves" in eased and eased["dir_main"] > 0


@pytest.mark.parametrize(
    "title",
    [  # real headlines of the training rows (bench/data/sentiment_train.tsv), all bad news
        "Polygon price risks 50% drop as MATIC paints inverted cup and handle pattern",
        "Total supply of stablecoins dropped sharply for first time ever in Q2",
        "Institutional crypto asset products saw record weekly outflows of $423M",
    ],
)
def test_a_fall_after_a_risk_or_a_record_still_reads_as_a_fall(title: str) -> None:
    """ "Price risks a 50% drop" is a warning, not a risk that eases; "record outflows" is
    outflows, not a record high; a supply that drops is not a bad thing shrinking."""
    found = features(title, "", default_sentiment_model(), Cues.from_package_data())
    assert found["dir_main"] < 0
    assert "t_improves" not in found


def test_fund_flows_have_a_direction() -> None:
    """Money leaving funds is bad news however it is worded; outflows that slow are not."""
    lexicon, cues = default_sentiment_model(), Cues.from_package_data()

    def flow(title: str) -> float:
        found = features(title, "", lexicon, cues)
        return found.get("flow_in", 0.0) - found.get("flow_out", 0.0)

    assert flow("Bitcoin, Ether ETFs Shed Over $1B") < 0  # the example
    assert flow("Bitcoin funds saw largest single week of outflows since June 2021") < 0
    assert flow("Bitcoin, Ethereum Fund Outflows Slow, Solana Remains Favorite + More News") > 0
    # a share price, not a fund (real headlines: the issue's and the training rows')
    assert flow("BTC price dives with stocks as fresh sell-off sees PayPal shed nearly 25%") == 0


def test_liquidations_read_by_the_side_that_was_forced_out() -> None:
    """Shorts wiped out is a price that rose, longs liquidated one that fell; the word
    "liquidations" alone says neither (decision 038). Real 2026 headlines of the tune half
    of bench/data/sentiment_modern.tsv, and one written for the long side."""
    lexicon, cues = default_sentiment_model(), Cues.from_package_data()

    def side(title: str) -> float:
        return features(title, "", lexicon, cues).get("liq", 0.0)

    assert side("Bitcoin, ether and solana climb as another $1 billion shorts get wiped out") > 0
    assert side("Shiba Inu (SHIB) Up 12% as $3 Billion Short Squeeze Fuels Crypto Market Rally") > 0
    assert side("Traders' longs liquidated as bitcoin slides below $60,000") < 0
    assert side("Bitcoin, Ethereum, and XRP Crash as $1.7B Got Liquidated in 24 Hours") == 0


def test_a_move_that_cannot_stop_is_not_negated() -> None:
    found = features(
        "Ripple Whales Go Crazy as XRP Price Can’t Stop Surging",  # tune half, 2026
        "",
        default_sentiment_model(),
        Cues.from_package_data(),
    )
    assert found["dir_sub"] > 0
    assert "s_not_surging" not in found


def test_names_and_figures_are_not_memorised() -> None:
    lexicon, cues = default_sentiment_model(), Cues.from_package_data()
    found = features("XRP jumps 9% to $2.10", "", lexicon, cues)
    assert {"t_COIN", "t_PCT", "t_MONEY"} <= set(found)
    assert not any("xrp" in name or "2" in name for name in found)


def test_stated_sentiment_in_front_matter_still_wins() -> None:
    document = (
        b"---\ntitle: Bitcoin plunges 20% as exchange is hacked\nsentiment: positive\n---\nBody.\n"
    )
    article = parse_document(document, origin="a.md", now=datetime(2026, 1, 6, tzinfo=UTC))
    assert article.sentiment is POS
    assert "sentiment" not in article.inferred


def test_weights_file_is_checked() -> None:
    lexicon = default_sentiment_model()
    with pytest.raises(ValueError, match="malformed"):
        LinearSentiment.from_text("classes\tpositive\tneutral\tnegative\nt_up\t1\t2\n", lexicon)
    model = LinearSentiment.from_text(
        "classes\tpositive\tneutral\tnegative\nbias\t0\t0.5\t0\nt_rallies\t2\t0\t-2\n", lexicon
    )
    assert model.classify("Bitcoin rallies") is POS
    assert model.classify("Bitcoin") is NEU
