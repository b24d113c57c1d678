"""Coin tags come from the story's own words: outlet names and boilerplate tag nothing,
and a word-like ticker written with a price or a move is a ticker."""

from __future__ import annotations

import pytest

from bot.enrich.enrich import infer_tags
from bot.enrich.tagging import Tagger


def coins(text: str) -> set[str]:
    return set(infer_tags(text)) - {"MARKET", "ETF", "DEFI", "NFT", "REGULATION", "HACK"}


@pytest.mark.parametrize(
    "text",
    [
        "Strategy adds to its treasury\nThe firm told Bitcoin Magazine it will keep buying.",
        "Exchange opens in Brazil\nAs first reported by Bitcoin.com News, the venue launched.",
        "ATM operator expands\nBitcoin of America ATMs now sell Shiba Inu (SHIB).",
        "Solana DEX volume jumps\nSOL traders moved $2B. "
        "The post Solana DEX volume jumps appeared first on Bitcoin Magazine.",
        "Coinbase earnings beat\nThis article originally appeared in Bitcoin Magazine.",
    ],
)
def test_outlet_names_and_boilerplate_do_not_tag_bitcoin(text: str) -> None:
    assert "BTC" not in coins(text)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("NEAR rises 5.7% to $1.73 after sharding upgrade", "NEAR"),
        ("Price watch: NEAR at $1.73 while ETH holds", "NEAR"),
        ("$HYPE extends gains as Hyperliquid volumes climb", "HYPE"),
        ("HYPE jumps 12% after buyback", "HYPE"),
        ("Linea airdrop checker goes live\nLINEA trades at $0.02.", "LINEA"),
        ("Bitcoin and Ethereum dip, XMR and NEAR gain", "NEAR"),
        ("Price analysis 6/8: BTC, ETH, BNB, ADA, XRP, SOL, DOGE, DOT, AVAX, SHIB", "SHIB"),
        ("Kadena price soars by 40% after a major exchange listing", "KDA"),
    ],
)
def test_tickers_and_names_in_the_text_tag_their_coin(text: str, tag: str) -> None:
    assert tag in coins(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bitcoin trades near record highs as miners hold",  # "near" the word
        "One of the largest funds adds exposure",
        "Hyper-growth startups hype their tokens",
    ],
)
def test_common_words_stay_words(text: str) -> None:
    assert not ({"NEAR", "ONE", "HYPE"} & coins(text))


def test_a_name_row_marked_not_a_coin_consumes_its_words() -> None:
    tagger = Tagger([["BTC", "plain", "bitcoin", "-"], ["-", "-", "bitcoin magazine", "-"]], [])
    assert tagger.tags("Bitcoin Magazine interview") == ()
    assert tagger.tags("Bitcoin rallies, says Bitcoin Magazine") == ("BTC",)
