"""User search text -> a neutral query (words, phrases, filters). Never raises.

The store turns the result into FTS5 / tsquery with bound parameters only, so nothing a
user types is ever interpreted as query syntax: ``" OR ) NEAR(`` is just two words.

Filters: ``tag:BTC``, ``sentiment:negative`` (bullish/bearish too), ``source:decrypt``,
``since:24h`` / ``since:7d`` / ``since:2026-01-05``. Anything else shaped ``x:y`` is searched
as words. A known filter with a value we cannot use (``since:banana``, ``sentiment:angry``,
``tag:`` with nothing, a date before 1970 or in the future) is left out of the query and
named in ``SearchQuery.problems``: callers facing a user (``/search``, ``cryptowire
search``) refuse the query with that line (``require_valid``) instead of answering
"nothing found" for a filter that was never applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.errors import UserError
from bot.i18n import _
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
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FILTER_KEYS = frozenset({"tag", "sentiment", "source", "since"})
SINCE_EXAMPLES = "since:24h, since:7d or since:2026-01-05"


class SearchError(UserError):
    """A search filter that cannot be applied; the message names it and shows an example."""


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
    problems: tuple[str, ...] = field(default=())  # one line per filter that was left out

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
    """``24h``, ``7d``, ``2w``, ``30m`` before ``now``, or an ISO date/time (UTC if naive);
    None when the value is not a usable time (see ``since_problem`` for why)."""
    moment, _problem = _since(value, now)
    return moment


def _since(value: str, now: datetime) -> tuple[datetime | None, str | None]:
    """(the moment, None) or (None, a one-line reason naming the value)."""
    value = value.strip()
    shown = _shown(f"since:{value}")
    relative = _RELATIVE.match(value)
    moment: datetime | None
    if relative:
        amount = int(relative.group(1))
        unit = _UNITS[relative.group(2).lower()]
        try:
            moment = now - timedelta(**{unit: amount})
        except OverflowError:
            moment = None
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None, _(
                "{value} is not a time; use {examples}", value=shown, examples=SINCE_EXAMPLES
            )
        try:  # year 9999 with a negative offset, year 1 with a positive one: out of range
            moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            return None, _(
                "{value} is not a possible date; use {examples}",
                value=shown,
                examples=SINCE_EXAMPLES,
            )
    if moment is None or moment < EARLIEST:
        return None, _(
            "{value} reaches before 1970; use {examples}", value=shown, examples=SINCE_EXAMPLES
        )
    if moment > now:
        return None, _(
            "{value} is in the future; use {examples}", value=shown, examples=SINCE_EXAMPLES
        )
    return moment, None


def _shown(text: str, limit: int = 40) -> str:
    """A user's value as echoed in a message: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def require_valid(query: SearchQuery) -> SearchQuery:
    """The query, or a ``SearchError`` naming its first unusable filter."""
    if query.problems:
        raise SearchError(query.problems[0])
    return query


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
    problems: list[str] = []
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
            key, colon, value = bare.partition(":")
            if not colon or not key or (not value and key.lower() not in FILTER_KEYS):
                words.extend(words_of(bare))
                continue
        applied = _apply_filter(key.lower(), value, now, tags, sentiments, sources)
        if applied is None:
            ignored.append(f"{key}:{value}")
            words.extend(words_of(f"{key} {value}"))
        elif isinstance(applied, str):
            ignored.append(f"{key}:{value}")
            problems.append(applied)
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
        problems=tuple(problems),
    )


def _apply_filter(
    key: str,
    value: str,
    now: datetime,
    tags: list[str],
    sentiments: list[Sentiment],
    sources: list[str],
) -> bool | datetime | str | None:
    """Record a known filter. None: not a filter (search it as words); a string: a known
    filter whose value cannot be used, and why (one line)."""
    if key not in FILTER_KEYS:
        return None
    value = value.strip()
    if not value:
        example = {"tag": "tag:BTC", "sentiment": "sentiment:negative"}.get(key)
        example = example or {"source": "source:decrypt", "since": "since:24h"}[key]
        return _("{key}: needs a value, e.g. {example}", key=key, example=example)
    if key == "tag":
        tag = re.sub(r"[^A-Za-z0-9_.-]", "", value).upper()[:40]
        if not tag:
            shown = _shown(f"tag:{value}")
            return _("{value} is not a tag; tags are letters and digits, e.g. tag:BTC", value=shown)
        tags.append(tag)
        return True
    if key == "sentiment":
        try:
            sentiments.append(Sentiment.parse(value))
        except ValueError:
            return _(
                "{value} is not a sentiment; "
                "use sentiment:positive, sentiment:negative or sentiment:neutral",
                value=_shown(f"sentiment:{value}"),
            )
        return True
    if key == "source":
        source = value.lower()[:100]
        sources.append(source)
        return True
    moment, problem = _since(value, now)
    return moment if moment is not None else problem


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
