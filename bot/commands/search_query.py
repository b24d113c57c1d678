"""User search text -> a neutral query (words, phrases, filters). Never raises.

The store turns the result into FTS5 / tsquery with bound parameters only, so nothing a
user types is ever interpreted as query syntax: ``" OR ) NEAR(`` is just two words.

Filters: ``tag:BTC``, ``sentiment:negative`` (bullish/bearish too), ``source:decrypt``,
``since:24h`` / ``since:7d`` / ``since:2026-01-05``. Anything else shaped ``x:y`` and any
filter with a value we cannot read is searched as words instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.models import Sentiment

MAX_INPUT = 500  # characters read from the user; the rest is ignored
MAX_TERMS = 16  # words + phrases kept; long pastes stay cheap to run
MAX_TERM_LEN = 64

# PostgreSQL's english stop list: dropped on both backends so results agree ("bitcoin OR
# etf" means bitcoin AND etf everywhere; a query of stopwords only finds nothing).
STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now""".split()
)
_TOKEN = re.compile(r'(?P<key>[A-Za-z]+):"(?P<qval>[^"]*)"?|"(?P<phrase>[^"]*)"?|(?P<bare>[^\s"]+)')
_WORD = re.compile(r"\w+", re.UNICODE)
_RELATIVE = re.compile(r"^(\d{1,5})\s*(m|min|h|d|w)$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to look for: all ``words`` and ``phrases`` must match; filters narrow."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    tags: tuple[str, ...] = ()
    sentiments: tuple[Sentiment, ...] = ()
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    ignored: tuple[str, ...] = field(default=())

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.tags or self.sentiments or self.sources or self.since)


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case word tokens (letters/digits, any script); punctuation never survives."""
    return tuple(w[:MAX_TERM_LEN] for w in _WORD.findall(text.lower()) if w.strip("_"))


def parse_since(value: str, now: datetime) -> datetime | None:
    """``24h``, ``7d``, ``2w``, ``30m`` before ``now``, or an ISO date/time (UTC if naive)."""
    value = value.strip()
    relative = _RELATIVE.match(value)
    if relative:
        amount = int(relative.group(1))
        unit = _UNITS[relative.group(2).lower()]
        try:
            return now - timedelta(**{unit: amount})
        except OverflowError:
            return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_search(text: str, *, now: datetime | None = None) -> SearchQuery:
    """Split ``text`` into words, quoted phrases and filters; never raises."""
    now = now or datetime.now(UTC)
    text = (text or "")[:MAX_INPUT]
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    tags: list[str] = []
    sentiments: list[Sentiment] = []
    sources: list[str] = []
    ignored: list[str] = []
    since: datetime | None = None

    for match in _TOKEN.finditer(text):
        if match["phrase"] is not None:
            phrase = words_of(match["phrase"])
            if len(phrase) == 1:
                words.extend(phrase)
            elif phrase:
                phrases.append(phrase)
            continue
        if match["key"] is not None:
            key, value = match["key"], match["qval"]
        else:
            bare = match["bare"]
            key, _, value = bare.partition(":")
            if not _ or not key or not value:
                words.extend(words_of(bare))
                continue
        applied = _apply_filter(key.lower(), value, now, tags, sentiments, sources)
        if applied is None:
            ignored.append(f"{key}:{value}")
            words.extend(words_of(f"{key} {value}"))
        elif isinstance(applied, datetime):
            since = applied if since is None else max(since, applied)

    return SearchQuery(
        words=_unique([w for w in words if w not in STOPWORDS])[:MAX_TERMS],
        phrases=tuple(dict.fromkeys(phrases))[:MAX_TERMS],
        tags=_unique(tags),
        sentiments=tuple(dict.fromkeys(sentiments)),
        sources=_unique(sources),
        since=since,
        ignored=tuple(ignored),
    )


def _apply_filter(
    key: str,
    value: str,
    now: datetime,
    tags: list[str],
    sentiments: list[Sentiment],
    sources: list[str],
) -> bool | datetime | None:
    """Record a known filter; None means "not a filter we can read" (search it as words)."""
    value = value.strip()
    if not value:
        return None
    if key == "tag":
        tag = re.sub(r"[^A-Za-z0-9_.-]", "", value).upper()[:40]
        if not tag:
            return None
        tags.append(tag)
        return True
    if key == "sentiment":
        try:
            sentiments.append(Sentiment.parse(value))
        except ValueError:
            return None
        return True
    if key == "source":
        source = value.lower()[:100]
        sources.append(source)
        return True
    if key == "since":
        return parse_since(value, now)
    return None


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
