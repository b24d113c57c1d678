"""The learned "same event?" pair score of the semantic story rule (decision 022).

Why a learned score over many small features: outlets word one event differently, so no
single cue decides. A logistic model over cues a reader uses weighs them:
- meaning: cosines of the title and title+lead static vectors (``embedding.py``);
- rare shared words: overlap of the two texts' content words weighted by how rare each
  word is in crypto news (``bot/data/story_idf.tsv``; an unseen word counts as rarest, so
  a new company's name is strong evidence), and the rarest word shared;
- the actor: shared names (capitalised words that are not generic);
- the event type: the kind of action in each headline (launch, hack, enforcement, raise,
  purchase, listing, court, halt, resume, ...): the same kind is evidence, two different
  kinds or opposite price moves count against;
- figures: a shared figure is weak evidence only, two different totals count against, so a
  shared "$180M" alone cannot merge two events;
- time apart, same outlet (an outlet does not report one event twice), and roundup or
  opinion/explainer headlines (singletons by the labelling rules).
The weights are fitted by ``bench/tune_stories.py`` on the `tune` half of
bench/data/stories_real only and shipped as plain data (``story_pair_model.json``).
"""

from __future__ import annotations

import json
import math
import operator
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from bot.models import tuple_state
from bot.stories import grouping

# The event kinds a headline can carry: its words (lower-cased), "x*" = any word starting
# with x, "x_y" = two words in a row. Words, not one regex per kind: ~10x cheaper.
EVENTS: dict[str, str] = {
    "launch": "launch* debut* unveil* introduc* rollout* roll_out rolls_out rolled_out "
    "goes_live go_live went_live",
    "hack": "hack* exploit* stole* steal* drain* attacker* breach* theft* phish* rug* heist* scam*",
    "enforce": "fine fined fines penalt* cease* desist* charg* warning* crackdown* probe* "
    "investigat* subpoena* enforcement* sanction*",
    "court": "court* judge* ruling* rule ruled rules lawsuit* sue sued sues suing settle* "
    "verdict* appeal* class_action plead* plea sentenc* indict* arrest* extradit* jail* prison*",
    "raise": "rais* funding* round series_a series_b series_c series_d seed valuation* unicorn* "
    "backed",
    "buy": "buy* bought purchas* acquir* acquisition* takeover* add adds added stake",
    "sell": "sell* sold dump* offload*",
    "list": "list lists listed listing listings delist*",
    "partner": "partner* team_up teams_up teamed_up collaborat* integrat* join_forces "
    "joins_forces deal",
    "up": "surg* soar* jump* rally rallies rallied climb* gain* spike* pump* record_high "
    "all-time_high ath rebound* recover* reclaim* above high highs highest rise rises rising "
    "rose skyrocket*",
    "down": "fall falls falling fell drop* plung* crash* tumbl* slid slide* slump* dip dips "
    "dipped sink* sank below low lows lowest liquidat* collaps* depeg* de-peg* loses_peg bleed* "
    "plummet* shed*",
    "report": "report* survey* study studies research* data finds findings index poll",
    "halt": "halt* pause* suspend* freez* froze stop stops stopped",
    "resume": "resum* reopen* restor* re-enabl* unfreez*",
    "approve": "approv* greenlight* green_light licen* regist* authori* permit* grant*",
    "reject": "reject* deny denies denied refus* dismiss* block*",
    "law": "bill bills law laws legislat* regulat* framework* executive_order act proposal* "
    "propos*",
    "macro": "inflation cpi fed fomc rate_hike interest_rate jobs_report payroll* gdp",
    "jobs": "layoff* lay_off laid_off job_cuts staff* hiring hire hires",
}
_EXACT: dict[str, set[str]] = {}
_PREFIX: dict[str, set[str]] = {}
for _kind, _entries in EVENTS.items():
    for _entry in _entries.split():
        _table = _PREFIX if _entry.endswith("*") else _EXACT
        _table.setdefault(_entry.rstrip("*").replace("_", " "), set()).add(_kind)
_LONGEST_PREFIX = max(map(len, _PREFIX))
_TITLE_WORD = re.compile(r"[a-z0-9][a-z0-9'+.-]*[a-z0-9+]|[a-z0-9]")
OPINION_WORDS = frozenset(
    """opinion opinions explained explainer explains explain interview guide here's heres
    predict predicts prediction predictions forecast forecasts could might may analyst
    analysts vs sponsored review lesson lessons tip tips""".split()
)
QUESTION_STARTS = frozenset("how why what can will is should could are does do".split())
ROUNDUP = re.compile(
    r"\+ ?more news|more news|nifty news|finance redefined|price analysis \d|things to know"
    r"|week in review|weekly|roundup|round-up|recap|this week in|daily|top \d+ |newsletter"
)


@lru_cache(maxsize=1 << 14)
def _kinds(term: str) -> frozenset[str]:
    """The event kinds one word or two-word phrase names (cached: headlines reuse words)."""
    found = set(_EXACT.get(term, ()))
    for k in range(3, min(len(term), _LONGEST_PREFIX) + 1):
        found.update(_PREFIX.get(term[:k], ()))
    return frozenset(found)


def events_and_opinion(lowered: str) -> tuple[frozenset[str], bool]:
    """The event kinds of a lower-cased headline, and whether it reads as opinion,
    explainer, question or forecast rather than news."""
    words = _TITLE_WORD.findall(lowered)
    kinds: set[str] = set()
    for i, word in enumerate(words):
        kinds |= _kinds(word)
        if i + 1 < len(words):
            pair = f"{word} {words[i + 1]}"
            if pair in _EXACT:
                kinds |= _EXACT[pair]
    opinion = (
        "?" in lowered
        or bool(words and words[0] in QUESTION_STARTS)
        or "how to" in lowered
        or not OPINION_WORDS.isdisjoint(words)
    )
    return frozenset(kinds), opinion


# The twice-daily multi-coin market wrap ("Bitcoin and Ethereum Consolidate, XRP Surges").
MARKET_WRAP = re.compile(r"^(?:bitcoin|btc|ethereum|eth|crypto market)\b[^,:]{0,60}(?:,| and )")
# The recurring digests only (labels' rule 7): ROUNDUP also matches "weekly", "daily", "top 100",
# which are words of news headlines too ("NFT markets slump as weekly sales volume dives 30%").
DIGEST = re.compile(
    r"\+ ?more news|nifty news|finance redefined|price analysis \d|things to know"
    r"|week in review|roundup|round-up|this week in|newsletter"
)
# An outlet's own price-prediction series ("Polkadot (DOT) Price Prediction 2026, 2027 - 2030")
# and chatbot "predicts" pieces: singletons (2026 set's rule 7, labels' rule 5), though they
# share every templated word. A named institution's forecast ("Bitcoin Price Prediction:
# Standard Chartered Forecasts $100K") is a statement and may join (decision 041).
PREDICTION = re.compile(
    r"price prediction:? ?\d{4}|price predictions? \d{4}"
    r"|\b(?:ai|chatgpt|grok|gemini|copilot|claude|perplexity|deepseek)\b[^,:]{0,30}\bpredicts?\b"
)
# A wrap that names its news cause ("..., LUNA Halves as UST Loses Peg") may join that story
# (labels' rule 7); one without a cause is a recurring roundup.
_CAUSE = re.compile(r"\b(?:as|amid|after|following|despite|on)\b")
MOVES = frozenset({"up", "down"})  # a price move: one story per asset and UTC day (labels' rule 5)
MAX_NAMES = 4


@tuple_state
@dataclass(frozen=True, slots=True)
class Profile:
    """What the pair model needs about one article beyond the lexical features."""

    events: frozenset[str]
    roundup: bool
    opinion: bool
    market_wrap: bool
    singleton: str  # "roundup", "market wrap", "price prediction": joins no story (rule 7)
    weights: dict[str, float]  # content word -> its rarity (idf), for the overlaps
    norm: float  # the idf-weighted length of the title+lead content words
    title_norm: float


@cache
def _idf_table() -> tuple[dict[str, float], float]:
    """Word -> idf (log N/df) of the stems in ``story_idf.tsv``, and the unseen-word idf."""
    text = resources.files("bot").joinpath("data", "story_idf.tsv").read_text(encoding="utf-8")
    lines = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    total = float(lines[0][1])  # first row: "__documents__<TAB>N"
    table = {word: math.log(total / int(df)) for word, df in lines[1:]}
    return table, math.log(total)


def idf(word: str) -> float:
    table, unseen = _idf_table()
    return table.get(word, unseen)


def _is_word(token: str) -> bool:
    return not token.startswith("$") and not token.endswith("%")


def profile(title: str, tokens: frozenset[str], title_tokens: frozenset[str]) -> Profile:
    lowered = title.lower()
    events, opinion = events_and_opinion(lowered)
    table, unseen = _idf_table()
    weights = {t: table.get(t, unseen) for t in tokens | title_tokens if _is_word(t)}
    roundup = bool(ROUNDUP.search(lowered))
    wrap = bool(MARKET_WRAP.search(lowered)) and lowered.count(",") + lowered.count(" and ") >= 2
    singleton = "roundup" if DIGEST.search(lowered) else ""
    if not singleton and PREDICTION.search(lowered):
        singleton = "price prediction"
    if wrap and not singleton and not _CAUSE.search(lowered):
        singleton = "market wrap"
    return Profile(
        events=events,
        roundup=roundup,
        opinion=opinion,
        market_wrap=wrap,
        singleton=singleton,
        weights=weights,
        norm=math.sqrt(math.fsum(weights[t] ** 2 for t in tokens if t in weights)),
        title_norm=math.sqrt(math.fsum(weights[t] ** 2 for t in title_tokens if t in weights)),
    )


# the model's inputs, in order; computed in one place: ``pair_scorer.ArticleSide.row``
FEATURES = (
    "cosine",
    "title_cosine",
    "title_words",
    "rare_overlap",
    "rare_title_overlap",
    "rarest_shared",
    "names",
    "same_event",
    "other_event",
    "opposite_move",
    "shared_total",
    "conflict_total",
    "shared_price",
    "conflict_price",
    "days_apart",
    "same_source",
    "roundup",
    "opinion",
    "cosine_x_names",
    "shared_tags",
    "same_day",
    "same_move",
    "market_wrap",
    "move_other_day",
)


def rare_shared(a: frozenset[str], b: frozenset[str], limit: int = 3) -> tuple[str, ...]:
    """The rarest content words two texts share (for the explanation)."""
    shared = sorted((t for t in a & b if _is_word(t)), key=lambda t: (-idf(t), t))
    return tuple(shared[:limit])


def hours_apart(a: grouping.StoryFeatures, b: grouping.StoryFeatures) -> float:
    return abs((a.published_at - b.published_at).total_seconds()) / 3600.0


@dataclass(frozen=True, slots=True)
class Model:
    weights: tuple[float, ...]
    bias: float
    threshold: float  # join when the best member's log-odds reach this
    drift_floor: float  # and the article's log-odds against the story's first article this
    min_cosine: float  # below this cosine a pair never joins

    def score(self, x: list[float]) -> float:
        # the same left-to-right sum as a generator, without a frame per term
        if len(x) != len(self.weights):
            raise ValueError(f"{len(x)} inputs for {len(self.weights)} weights")
        return self.bias + sum(map(operator.mul, self.weights, x))


@cache
def model() -> Model:
    """The shipped weights (``bot/data/story_pair_model.json``, written by the fit)."""
    raw = json.loads(
        resources.files("bot").joinpath("data", "story_pair_model.json").read_text("utf-8")
    )
    if tuple(raw["features"]) != FEATURES:
        raise ValueError("story_pair_model.json does not match pair_model.FEATURES")
    return Model(
        weights=tuple(float(w) for w in raw["weights"]),
        bias=float(raw["bias"]),
        threshold=float(raw["threshold"]),
        drift_floor=float(raw["drift_floor"]),
        min_cosine=float(raw["min_cosine"]),
    )
