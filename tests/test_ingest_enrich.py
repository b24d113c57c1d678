"""Tags and sentiment: real hits, false-hit guards, negation; given metadata always wins."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.enrich.enrich import (
    default_sentiment_model,
    default_tagger,
    enrich_article,
    infer_tags,
)
from bot.enrich.lang import guess_lang
from bot.enrich.sentiment import SentimentModel
from bot.enrich.tagging import Tagger
from bot.models import Article, Sentiment

HITS = [
    ("Bitcoin climbs above $95K", "BTC"),
    ("BTC holds support", "BTC"),
    ("Bitcoin's hashrate hits a record", "BTC"),
    ("Ether ETFs see inflows", "ETH"),
    ("Ethereum developers set a date", "ETH"),
    ("Solana memecoins rally", "SOL"),
    ("XRP jumps after ruling", "XRP"),
    ("Ripple wins in court", "XRP"),
    ("Cardano founder speaks", "ADA"),
    ("Dogecoin spikes on a post", "DOGE"),
    ("$LINK whales accumulate", "LINK"),
    ("Chainlink expands CCIP", "LINK"),
    ("LINK gains 9% on the week", "LINK"),
    ("Near Protocol (NEAR) rallies", "NEAR"),
    ("$NEAR is up", "NEAR"),
    ("NEAR token surges after listing", "NEAR"),
    ("Harmony (ONE) bridge reopens", "ONE"),
    ("Polkadot parachain auction", "DOT"),
    ("DOT price slides", "DOT"),
    ("The Sandbox opens land sale", "SAND"),
    ("Decentraland traffic falls", "MANA"),
    ("Cosmos hub upgrade passes", "ATOM"),
    ("Optimism (OP) unlock looms", "OP"),
    ("ApeCoin DAO votes", "APE"),
    ("Bitcoin Cash forks again", "BCH"),
    ("Ethereum Classic hashrate drops", "ETC"),
    ("Largest BTCUSDT position liquidated", "BTC"),
    ("Tether mints $1B", "USDT"),
    ("Shiba Inu burn rate soars", "SHIB"),
    ("Polygon (MATIC) upgrade", "POL"),
    ("Avalanche subnet launches", "AVAX"),
    ("Terra's LUNA collapses", "LUNA"),
    ("Celsius (CEL) freezes withdrawals", "CEL"),  # the company alone is not CEL (decision 039)
    ("Price analysis 2/4: BTC, ETH, ADA, DOT, AVAX", "ADA"),
    ("Price analysis 2/4: BTC, ETH, ADA, DOT, AVAX", "DOT"),
    ("LUNA, ZEC, QNT, and FTM are down", "FTM"),
]


@pytest.mark.parametrize(("text", "tag"), HITS)
def test_coin_is_tagged(text: str, tag: str) -> None:
    assert tag in infer_tags(text)


FALSE_HITS = [
    ("Gold traded NEAR record highs", "NEAR"),
    ("Stocks moved near record highs", "NEAR"),
    ("This is ONE of the biggest weeks", "ONE"),
    ("one of the largest funds", "ONE"),
    ("Click the link in our bio", "LINK"),
    ("Gas prices in Europe rise", "GAS"),
    ("GAS STATIONS SEE RECORD DEMAND IN WINTER", "GAS"),
    ("The op-ed argues for patience", "OP"),
    ("Build castles in the sand", "SAND"),
    ("Manna from heaven for mana users", "MANA"),
    ("The dot on the chart", "DOT"),
    ("Connect the DOT on the chart", "DOT"),
    ("An atom of doubt", "ATOM"),
    ("Cash flow matters", "FLOW"),
    ("Apes together strong, said an ape", "APE"),
    ("Stellar results at the bank", "XLM"),
    ("An avalanche of selling hit stocks", "AVAX"),
    ("A ripple effect across markets", "XRP"),
    ("Ten tons of gold moved", "TON"),
    ("The MOVE looks more like a pause", "MOVE"),
    ("TRUMP SPEAKS AT DAVOS", "TRUMP"),
    ("President Trump speaks at Davos", "TRUMP"),
    ("Tethered to a rope, the climbers rose", "ETH"),
    ("Tethered to a rope, the climbers rose", "USDT"),
    ("Markets are NOT convinced", "NOT"),
    ("The S&P 500 and SPX futures fell", "SPX"),
    ("BITCOIN HOLDERS ARE NEAR A DECISION", "NEAR"),
    ("Uni students learn about markets", "UNI"),
    ("Sony's Compound interest tool", "COMP"),
    ("BTC and ONE of the best weeks", "ONE"),
    ("BTC rallies; NEAR record highs now", "NEAR"),
    ("Company auctions a Mickey Mantle card NFT", "MNT"),
]


@pytest.mark.parametrize(("text", "tag"), FALSE_HITS)
def test_common_words_are_not_coins(text: str, tag: str) -> None:
    assert tag not in infer_tags(text)


TOPICS = [
    ("SEC sues exchange over unregistered securities", "REGULATION"),
    ("Spot bitcoin ETF approval expected", "ETF"),
    ("Exchange-traded funds drew inflows", "ETF"),
    ("DeFi lending protocol TVL doubles", "DEFI"),
    ("Bored Ape NFT sales slump", "NFT"),
    ("Bridge exploit drains $100M", "HACK"),
    ("Hackers stole funds from a hot wallet", "HACK"),
    ("USDC stablecoin supply grows", "STABLECOIN"),
    ("Tether mints $1B", "STABLECOIN"),
    ("Miners sell as hashrate climbs", "MINING"),
    ("Binance lists a new token", "EXCHANGE"),
    ("Fed rate cut odds rise after CPI", "MACRO"),
    ("Bitcoin price rallies", "MARKET"),
    ("Liquidations top $400M", "MARKET"),
    ("Airdrop season returns", "AIRDROP"),
    ("Digital euro pilot expands", "CBDC"),
    ("Liquid staking grows", "STAKING"),
]


@pytest.mark.parametrize(("text", "tag"), TOPICS)
def test_topic_is_tagged(text: str, tag: str) -> None:
    assert tag in infer_tags(text)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("The federal government was fed up with delays", "MACRO"),
        ("The secretary said", "REGULATION"),
        ("A new exchange rate for the euro", "EXCHANGE"),
    ],
)
def test_topic_false_hits(text: str, tag: str) -> None:
    assert tag not in infer_tags(text)


def test_tags_are_ordered_coins_by_mentions_then_topics() -> None:
    tags = infer_tags("Solana and Ethereum rally\nEthereum and ETH lead while Solana lags. ETH!")
    assert tags[:2] == ("ETH", "SOL")
    assert tags[2:] == ("MARKET",)
    assert all(tag == tag.upper() for tag in tags)


def test_tagger_knows_at_least_the_hundred_largest_coins() -> None:
    known = default_tagger().known_tags
    coins = known - {"MARKET", "ETF", "DEFI", "NFT", "REGULATION", "HACK", "STABLECOIN"}
    assert len(coins) >= 100
    for ticker in ("BTC", "ETH", "USDT", "XRP", "BNB", "SOL", "USDC", "DOGE", "ADA", "TRX"):
        assert ticker in known


def test_tagger_rejects_unknown_guard() -> None:
    with pytest.raises(ValueError, match="unknown guard"):
        Tagger([["ABC", "sometimes", "abc", "-"]], [])


SENTIMENT = [
    ("Bitcoin surges to a record high", Sentiment.POSITIVE),
    ("Ether rallies as ETF inflows accelerate", Sentiment.POSITIVE),
    ("SEC approves spot bitcoin ETFs", Sentiment.POSITIVE),
    ("Bitcoin plunges as liquidations top $1B", Sentiment.NEGATIVE),
    ("Exchange hacked, $200M stolen", Sentiment.NEGATIVE),
    ("Bridge exploit drains funds", Sentiment.NEGATIVE),
    ("ETF outflows deepen as bitcoin slides", Sentiment.NEGATIVE),
    ("Bitcoin is not bullish anymore", Sentiment.NEGATIVE),
    ("Bitcoin fails to recover above $90K", Sentiment.NEGATIVE),
    ("Bitcoin is no longer rallying", Sentiment.NEGATIVE),
    ("Traders are not optimistic about a recovery", Sentiment.NEGATIVE),
    ("Solana isn't bullish this week", Sentiment.NEGATIVE),
    ("Bitcoin has yet to recover", Sentiment.NEGATIVE),
    ("This dip is not a crash", Sentiment.POSITIVE),
    ("Bitcoin did not fall after the hearing", Sentiment.POSITIVE),
    ("No hack: funds are safe, exchange says", Sentiment.POSITIVE),
    ("Bitcoin rally stalls below $100K", Sentiment.NEGATIVE),
    ("Bitcoin slips slightly, but rebounds strongly to a new high", Sentiment.POSITIVE),
    ("Despite the crash, bitcoin rallies to a weekly high", Sentiment.POSITIVE),
    ("Coinbase publishes its quarterly report", Sentiment.NEUTRAL),
    ("What is a blockchain oracle?", Sentiment.NEUTRAL),
    ("Bitcoin holds steady ahead of CPI data", Sentiment.NEUTRAL),
]


@pytest.mark.parametrize(("text", "expected"), SENTIMENT)
def test_lexicon_reads_negation_and_contrast(text: str, expected: Sentiment) -> None:
    """The lexicon (one of the trained model's inputs) on its own."""
    assert default_sentiment_model().classify(text) is expected


def test_intensifiers_scale_and_negation_flips() -> None:
    model = SentimentModel([("surge", 2.0)])
    plain = model.score("prices surge")
    assert model.score("prices surge sharply") == pytest.approx(plain)  # after: no effect
    assert model.score("a massive surge") > plain
    assert model.score("a slightly surge") < plain
    assert model.score("no surge") < 0


def test_phrases_beat_their_first_word() -> None:
    model = SentimentModel([("week high", 1.5), ("rally", 2.0), ("rally stalls", -1.5)])
    assert model.score("a 7-week high") > 0  # a first word with only a phrase
    assert model.score("the rally") > 0
    assert model.score("the rally stalls") < 0
    assert model.score("week") == 0


def base_article(**changes: object) -> Article:
    article = Article(
        title="Bitcoin plunges as exchange hack drains $200M",
        source_key="x",
        source_name="X",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary="Hackers stole funds from Binance.",
    )
    return replace(article, **changes)  # type: ignore[arg-type]


def test_enrich_fills_only_what_was_not_given() -> None:
    filled = enrich_article(base_article(), frozenset())
    assert filled.sentiment is Sentiment.NEGATIVE
    assert "BTC" in filled.tags and "HACK" in filled.tags and "EXCHANGE" in filled.tags
    assert set(filled.inferred) == {"tags", "sentiment", "lang"}
    given = base_article(tags=("NEWS",), sentiment=Sentiment.POSITIVE, lang="de")
    kept = enrich_article(given, frozenset({"tags", "sentiment", "lang"}))
    assert (kept.tags, kept.sentiment, kept.lang) == (("NEWS",), Sentiment.POSITIVE, "de")
    assert kept.inferred == ()


def test_enrich_keeps_earlier_inferred_fields_once() -> None:
    article = base_article(inferred=("published_at", "tags"))
    assert enrich_article(article, frozenset()).inferred == (
        "published_at",
        "tags",
        "sentiment",
        "lang",
    )


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bitcoin rose on Monday as the market waited for the Fed.", "en"),
        ("El bitcoin sube mientras los inversores esperan a la Fed y el mercado", "es"),
        ("Der Bitcoin steigt und die Anleger warten auf die Fed, sagt der Analyst", "de"),
        ("Le bitcoin grimpe et les investisseurs attendent la Fed pour la suite", "fr"),
        ("Биткоин вырос на фоне ожиданий", "ru"),
        ("比特币价格上涨", "zh"),
        ("ビットコインが上昇した", "ja"),
        ("BTC", "en"),
    ],
)
def test_language_guess(text: str, lang: str) -> None:
    assert guess_lang(text) == lang
