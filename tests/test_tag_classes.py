"""Classes of coin-tag misses found on real 2021-22 news (issue 14, decision 039): each
case is a real headline or lead in, the tags a reader gave (or refused) out."""

from __future__ import annotations

import pytest

from bot.enrich.enrich import default_tagger, infer_tags

TOPICS = {"MARKET", "ETF", "DEFI", "NFT", "REGULATION", "HACK", "STABLECOIN", "AIRDROP"}


def coins(text: str) -> set[str]:
    return set(infer_tags(text)) - TOPICS


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        # The network's steward and its protocols count (labelling rules 2-4).
        ("Do Kwon and Terraform Labs to Comply With the SEC Investigation", "LUNA"),
        ("Terraform's Do Kwon refuted reports that the company owns $80 million in taxes", "LUNA"),
        ("Terra injects 450M UST into Anchor reserve days before protocol depletion", "ANC"),
        ("Anchor dev claims he warned Do Kwon over unsustainable 20% interest rate", "ANC"),
        ("75% of new stakers on the Beacon chain joined via the staking project", "ETH"),
        ("Can you earn passive income running a Lightning node?", "BTC"),
        ("The Merge is expected in September, developers said", "ETH"),
        ("OlympusDAO treasury votes on a buyback", "OHM"),
        ("Over $80 Million Stolen From DeFi Lender Rari Capital", "RGT"),
        ("Circle's USDC is now supported on the eighth blockchain, Dapper Labs' Flow", "FLOW"),
        ("Olympus Sheds 35% in Price and USD 474M in Market Cap", "OHM"),
        ("Another Compound fork has fallen victim to an exploit", "COMP"),
        ("Synthetix racks up fees as sETH and sBTC trade", "SBTC"),
        ("Polkadot parachains spike after the launch of a $250M aUSD stablecoin fund", "AUSD"),
    ],
)
def test_networks_protocols_and_stewards_tag_their_token(text: str, tag: str) -> None:
    assert tag in coins(text)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        # A word-like name at a sentence start is a coin when a move, "-based", a possessive
        # or the network's own parts follow it.
        ("Optimism loses 20M tokens after L1 and L2 confusion exploited", "OP"),
        ("Harmony Bridge Hacked, $100 Million Worth of Ethereum Lost", "ONE"),
        ("Avalanche-based game studio raises $20M", "AVAX"),
        ("Optimism's airdrop checker goes live", "OP"),
        ("PembRock is a DeFi protocol built on NEAR’s blockchain", "NEAR"),
        ("Nifty news: Sandbox LAND on Polygon, ETH gain a tax loss and more", "SAND"),
        ("Adidas enters the metaverse with a Sandbox estate", "SAND"),
    ],
)
def test_word_like_names_with_coin_context_are_coins(text: str, tag: str) -> None:
    assert tag in coins(text)


@pytest.mark.parametrize(
    ("text", "not_tag"),
    [
        ("Indian FM: Government and RBI in Complete Harmony on Crypto and CBDC", "ONE"),
        ("Argentina Launches Regulatory Sandbox for Crypto Innovators", "SAND"),
        ("Optimism is high among traders. Avalanche of news follows", "OP"),
        ("Sandbox is a word too. Hype is everywhere", "SAND"),
        ("Bitcoin mining difficulty hit yet another all-time high (ATH)", "ATH"),
        ("The controversy around the intellectual property (IP) licence of the game", "IP"),
        ("Crypto Market Maker Wintermute Raises Funds", "MKR"),
        ("Solana Labs, Smartphone Maker Osom Team up to Unveil Web3-ready Handset", "MKR"),
        (
            "New crypto litigation tracker highlights 300 cases from SafeMoon to Pepe the Frog",
            "PEPE",
        ),
        # A company whose token shares its name is not the token (labelling rules).
        ("Crypto Lender Nexo Unveils Digital Asset Prime Brokerage Unit", "NEXO"),
        ("Celsius denies allegations on Alex Mashinsky trying to flee US", "CEL"),
        ("Robinhood Domesticates Shiba Inu, Changes for Celsius Users in US", "CEL"),
    ],
)
def test_common_words_and_company_names_are_not_coins(text: str, not_tag: str) -> None:
    assert not_tag not in coins(text)


def test_a_company_token_named_as_a_token_still_tags() -> None:
    lead = "Major crypto lender Celsius Network (CEL) entered boiling hot water today."
    assert "CEL" in coins(lead)
    assert "NEXO" in coins("Nexo (NEXO) jumps 9% after the buyback")


MODERN = (
    "LINEA HYPE ENA TIA JUP PYTH WLD TAO ONDO SUI APT SEI TON PEPE WIF BONK TRUMP USDE PYUSD "
    "FDUSD MON IP W KMNO GHO CRVUSD EIGEN ETHFI BERA KAIA WLFI XPL PUMP ASTER"
).split()


@pytest.mark.parametrize("ticker", MODERN)
def test_coins_a_trader_of_2026_expects_are_known_and_tag_as_cashtags(ticker: str) -> None:
    assert ticker in default_tagger().known_tags
    assert ticker in coins(f"Traders pile into ${ticker} after the listing")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("MON rises 9% after the Monad mainnet launch", "MON"),
        ("Story Protocol opens staking for its token", "IP"),
        ("Aave's GHO supply passes $300 million", "GHO"),
        ("Curve's crvUSD grows as borrowers return", "CRVUSD"),
        ("Klaytn token down 15% in a month, but network's TVL shows resilience", "KAIA"),
        ("Binance Smart Chain and BNB Beacon Chain Unite Under a New Brand", "BNB"),
    ],
)
def test_modern_names_and_renames_tag_the_current_ticker(text: str, tag: str) -> None:
    assert tag in coins(text)


def test_the_bnb_beacon_chain_is_not_ethereum() -> None:
    assert "ETH" not in coins("Binance Smart Chain and BNB Beacon Chain Unite Under a New Brand")
