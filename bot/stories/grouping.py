"""Story grouping, pure: which earlier story (if any) reports the same event as an article.

Scales by never comparing against the whole archive: a MinHash signature over the content
words of title + lead gives LSH band keys; the store looks up stories sharing bands inside
a time window (a few index probes), and only those candidates are scored here with a rule
that also weighs key figures ("$440 million" = "$440M"), tags and the distance in time.
See docs/decisions/010-story-grouping.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import numpy as np

from bot.models import Article, tuple_state
from bot.stories import feed_text, market_move
from bot.stories.minhash import band_keys, minhash

LEAD_CHARS = 400
FIGURE_CHARS = 3000
_ELLIPSIS = ("…", "...")
TEASER_PROBE = 40  # characters of a cut summary that must open the body (lead_of)
JOIN_THRESHOLD = 0.8
MIN_SHARED_BANDS = 2

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while
    who whom why will with would you your yet per via amid says said new news report its
    isnt arent wasnt dont doesnt theyre thats million billion thousand trillion usd""".split()
)
# Words in a large share of crypto headlines: kept for scoring, left out of the MinHash
# bands, where they would make a few band keys match thousands of stories.
BAND_STOPWORDS = frozenset(
    """bitcoin btc crypto cryptocurrency ethereum eth ether price market token coin
    blockchain analysi trader investor exchange""".split()
)
_WORD = re.compile(r"[a-z][a-z0-9']+")
_FIGURE = re.compile(
    r"(?P<cur>\$|usd\s?|us\$)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<mag>k|thousand|m|mn|million|b|bn|billion|t|tn|trillion)\b)?"
    r"(?:\s?(?P<usd2>usd|dollars))?"
    r"(?P<pct>\s?%|\s?percent\b)?",
    re.IGNORECASE,
)
_MAGNITUDE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "tn": 1e12,
    "trillion": 1e12,
}
UNNAMED_SOURCES = frozenset({"", "unknown"})  # no source named: never "the same source"
LARGE_AMOUNT = 1e6  # at or above: a flow/total ("$440M liquidated"); below: a price level


@tuple_state
@dataclass(frozen=True, slots=True)
class Figures:
    """Money amounts (USD) and percentages named in an article, normalised to floats."""

    amounts: tuple[float, ...] = ()
    percents: tuple[float, ...] = ()
    # split once here, not for every pair scored (the story rule reads them per pair)
    large: tuple[float, ...] = field(init=False, repr=False, compare=False)
    prices: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "large", tuple(a for a in self.amounts if a >= LARGE_AMOUNT))
        object.__setattr__(self, "prices", tuple(a for a in self.amounts if a < LARGE_AMOUNT))


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """Everything the scoring rule needs about one article (cheap to recompute)."""

    tokens: frozenset[str]
    figures: Figures
    tags: frozenset[str]
    published_at: datetime
    sentiment: str = "NEUTRAL"
    source: str = ""
    # semantic only (semantic.py): unit vectors of title and title+lead, pair_model.Profile
    vector: np.ndarray | None = field(default=None, compare=False)
    title_vector: np.ndarray | None = field(default=None, compare=False)
    entities: frozenset[str] = frozenset()
    title_tokens: frozenset[str] = frozenset()
    profile: object = field(default=None, compare=False)
    move: str = ""  # market_move.key: "BTC up 2026-08-20", "" when no move is reported

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled with the vectors as raw bytes (a parse worker sends every article's
        features to the writer): numpy's own pickle of a 192-float row costs ~9 µs to
        write and ~4 µs to read, its bytes under 1 µs each way; the same values come
        back (decision 048)."""
        return _features_from, (
            self.tokens,
            self.figures,
            self.tags,
            self.published_at,
            self.sentiment,
            self.source,
            _array_bytes(self.vector),
            _array_bytes(self.title_vector),
            self.entities,
            self.title_tokens,
            self.profile,
            self.move,
        )


def _array_bytes(vector: np.ndarray | None) -> tuple[str, tuple[int, ...], bytes] | None:
    return None if vector is None else (vector.dtype.str, vector.shape, vector.tobytes())


def _bytes_array(packed: tuple[str, tuple[int, ...], bytes] | None) -> np.ndarray | None:
    if packed is None:
        return None
    dtype, shape, raw = packed
    return np.frombuffer(raw, dtype=dtype).reshape(shape)  # read-only, like shared vectors


def _features_from(
    tokens: frozenset[str],
    figures: Figures,
    tags: frozenset[str],
    published_at: datetime,
    sentiment: str,
    source: str,
    vector: tuple[str, tuple[int, ...], bytes] | None,
    title_vector: tuple[str, tuple[int, ...], bytes] | None,
    entities: frozenset[str],
    title_tokens: frozenset[str],
    profile: object,
    move: str,
) -> StoryFeatures:
    """``StoryFeatures.__reduce__``'s inverse (module level: pickle finds it by name)."""
    return StoryFeatures(
        tokens,
        figures,
        tags,
        published_at,
        sentiment,
        source,
        _bytes_array(vector),
        _bytes_array(title_vector),
        entities,
        title_tokens,
        profile,
        move,
    )


def _stem(word: str) -> str:
    """A deliberately tiny stemmer: plural and common verb endings only."""
    word = word.replace("'", "")
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("es") and not word.endswith("ses"):
        return word[:-1]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def figure_token(value: float, percent: bool = False) -> str:
    """A canonical token for a figure: 92000 and 92,000 and 92K all give "$92k"."""
    if percent:
        return f"{value:g}%"
    for unit, scale in (("t", 1e12), ("b", 1e9), ("m", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"${float(f'{value / scale:.3g}'):g}{unit}"
    return f"${float(f'{value:.3g}'):g}"


_DIGIT = re.compile(r"\d")
# Longest currency mark before the number ("usd " or "us$"): a match starts at most
# this many characters before its first digit.
_MAX_PREFIX = 4


def _figure_matches(text: str) -> Iterator[re.Match[str]]:
    """Exactly ``_FIGURE.finditer(text)``, but jumping from digit to digit: the regex
    alone tries a match at every character (its optional prefix hides the first-character
    filter), which made figure extraction the costliest step of story features."""
    pos = 0
    while (digit := _DIGIT.search(text, pos)) is not None:
        # Every match holds a digit, so none starts before the next digit's possible prefix.
        match = _FIGURE.search(text, max(pos, digit.start() - _MAX_PREFIX))
        assert match is not None  # the digit itself matches
        yield match
        pos = match.end()


def extract_figures(text: str) -> Figures:
    """Money amounts need a currency mark or a magnitude word; bare numbers are ignored."""
    amounts: list[float] = []
    percents: list[float] = []
    for match in _figure_matches(text):
        number = float(match["num"].replace(",", ""))
        mag = (match["mag"] or "").lower()
        if match["pct"]:
            percents.append(number)
            continue
        has_currency = bool(match["cur"] or match["usd2"])
        if not has_currency:
            continue
        amounts.append(number * _MAGNITUDE.get(mag, 1.0))
    return Figures(tuple(amounts), tuple(percents))


# Headlines reuse a small vocabulary: stemming each distinct word once per process is
# a dictionary look-up afterwards (bounded, so a hostile stream cannot grow it forever).
_cached_stem = lru_cache(maxsize=1 << 15)(_stem)


def tokenize(text: str) -> frozenset[str]:
    """Content words (stemmed, stopwords out) plus canonical figure tokens."""
    lowered = text.lower()
    figures = extract_figures(lowered)
    words = set(_WORD.findall(lowered))
    words -= STOPWORDS
    tokens = set(map(_cached_stem, words))
    tokens.update(figure_token(a) for a in figures.amounts)
    tokens.update(figure_token(p, percent=True) for p in figures.percents)
    tokens.discard("")
    return frozenset(tokens)


def lead_of(article: Article) -> str:
    """The summary (feed boilerplate removed), or the start of the body when there is none.

    A summary that is a cut teaser of the body (it ends in an ellipsis, its start is the
    body's start and the body goes on past it: CryptoCompare's descriptions, the first ~180
    characters of a rewritten body) gives only its first sentence; the cut second sentence
    is generic filler ("As it consolidates gains, the cryptocurrency may be poised to...")
    that joins unrelated reports (decision 049)."""
    summary = feed_text.strip_boilerplate(article.summary)
    if not summary:
        return article.body[:LEAD_CHARS]
    if summary.endswith(_ELLIPSIS) and len(article.body) > len(article.summary):
        cut = summary.find(". ")
        if cut > 0 and summary[:TEASER_PROBE] in article.body[:LEAD_CHARS]:
            return summary[: cut + 1]
    return summary


def features(article: Article) -> StoryFeatures:
    head = f"{article.title}\n{lead_of(article)}"
    figure_text = f"{head}\n{article.body[:FIGURE_CHARS]}"
    return StoryFeatures(
        tokens=tokenize(head),
        figures=extract_figures(figure_text),
        tags=frozenset(t.upper() for t in article.tags),
        published_at=article.published_at,
        sentiment=str(article.sentiment),
        source=article.source_key.lower(),
    )


def article_bands(feature: StoryFeatures) -> tuple[int, ...]:
    tokens = feature.tokens - BAND_STOPWORDS
    return band_keys(minhash(tokens or feature.tokens)) + market_move.bands(feature.move)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _close(x: float, y: float, tolerance: float = 0.02) -> bool:
    return abs(x - y) <= tolerance * max(abs(x), abs(y))


def _shares(xs: Sequence[float], ys: Sequence[float]) -> bool:
    return any(_close(x, y) for x in xs for y in ys)


@dataclass(frozen=True, slots=True)
class PairScore:
    """The evidence for and against "same event", kept for explanations and tuning."""

    score: float
    similarity: float
    shared_large: bool
    conflict_large: bool
    shared_price: bool
    conflict_price: bool
    tag_overlap: float
    hours_apart: float
    same_source: bool = False

    @property
    def same_story(self) -> bool:
        return self.score >= JOIN_THRESHOLD


def score_pair(a: StoryFeatures, b: StoryFeatures) -> PairScore:
    """Word overlap plus figures, tags, time and source: conflicting totals are strong
    evidence against (two "$4xxM liquidations" days are two events), shared ones strong for;
    a source does not report one event twice, so two similar articles from the same
    source are a series (daily updates, round-ups), not one story.
    Weights chosen on bench/data pairs; see docs/decisions/010-story-grouping.md."""
    similarity = jaccard(a.tokens, b.tokens)
    large_a, large_b = a.figures.large, b.figures.large
    price_a, price_b = a.figures.prices, b.figures.prices
    shared_large = _shares(large_a, large_b)
    conflict_large = bool(large_a and large_b) and not shared_large
    shared_price = _shares(price_a, price_b)
    conflict_price = bool(price_a and price_b) and not shared_price
    tag_overlap = jaccard(a.tags, b.tags)
    hours = abs((a.published_at - b.published_at).total_seconds()) / 3600.0
    same_source = a.source == b.source and a.source not in UNNAMED_SOURCES
    score = (
        3.5 * similarity
        + 1.0 * shared_large
        + 0.3 * shared_price
        + 0.2 * tag_overlap
        - 1.5 * conflict_large
        - 0.4 * conflict_price
        - 0.4 * hours / 24.0
        - 1.2 * same_source
    )
    return PairScore(
        score=round(score, 4),
        similarity=similarity,
        shared_large=shared_large,
        conflict_large=conflict_large,
        shared_price=shared_price,
        conflict_price=conflict_price,
        tag_overlap=tag_overlap,
        hours_apart=hours,
        same_source=same_source,
    )


def score_story(article: StoryFeatures, members: Sequence[StoryFeatures]) -> float:
    """A story matches as well as its best-matching article does."""
    if not members:
        return -math.inf
    return max(score_pair(article, m).score for m in members)


def best_story(
    article: StoryFeatures, candidates: dict[int, Sequence[StoryFeatures]]
) -> tuple[int | None, float]:
    """The candidate story to join (id, score), or (None, best score) when none qualifies."""
    best_id: int | None = None
    best = -math.inf
    for story_id in sorted(candidates):
        value = score_story(article, candidates[story_id])
        if value > best:
            best_id, best = story_id, value
    if best_id is None or best < JOIN_THRESHOLD:
        return None, best
    return best_id, best


def majority_sentiment(values: Iterable[str]) -> str:
    """The most common sentiment; ties go to NEUTRAL (no strong signal either way)."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    if not counts:
        return "NEUTRAL"
    top = max(counts.values())
    winners = [k for k, v in counts.items() if v == top]
    return winners[0] if len(winners) == 1 else "NEUTRAL"
