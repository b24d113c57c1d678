"""Turning command text into values: names, arguments, filters, durations, clock times.

Every failure is a ``CommandError`` whose message is one line that names the problem and
shows an example; nothing here touches storage or the network.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from zoneinfo import available_timezones

from bot.alerts.subscription_filter import (
    FilterError,
    canonical,
    normalize_keyword,
    normalize_lang,
    normalize_source,
    normalize_tag,
)
from bot.errors import UserError
from bot.i18n import _
from bot.i18n.formats import number
from bot.models import Sentiment, SubscriptionFilter

SENTIMENT_WORDS = ("positive", "negative", "neutral")
SENTIMENT_ALIASES = {"bullish": "positive", "bearish": "negative", "pos": "positive"}
SENTIMENT_ALIASES |= {"neg": "negative"}
MAX_TAGS, MAX_SOURCES, MAX_KEYWORDS = 20, 10, 10
# Everything a user sends is bounded: a whole command (a /breaking post is the longest:
# 300 + 4,000 characters and a link), and the words in it.
MAX_COMMAND_CHARS = 5000
MAX_ARGS = 60  # words of one /subscribe
MAX_SUGGEST_CHARS = 40  # longer words get no "did you mean" (difflib is quadratic)
COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?$")
CLOCK_RE = re.compile(r"^(\d{1,2})[:.h]?(\d{2})$")
DURATION_RE = re.compile(r"(\d+)\s*(weeks?|days?|hours?|hrs?|minutes?|mins?|w|d|h|m)")
UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
MAX_MUTE = timedelta(days=365)
TOKEN_RE = re.compile(r'(?:[^\s"]+|"[^"]*")+')
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


class CommandError(UserError):
    """Bad arguments to a command; the message is shown to the user as is."""


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str
    args: list[str]
    addressed_to: str | None  # the @BotName suffix, if any
    rest: str = ""  # the raw text after the command name (for /search)
    balanced: bool = True  # False when a double quote is not closed


def split_command(text: str) -> ParsedCommand | None:
    """``/Cmd@Bot arg "two words"`` -> ("cmd", ["arg", "two words"], "Bot"); None if no command.

    Only double quotes group words (apostrophes are text: /search bitcoin's rally)."""
    text = text.strip().translate(QUOTES)
    if not text.startswith("/"):
        return None
    if len(text) > MAX_COMMAND_CHARS:
        raise CommandError(
            _(
                "that command is {length} characters long; commands take at most {limit}",
                length=number(len(text)),
                limit=number(MAX_COMMAND_CHARS),
            )
        )
    head, *tail = text.split(None, 1)
    rest = tail[0] if tail else ""
    match = COMMAND_RE.match(head)
    if match is None:
        raise CommandError(_("'{word}' is not a command; try /help", word=head[:40]))
    balanced = rest.count('"') % 2 == 0
    tokens = TOKEN_RE.findall(rest if balanced else rest.replace('"', ""))
    args = [token.replace('"', "") for token in tokens]
    return ParsedCommand(
        match.group(1).lower(), [a for a in args if a], match.group(2), rest, balanced
    )


def shown(text: str, limit: int = 40) -> str:
    """A user's value as echoed in a reply: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _suggest(word: str, choices: list[str], limit: int = 3) -> list[str]:
    if len(word) > MAX_SUGGEST_CHARS:
        return []
    return difflib.get_close_matches(word, choices, n=limit, cutoff=0.6)


def parse_subscription(
    args: list[str], known_tags: set[str]
) -> tuple[SubscriptionFilter, str | None]:
    """``/subscribe`` arguments -> (filter, mention). Unknown words are errors with hints."""
    if len(args) > MAX_ARGS:
        raise CommandError(
            _(
                "that is {count} words; a subscription takes at most {limit}",
                count=len(args),
                limit=MAX_ARGS,
            )
        )
    tags: set[str] = set()
    sentiments: set[Sentiment] = set()
    sources: set[str] = set()
    keywords: list[str] = []
    excluded: list[str] = []
    lang: str | None = None
    mention: str | None = None
    for raw in args:
        prefix, sep, value = raw.partition(":")
        key = prefix.lower() if sep else ""
        try:
            if key in ("keyword", "kw", "word"):
                keywords.append(normalize_keyword(_nonempty(value, raw)))
            elif key in ("-keyword", "-kw", "-word", "not", "exclude"):
                excluded.append(normalize_keyword(_nonempty(value, raw)))
            elif key in ("source", "src", "from"):
                sources.update(normalize_source(v) for v in _nonempty(value, raw).split(","))
            elif key in ("lang", "language"):
                lang = normalize_lang(_nonempty(value, raw))
            elif key == "tag":
                tags.update(normalize_tag(v) for v in _nonempty(value, raw).split(","))
            elif key == "mention":
                mention = _nonempty(value, raw)[:100]
            elif key in ("sentiment", "mood"):
                sentiments.update(_sentiment(v) for v in _nonempty(value, raw).split(","))
            elif sep and not raw.startswith(("#", "$")):
                raise CommandError(
                    _(
                        "'{word}:' is not a filter; use source:, keyword:, -keyword:, lang: "
                        'or tag:, e.g. /subscribe BTC keyword:"spot etf"',
                        word=shown(prefix),
                    )
                )
            elif " " in raw.strip():
                keywords.append(normalize_keyword(raw))
            elif raw.startswith("-") and len(raw) > 1:
                excluded.append(normalize_keyword(raw[1:]))
            else:
                word = raw.lower()
                if word in SENTIMENT_WORDS or word in SENTIMENT_ALIASES:
                    sentiments.add(_sentiment(word))
                else:
                    tags.add(_known_tag(raw, known_tags))
        except FilterError as exc:
            raise CommandError(
                _("{problem}; example: /subscribe BTC ETH positive", problem=exc)
            ) from None
    both = set(keywords) & set(excluded)
    if both:
        raise CommandError(
            _(
                "'{word}' is both wanted and excluded; keep one of them",
                word=shown(sorted(both)[0]),
            )
        )
    if len(tags) > MAX_TAGS or len(sources) > MAX_SOURCES:
        raise CommandError(
            _(
                "at most {tags} tags and {sources} sources per subscription",
                tags=MAX_TAGS,
                sources=MAX_SOURCES,
            )
        )
    if len(keywords) + len(excluded) > MAX_KEYWORDS:
        raise CommandError(_("at most {limit} keywords per subscription", limit=MAX_KEYWORDS))
    flt = SubscriptionFilter(
        tags=frozenset(tags),
        sentiments=frozenset(sentiments),
        sources=frozenset(sources),
        keywords=tuple(keywords),
        exclude_keywords=tuple(excluded),
        lang=lang,
    )
    return canonical(flt), mention


def _nonempty(value: str, raw: str) -> str:
    if not value.strip():
        raise CommandError(
            _("'{word}' needs a value after the colon, e.g. keyword:etf", word=shown(raw))
        )
    return value.strip()


def _sentiment(word: str) -> Sentiment:
    word = SENTIMENT_ALIASES.get(word.lower(), word.lower())
    if word not in SENTIMENT_WORDS:
        raise CommandError(
            _(
                "'{word}' is not a sentiment; use positive, negative or neutral "
                "(e.g. /subscribe BTC positive)",
                word=shown(word),
            )
        )
    return Sentiment(word.upper())


def _known_tag(raw: str, known: set[str]) -> str:
    """A tag we know of; otherwise say what the word is not and suggest what it may be."""
    try:
        tag = normalize_tag(raw)
    except FilterError:
        tag = ""
    if tag and (tag in known or raw.startswith(("#", "$"))):
        return tag
    word = raw.lower().lstrip("#$")
    near_sentiment = _suggest(word, [*SENTIMENT_WORDS, *SENTIMENT_ALIASES], 1)
    near_tags = _suggest(tag or word.upper(), sorted(known))
    if near_sentiment and not near_tags:
        hint = SENTIMENT_ALIASES.get(near_sentiment[0], near_sentiment[0])
        raise CommandError(
            _(
                "'{word}' is not a sentiment (did you mean {hint}?); "
                "sentiments are positive, negative and neutral",
                word=shown(raw),
                hint=hint,
            )
        )
    if near_tags:
        raise CommandError(
            _(
                "unknown tag '{word}'; did you mean {tags}? "
                "Example: /subscribe {first} (or tag:{tag} to insist)",
                word=shown(raw),
                tags=", ".join(near_tags),
                first=near_tags[0],
                tag=shown(tag or raw),
            )
        )
    raise CommandError(
        _(
            "'{word}' is neither a sentiment (positive, negative, neutral) nor a known tag; "
            "example: /subscribe BTC ETH positive",
            word=shown(raw),
        )
    )


def parse_clock(text: str, example: str) -> str:
    """``7:00``, ``07:00``, ``0700`` or ``7h00`` -> ``07:00``."""
    match = CLOCK_RE.match(text.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise CommandError(
            _(
                "'{word}' is not a time of day (HH:MM, 24-hour); example: {example}",
                word=shown(text),
                example=example,
            )
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_quiet(text: str) -> tuple[str, str]:
    example = "/quiet 23:00-07:00"
    start, sep, end = text.replace("–", "-").partition("-")
    if not sep:
        raise CommandError(
            _("'{word}' is not a time range; example: {example}", word=shown(text), example=example)
        )
    first, last = parse_clock(start, example), parse_clock(end, example)
    if first == last:
        raise CommandError(
            _(
                "quiet hours must not start and end at {time}; example: {example}",
                time=first,
                example=example,
            )
        )
    return first, last


def parse_duration(text: str) -> timedelta:
    """``2h``, ``30m``, ``1h30m``, ``3 days`` -> timedelta (at most a year)."""
    cleaned = text.strip().lower()
    pieces = DURATION_RE.findall(cleaned)
    if not pieces or DURATION_RE.sub("", cleaned).strip():
        raise CommandError(
            _(
                "'{word}' is not a duration; examples: /mute 2h, /mute 30m, /mute 1d",
                word=shown(text),
            )
        )
    seconds = sum(int(n) * UNITS[unit[0]] for n, unit in pieces)
    if seconds <= 0 or seconds > MAX_MUTE.total_seconds():  # timedelta() would overflow
        raise CommandError(_("a mute lasts from 1 minute to 365 days; example: /mute 2h"))
    return timedelta(seconds=seconds)


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(text: str) -> str:
    """``europe/berlin`` -> ``Europe/Berlin``; unknown names get close suggestions."""
    name = text.strip().replace(" ", "_")
    zones = _zones()
    found = zones.get(name.lower())
    if found:
        return found
    near = [zones[z] for z in _suggest(name.lower(), list(zones))]
    if near:
        raise CommandError(
            _(
                "unknown time zone '{word}'; did you mean {zones}? "
                "Example: /timezone Europe/Berlin",
                word=shown(text),
                zones=", ".join(near),
            )
        )
    raise CommandError(
        _("unknown time zone '{word}'; example: /timezone Europe/Berlin", word=shown(text))
    )


def parse_positive_int(text: str, what: str, example: str) -> int:
    digits = text.lstrip("#")
    if not digits.isdigit() or int(digits) <= 0 or len(digits) > 18:
        raise CommandError(
            _(
                "'{word}' is not {what}; example: {example}",
                word=shown(text),
                what=what,
                example=example,
            )
        )
    return int(digits)
