"""What the sentiment model sees of a headline and its lead: words that carry meaning.

Shared by run-time scoring (``sentiment_linear``) and the offline trainer
(``bench/train_sentiment.py``), so both see exactly the same features.

Why these features (they have to generalise to news the model never saw):
- Names are not memorised: coin names and tickers become ``COIN``, figures ``NUM``,
  "$70,000" ``MONEY`` and "9%" ``PCT``; what remains are verbs and subjects
  ("reclaims", "sheds", "crime", "lawsuit").
- The main clause decides: in a headline, words after "as", "despite", "amid", "after",
  "while" ... are features of their own (``s_``), so "XRP rallies as court rejects
  appeal" is read through "rallies", not "rejects".
- Negation is scoped: up to three words after "not", "no", "fails to", "n't" get a
  ``not_`` prefix.
- Direction with its subject: "crime soared", "losses surge", "outflows jump" go down
  for a trader, "fears ease" and "losses shrink" go up: such a verb is rewritten to
  "worsens" / "improves" before any feature is taken (cue lists in
  ``bot/data/sentiment_cues.tsv``), and the signed ``dir_*`` values count moves; the
  crypto lexicon score (``SentimentModel``) of each part is a value too, so a verb the
  training set never saw still counts when the lexicon knows it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import pairwise

from bot.enrich.sentiment import SentimentModel
from bot.enrich.tokens import tokenize

_MONEY = re.compile(
    r"(?<!\w)(?:US)?\$\s?\d[\d,.]*\s?(?:[kmbt]n?|million|billion|trillion)?\b", re.I
)
_PCT = re.compile(r"(?<!\w)[+-]?\d[\d,.]*\s?(?:%|percent\b|per cent\b)", re.I)
_CLAUSE_BREAK = frozenset(".!?;:,")
_SUBORDINATORS = frozenset(
    "as despite amid after while though although even whereas since before until "
    "because notwithstanding".split()
)
_NEGATORS = frozenset(
    "not no never without cannot cant 't neither nor unable fails fail failed failing "
    "reverse reverses reversed reversing erases erased trims trimmed pares pared".split()
)
# "can't stop rising", "no end to the rally": a negated stop is a move that goes on.
_STOPS = frozenset("stop stops stopping halt end".split())
NEGATION_SPAN = 3
LEXICON_CLIP = 4.0
# The lead the model reads: about what it was trained on (the labelled leads are one or
# two sentences, 130 characters on average, 171 at the 90th percentile), so a long article
# body cannot outweigh its headline; the rest is never tokenised.
LEAD_CHARS = 240
LEAD_WORDS = 40


@dataclass(frozen=True, slots=True)
class Cues:
    """Word lists from ``sentiment_cues.tsv``: direction verbs and subjects whose rise is bad."""

    up: frozenset[str]
    down: frozenset[str]
    bad: frozenset[str]
    coins: frozenset[str]
    seen: dict[str, str] = field(default_factory=dict, compare=False)  # token -> word

    @classmethod
    def from_package_data(cls) -> Cues:
        sets: dict[str, set[str]] = {"up": set(), "down": set(), "bad": set()}
        text = resources.files("bot").joinpath("data", "sentiment_cues.tsv").read_text("utf-8")
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            kind, words = line.split("\t", 1)
            sets[kind].update(words.split())
        return cls(
            frozenset(sets["up"]),
            frozenset(sets["down"]),
            frozenset(sets["bad"]),
            _coin_words(),
        )


def _coin_words() -> frozenset[str]:
    """Lower-case tickers and one-word coin names from ``coins.tsv`` (English words such
    as "near" or "link" only count as coins when written in capitals, see ``_normal``)."""
    text = resources.files("bot").joinpath("data", "coins.tsv").read_text("utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        words.update(f"${t.lower()}" for t in cells[0].split("|"))
        if len(cells) > 1 and cells[1] == "plain":
            words.update(t.lower() for t in cells[0].split("|"))
        for name in cells[2].split("|") if len(cells) > 2 and cells[2] != "-" else ():
            if not name.startswith("~") and " " not in name:
                words.add(name.lower())
    return frozenset(words)


def _prepare(text: str) -> str:
    if "$" in text:
        text = _MONEY.sub(" MONEYNUM ", text)
    if "%" in text or "per" in text:
        text = _PCT.sub(" PCTNUM ", text)
    return text


_PLACEHOLDERS = {"moneynum": "MONEY", "pctnum": "PCT"}
_CACHE_LIMIT = 200_000


def _normal(raw: str, low: str, coins: frozenset[str]) -> str:
    """One token as a feature word ("" to drop it): coins, figures and amounts generic."""
    if low in coins or (len(raw) > 2 and raw.isupper() and "$" + low in coins):
        return "COIN"
    if low.isalpha():
        return _PLACEHOLDERS.get(low, low)
    if low[0].isdigit():
        return "NUM"
    if low[0] == "'":
        return low if low == "'t" else ""
    return low


def _words(text: str, cues: Cues) -> list[str]:
    """Lower-case words with coins, figures, amounts and percentages made generic; each
    distinct token is worked out once per process (``cues.seen``), then looked up."""
    raw, low = tokenize(_prepare(text))
    seen = cues.seen
    if len(seen) > _CACHE_LIMIT:
        seen.clear()
    out = []
    for r, w in zip(raw, low, strict=True):
        word = seen.get(r)
        if word is None:
            word = seen[r] = _normal(r, w, cues.coins)
        if word:
            out.append(word)
    return out


def _split_main(words: list[str]) -> tuple[list[str], list[str]]:
    """A headline's main clause and the rest: the rest starts at the first subordinator
    ("as", "despite") or at a comma after three or more words ("Bitcoin and Ethereum Move
    Lower, QNT Rallies": the first clause is the market, the second one coin). A headline
    that opens with one ("Despite Meta's Plunge, Metaverse Tokens Surge") has its main
    clause after the first comma."""
    if words and words[0] in _SUBORDINATORS:
        for i, word in enumerate(words):
            if word in (",", ";", ":"):
                return words[i + 1 :], words[:i]
        return words, []
    for i, word in enumerate(words):
        if i > 0 and word in _SUBORDINATORS:
            return words[:i], words[i:]
        if i >= 3 and word in (",", ";", ":", "—", "-"):
            return words[:i], words[i:]
    return words, []


def _reframe(words: list[str], cues: Cues) -> list[str]:
    """A move after a subject whose rise is bad news is read for what it means to a
    trader: "crime soared" -> "crime worsens", "losses shrink" -> "losses improves"."""
    out = list(words)
    bad_at = -10
    for i, word in enumerate(words):
        if word in _CLAUSE_BREAK or word in _SUBORDINATORS or word == "COIN":
            bad_at = -10  # a new clause or a new subject
            continue
        if word in cues.bad:  # "outflows" is a subject here, not a move
            bad_at = i
        elif (word in cues.up or word in cues.down) and (
            i - bad_at <= 4 or _bad_next(words, i, cues)
        ):
            out[i] = "worsens" if word in cues.up else "improves"
    return out


# a move right before these is a price move ("jumps, shorts ..."), not what they do
_NOT_OBJECTS = frozenset("short shorts bear bears".split())


def _bad_next(words: list[str], i: int, cues: Cues) -> bool:
    """A move right before a bad subject: "increased losses", "higher rates"."""
    nxt = words[i + 1] if i + 1 < len(words) else ""
    return nxt in cues.bad and nxt not in _NOT_OBJECTS


# "shrugs off fears", "casts off dip": the move after it did not happen to the subject
_SHRUGS = frozenset(
    "shrug shrugs shrugged shrugging cast casts casting shake shakes shook shaking "
    "brush brushes brushed brushing".split()
)


def _negates(words: list[str], i: int) -> bool:
    word = words[i]
    if word == "off":
        return i > 0 and words[i - 1] in _SHRUGS
    return word in _NEGATORS and not _stop_next(words, i)


# Rejecting a rule against crypto is good news ("Ban Idea Rejected", "EU Says No to
# Provisions Restricting Bitcoin"); rejecting a fund or licence bad ("ETF Trust Denied").
_VETO = frozenset(
    "reject rejects rejected rejecting deny denies denied denial dismiss dismisses dismissed "
    "overturn overturns overturned veto vetoes vetoed scrap scraps scrapped block blocks "
    "blocked".split()
)
_RULES_AGAINST = frozenset(
    "ban bans banning restriction restrictions restricting restrictive crackdown tax taxes "
    "lawsuit lawsuits charges suit complaint".split()
)
_WANTED = frozenset("etf etfs etp etps trust application approval listing licence license".split())
VETO_SPAN = 4


def _veto(words: list[str]) -> float:
    """+1 per rejected rule against crypto, -1 per rejected fund, listing or licence (the
    nearest of either within four words of "rejects", "denied", "says no to" decides)."""
    total = 0.0
    for i, word in enumerate(words):
        said_no = word == "no" and i > 0 and words[i - 1] in ("says", "say", "said")
        if word not in _VETO and not said_no:
            continue
        for d in range(1, VETO_SPAN + 1):
            near = [j for j in (i + d, i - d) if 0 <= j < len(words)]
            if any(words[j] in _CLAUSE_BREAK for j in near):
                break
            hit = [words[j] for j in near if words[j] in _RULES_AGAINST | _WANTED]
            if hit:
                total += 1.0 if hit[0] in _RULES_AGAINST else -1.0
                break
    return total


def _direction(words: list[str], cues: Cues) -> float:
    """+1 per up verb (or "improves"), -1 per down verb (or "worsens"), flipped and damped
    after a negator ("fails to rally")."""
    total = 0.0
    neg_at = -10
    for i, word in enumerate(words):
        if word in _CLAUSE_BREAK:
            neg_at = -10
            continue
        up = word in cues.up or word == "improves"
        sign = 1.0 if up else -1.0 if word in cues.down or word == "worsens" else 0.0
        if sign:
            if i - neg_at <= NEGATION_SPAN:
                sign = -sign * 0.7
            total += sign
        if _negates(words, i):
            neg_at = i
    return total + _veto(words)


def _stop_next(words: list[str], i: int) -> bool:
    return i + 1 < len(words) and words[i + 1] in _STOPS


_INFLOW = frozenset("inflow inflows".split())
_OUTFLOW = frozenset("outflow outflows".split())
# What a fund does with money: "ETFs shed $1B", "funds bleed", "GBTC draws $200M".
_FUNDS = frozenset("etf etfs etp etps fund funds products trust trusts gbtc ibit".split())
_FUND_OUT = frozenset("shed sheds shedding bleed bleeds bleeding lose loses lost losing".split())
_FUND_IN = frozenset("draw draws drew attract attracts attracted add adds added".split())
_EXCHANGES = frozenset("exchange exchanges cex cexs".split())
_SLOWS = frozenset(
    "slow slows slowed ease eases eased shrink shrinks shrank cool cools cooled "
    "reverse reverses reversed end ends ended halt halts halted".split()
)


def _flow(words: list[str]) -> float:
    """Money into (+1) or out of (-1) funds: "inflows", "outflows", "ETFs shed $1B";
    a flow that slows or ends counts the other way ("outflows slow": good news), and so
    does a flow of coins into or out of exchanges ("exchange outflows" are coins
    withdrawn to hold, as the labelling rules read them). Fund flows move prices, and
    2021-22 news (the training set) has few of them."""
    total = 0.0
    fund_at = -10
    for i, word in enumerate(words):
        if word in _CLAUSE_BREAK:
            fund_at = -10
            continue
        sign = 0.0
        if word in _INFLOW:
            sign = 1.0
        elif word in _OUTFLOW:
            sign = -1.0
        elif word in _FUNDS:
            fund_at = i
        elif i - fund_at <= 3 and word in _FUND_OUT:
            sign = -1.0
        elif i - fund_at <= 3 and word in _FUND_IN:
            sign = 1.0
        if sign and any(w in _SLOWS for w in words[i + 1 : i + 4]):
            sign = -sign
        if sign and word in _INFLOW | _OUTFLOW and _EXCHANGES & set(words[max(0, i - 3) : i + 3]):
            sign = -sign  # coins into exchanges are coins to sell; out of them, coins held
        total += sign
    return total


_SHORT_SIDE = frozenset("short shorts bears bearish".split())
_LONG_SIDE = frozenset("long longs bulls bullish".split())
_LIQUIDATED = frozenset(
    "liquidated liquidation liquidations liquidate wiped wipe wipes rekt squeeze squeezed "
    "squeezes decimated burned crushed trapped lose loses lost".split()
)


def _liquidation(words: list[str]) -> float:
    """Which side of the market was forced out: shorts liquidated or squeezed is a price
    that rose (+1), longs liquidated one that fell (-1), whatever "liquidations" alone
    would suggest. Record liquidations are daily 2024-26 news, rare in the training set."""
    total = 0.0
    for i, word in enumerate(words):
        if word not in _LIQUIDATED:
            continue
        near = words[max(0, i - 4) : i + 6]
        if any(w in _SHORT_SIDE for w in near):
            total += 1.0
        elif any(w in _LONG_SIDE for w in near):
            total -= 1.0
    return total


def _grams(prefix: str, words: list[str], bigrams: bool, out: dict[str, float]) -> None:
    marked = []
    negated = 0
    for i, word in enumerate(words):
        if word in _CLAUSE_BREAK:
            negated = 0
            marked.append("|")
            continue
        if negated:
            marked.append("not_" + word)
            negated -= 1
        else:
            marked.append(word)
        if _negates(words, i):
            negated = NEGATION_SPAN
    for word in marked:
        if word != "|":
            out[prefix + word] = 1.0
    if bigrams:
        for a, b in pairwise(marked):
            if a != "|" and b != "|":
                out[f"{prefix}{a}_{b}"] = 1.0


def _clip(value: float) -> float:
    return max(-LEXICON_CLIP, min(LEXICON_CLIP, value)) / 2.0


EMBEDDING_SCALE = 2.0  # chosen by 5-fold cross-validation on tune (1, 2, 4 tried)
EMBEDDING_NAMES = tuple(f"emb{i}" for i in range(1024))


def features(
    title: str,
    lead: str,
    lexicon: SentimentModel,
    cues: Cues,
    vector: Sequence[float] | None = None,
) -> dict[str, float]:
    """Sparse named features of one article: indicator words/bigrams plus a few values,
    and, when given, the headline's static sentence vector (``bot.stories.embedding``:
    meaning beyond the words the training set happened to contain)."""
    title_raw = _words(title, cues)
    title_words = _reframe(title_raw, cues)
    if len(lead) > LEAD_CHARS:
        lead = lead[: lead.rfind(" ", 0, LEAD_CHARS) + 1 or LEAD_CHARS]
    lead_raw = _words(lead, cues)[:LEAD_WORDS]
    lead_words = _reframe(lead_raw, cues)
    main, sub = _split_main(title_words)
    out: dict[str, float] = {"bias": 1.0}
    _grams("t_", main, True, out)
    _grams("s_", sub, False, out)
    _grams("l_", lead_words, False, out)
    out["lex_main"] = _clip(lexicon.score_tokens(main))
    out["lex_sub"] = _clip(lexicon.score_tokens(sub))
    out["lex_lead"] = _clip(lexicon.score_tokens(lead_words))
    out["dir_main"] = _clip(_direction(main, cues))
    out["dir_sub"] = _clip(_direction(sub, cues))
    out["dir_lead"] = _clip(_direction(lead_words, cues))
    flow = _clip(_flow(title_words))  # in and out apart: each class weighs them its own way
    out["flow_in"], out["flow_out"] = max(flow, 0.0), max(-flow, 0.0)
    out["liq"] = _clip(_liquidation(title_raw) + _liquidation(lead_raw) / 2)
    if title.rstrip().endswith("?"):
        out["question"] = 1.0
    if vector is not None:
        for name, value in zip(EMBEDDING_NAMES, vector, strict=False):
            out[name] = float(value) * EMBEDDING_SCALE
    return {name: value for name, value in out.items() if value}
