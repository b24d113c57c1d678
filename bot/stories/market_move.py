"""Market moves as structured facts: which asset moved which way, reported as news.

Why: on multi-outlet days one price move is reported by 15-26 articles (labels' rule 5:
one story per asset, direction and UTC day; liquidation totals join the move they are
tied to; opposite moves apart). Pair evidence cannot hold them together (different
totals and price levels, cosines 0.0-0.6 between members; decision 041), so the story
rule joins them on this key instead (decision 045). Pure and cheap (one regex pass over
the headline); read from the headline only, so every process derives the same key from
the stored row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

# Headline words naming an asset -> the asset the move is filed under. The whole market
# ("crypto", "markets") moves with bitcoin in the labels (rule 5 groups them).
ASSETS: dict[str, str] = {
    "bitcoin": "BTC",
    "btc": "BTC",
    "crypto": "BTC",
    "cryptocurrency": "BTC",
    "cryptocurrencies": "BTC",
    "markets": "BTC",
    "market": "BTC",
    "ether": "ETH",
    "ethereum": "ETH",
    "eth": "ETH",
    "xrp": "XRP",
    "ripple": "XRP",
    "solana": "SOL",
    "sol": "SOL",
    "dogecoin": "DOGE",
    "doge": "DOGE",
    "cardano": "ADA",
    "ada": "ADA",
    "bnb": "BNB",
    "hype": "HYPE",
    "hyperliquid": "HYPE",
    "gold": "GOLD",
    "silver": "SILVER",
    "stocks": "STOCKS",
    "dow": "STOCKS",
    "nasdaq": "STOCKS",
    "s&p": "STOCKS",
    "treasuries": "BONDS",
    "terra": "LUNA",
    "luna": "LUNA",
    "yields": "BONDS",
}
_UP = (
    r"surg\w*|soar\w*|jump\w*|rall(?:ies|ied|ying)|climb\w*|gain(?:ed|ing)|gains? (?:\d|\$)"
    r"|spik\w*|pump\w*|rebound\w*"
    r"|recover\w*|reclaim\w*|ris(?:e|es|ing)|rose|skyrocket\w*|tops|topped|explod\w*|rip\w*"
    r"|blast\w*|flying|breaks? (?:above|out)|hits? (?:\$|record|highest|new high|\d+-\w+ high)"
    r"|(?:record|multi-\w+|\d+-\w+|\w+-month|\w+-week) highs?|highest|lifts?|best day|squeez\w*"
    r"|notch\w* best|moon\w*|extends? (?:rally|gains)|up|cross\w* (?:above )?\$|adds? (?:over )?\$"
    r"|breaks? \$|reach(?:es|ed)? (?:\$|record|new high)|set for (?:its )?best|opens? higher"
    r"|leads? (?:\w+ )?(?:gains|gainers|rally)"
)
_DOWN = (
    r"fall\w*|fell|drop\w*|plung\w*|crash(?:es|ed|ing)|tumbl\w*|slid\w*|slip\w*|slump\w*"
    r"|dip|dips|dipped"
    r"|sink\w*|sank|collaps\w*|bleed\w*|plummet\w*|shed\w*|crater\w*|spiral\w*|erases?|erasing"
    r"|wipes? out (?:\w+ )?gains|lowest|(?:\d+-\w+|\w+-month|\w+-year|year) lows?"
    r"|loses? (?:\$[\d,.]+k? )?support|selloff|sell-off|capitulat\w*|free-falls?|freefall\w*"
    r"|round trips?|tanks?|down \d|biggest loser|worst (?:one-)?(?:day|drop|week)|dumps?"
    r"|down|breaks? below|below \$|under \$|extends? (?:selloff|sell-off|losses)"
    r"|hits? (?:lowest|\d+-\w+ low|\w+-month low|\w+-year low)"
    r"|lost (?:all (?:of )?)?(?:its )?(?:\w+ )?gains|opens? lower|leads? (?:\w+ )?(?:losses|losers)"
)
_LIQ_UP = r"shorts|bearish (?:\w+ )?bets|short liquidations?|short squeeze"
_LIQ_DOWN = r"longs|long positions|bullish bets|long liquidations?"
_MOVE_RE = re.compile(rf"(?:(?P<up>{_UP})|{_DOWN})(?![a-z])")  # one match for both
_SIDE_UP = re.compile(rf"\b(?:{_LIQ_UP})\b")
_SIDE_DOWN = re.compile(rf"\b(?:{_LIQ_DOWN})\b")
_TOKEN = re.compile(r"s&p|'s|\$?[a-z0-9][a-z0-9.,$%-]*")
# Words between an asset and its verb that do not change the subject ("Bitcoin price hits").
FILLER = frozenset(
    "price prices briefly (btc) (eth) (xrp) (sol) 's now just also finally again sharply is "
    "token coin network has going becomes suddenly".split()
)
_OWNED = frozenset(ASSETS) | {"price", "prices"}  # "Ripple's XRP", "Bitcoin's price drops"
SUBJECT_SPAN = 3  # the asset must be among the head's first words: it is the subject
# Words that may stand before the asset without being the headline's subject themselves.
PREFIX = frozenset("the live updates breaking ripple-linked us u.s.".split())
# Not news of a move: forecasts, hedged or conditional claims, analysis of indicators, a
# trader's call (labels' rule 5, 2026 clarifications: forecasts, TA, price predictions,
# on-chain and derivatives analysis stay singletons; Fear & Greed pieces apart).
NOT_NEWS = re.compile(
    r"\b(?:could|may|might|would|will|eyes?|eyeing|targets?|predict\w*|prediction\w*|forecast\w*"
    r"|expect\w*|if|should|watch|analysis|analyst says|technical|chart|pattern|indicator\w*"
    r"|rsi|macd|ema|sma|moving average|fibonacci|on-?chain|metrics?|signals?|funding rates?"
    r"|open interest|options|futures|fear (?:&|and) greed|sentiment|risk of|odds|bets? on"
    r"|how (?:high|low|far)|where (?:next|is)|next\??|outlook|setup|to watch|key levels?"
    r"|bottom|top\?|ahead|month(?:ly)? close|price prediction|says|warns?|calls?"
    r"|reasons?|vs\.?|analysts?|then|in (?:19|20)\d\d)\b|\?"
)
QUESTION_START = re.compile(r"^(?:why|how|what|when|can|will|is|are|should|could|does|do)\b")
# The core of the main clause: hedges and TA words after it ("Bitcoin slides below $33K,
# analysts look for a bottom") do not make the reported move a forecast.
_CORE_END = re.compile(r",\s| as | but | amid | after | with | while | despite | on ")
_LABEL = re.compile(r"(?:update|updates|breaking|market watch|price today|chart|\?)$")
# "Bitcoin reclaims $69K – Is $76K next?"; "Is the bottom in? Bitcoin tests ..."; "Bitcoin
# price round trips Trump gains. Here's how low analysts say it's headed"
_CLAUSE = re.compile(r"\s[–—|]\s|:\s|\s-\s")
_CLAUSE_MORE = re.compile(r"\s[–—|]\s|:\s|\s-\s|(?<=\?)\s|(?<=[a-z]{2})\.\s")
# "Why is the crypto market up today?" explainers of the day's move join it (the tune and
# cnth labellers; holdout.md: explainers join when their subject is the event others report).
_EXPLAINER = re.compile(r"^why (?:is|are|did|has|have) (.+?)\??$")
# A moving average as the level a move crosses ("Bitcoin reclaims 200-day moving average")
# states a move, not an analysis: read it as a price level.
_MA_LEVEL = re.compile(
    r"\b(reclaim\w*|breaks? (?:above|below)|hits?|tops|falls? below|loses?) (?:the |its )?"
    r"\d+-(?:day|week) (?:moving average|ema|sma)\b"
)
_LIQUIDATION = re.compile(r"\bliquidat\w*|\brekt\b|wiped out|get wiped")


def _asset(word: str) -> str | None:
    word = word.strip(",.")
    return ASSETS.get(word[:-2] if word.endswith("'s") else word)


def _direction(words: list[str], i: int, asset: str) -> str:
    """ "up"/"down" when the first word after position ``i`` that is not filler starts a
    move phrase of up to five words ("hits $70K", "breaks above", "has lost all of its
    gains"), else "". Filler: "price", a ticker, the same asset's other name ("Ripple's
    XRP"), or a list of assets ("Solana, XRP prices jump", "Bitcoin, Ethereum and XRP
    prices": the first named is the subject); another possessive ("Bitcoin's rising
    leveraged position") ends the search."""
    listed = words[i].endswith(",")
    for j in range(i + 1, min(len(words), i + 8)):
        other = _asset(words[j])
        if words[j] == "'s" and j + 1 < len(words) and words[j + 1] not in _OWNED:
            return ""  # "Bitcoin's rising leveraged position": the verb is not the asset's
        if words[j] in FILLER or words[j].startswith("(") or other == asset:
            continue
        if other is not None and (listed or words[j] == "and"):
            listed = words[j].endswith(",")
            continue
        if words[j] == "and" and j + 1 < len(words) and _asset(words[j + 1]) is not None:
            listed = True  # "Bitcoin, Ethereum and XRP prices ..."
            continue
        # "hits $70K", "breaks above", "has lost all of its gains": up to five words
        found = _MOVE_RE.match(" ".join(words[j : j + 5]))
        if found is None:
            return ""
        return "up" if found.group("up") is not None else "down"
    return ""


def _subject_move(words: list[str], start: int, span: int) -> tuple[str, str] | None:
    for i in range(start, min(len(words), start + span)):
        asset = _asset(words[i])
        if asset is not None:
            direction = _direction(words, i, asset)
            return (asset, direction) if direction else None
        if words[i] not in PREFIX:
            return None  # something else is the subject ("Tether defies market slump")
    return None


def move(title: str) -> tuple[str, str] | None:
    """(asset, "up"/"down") when the headline reports a move as news, else None. The
    asset must be the headline's subject and a move verb must follow it ("Bitcoin slips
    below $70K"; not "Bhutan sells bitcoin as price falls"); a liquidation headline
    ("$1B in shorts liquidated as bitcoin surges") is the move it names, or, naming none,
    bitcoin's (shorts: up, longs: down). The main clause decides: a trailing "– Is $76K
    next?" does not make it a forecast."""
    lowered = title.lower().replace("\u2019", "'").replace("'s ", " 's ")
    if "-day " in lowered or "-week " in lowered:
        lowered = _MA_LEVEL.sub(r"\1 $1ma", lowered)
    explained = _EXPLAINER.match(lowered)
    if explained is not None:
        lowered = explained.group(1)
    more = "? " in lowered or ". " in lowered  # the longer pattern only where it can split
    clauses = (_CLAUSE_MORE if more else _CLAUSE).split(lowered)
    head = clauses[0]
    if len(clauses) > 1 and (len(head) < 14 or _LABEL.search(head)):
        head = clauses[1]  # "Live updates: Bitcoin hits $71,000 ..."
    core = _CORE_END.split(head, maxsplit=1)[0]
    if QUESTION_START.match(head) or NOT_NEWS.search(core):
        return None
    words = _TOKEN.findall(head)
    found = _subject_move(words, 0, SUBJECT_SPAN)
    if found is not None:
        return found
    if not _LIQUIDATION.search(head) and not _SIDE_UP.search(head):
        return None
    for i in range(min(3, len(words))):  # "Shiba Inu (SHIB) up 12% as short squeeze ...":
        if not _LIQUIDATION.match(words[i]) and _direction(words, i, ""):
            return None  # another asset moved ("Liquidations explode as ..." is not one)
    for i, word in enumerate(words):  # "... as bitcoin surges"
        if word == "as":
            found = _subject_move(words, i + 1, 2)
            if found is not None:
                return found
    if _SIDE_UP.search(head):
        return "BTC", "up"
    if _SIDE_DOWN.search(head) or (_LIQUIDATION.search(head) and "collaps" in head):
        return "BTC", "down"
    return None


def key(title: str, published_at: datetime) -> str:
    """ "BTC up 2026-08-20": the move's asset, direction and UTC day, or "" when the
    headline reports none (labels: a move is split at UTC midnight)."""
    found = move(title)
    if found is None:
        return ""
    day = published_at.astimezone(UTC).date().isoformat()
    return f"{found[0]} {found[1]} {day}"


_BAND_OFFSET = 1 << 62


def bands(move_key: str) -> tuple[int, ...]:
    """Two story band keys for a move (the archive's band look-up needs two shared bands):
    every article of the same move finds the move's story among its candidates, in any
    process, from the stored bands alone."""
    if not move_key:
        return ()
    out = []
    for i in range(2):
        digest = hashlib.blake2b(f"move:{move_key}:{i}".encode(), digest_size=8).digest()
        out.append((int.from_bytes(digest, "big") & ((1 << 63) - 1)) - _BAND_OFFSET)
    return tuple(out)


class _Member(Protocol):
    move: str


def same_move_story(
    move_key: str, stories: Sequence[tuple[int, Sequence[tuple[int, _Member]]]]
) -> tuple[int, int] | None:
    """(story id, member id) of the open story holding the most reports of this move
    (ties: the older story), or None. Members carry their own key, derived from their
    stored headline and time: no process-local state decides."""
    if not move_key:
        return None
    best: tuple[int, int, int] | None = None  # (-count, story id, first same-move member)
    for story_id, members in stories:
        same = [member_id for member_id, m in members if m.move == move_key]
        if same and (best is None or (-len(same), story_id) < best[:2]):
            best = (-len(same), story_id, min(same))
    return None if best is None else (best[1], best[2])
