"""Text and date normalisation shared by every format parser.

Bytes are decoded strictly (a file that is not UTF-8 is rejected, not guessed at),
mojibake is repaired with ftfy, HTML becomes text with BeautifulSoup, and every date
becomes an aware UTC ``datetime`` or a one-line rejection.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import ftfy
from dateutil import parser as dateutil_parser

from bot.ingest.errors import RejectedDocument
from bot.ingest.html_text import html_to_text

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# The latest date an article may carry, after the moment of ingesting. Year 9999 (or any
# date this far ahead) is a typo or an attack, and dates near datetime.max overflow as soon
# as the story window is added to them.
MAX_AHEAD = timedelta(days=366)

_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# C0 controls other than tab/newline/carriage return/form feed, plus DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUN = re.compile(r"\n{3,}")
_LINE_EDGES = re.compile(r"^[^\S\n]+|[^\S\n]+$", re.MULTILINE)
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


def decode(raw: bytes, *, max_bytes: int) -> str:
    """Strict UTF-8 (BOM allowed) with CRLF/CR turned into LF; rejects what is not text."""
    if len(raw) > max_bytes:
        raise RejectedDocument(f"document is {len(raw)} bytes, over the {max_bytes}-byte limit")
    if not raw.strip():
        raise RejectedDocument("empty document")
    if raw.startswith(_UTF32_BOMS) or raw.startswith(_UTF16_BOMS):
        name = "UTF-32" if raw.startswith(_UTF32_BOMS) else "UTF-16"
        raise RejectedDocument(f"{name} text is not supported; save the file as UTF-8")
    if b"\x00" in raw[:8192]:
        raise RejectedDocument("binary file (contains NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RejectedDocument(
            f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})"
        ) from None
    sample = text[:8192]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise RejectedDocument("binary file (too many control characters), not text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise RejectedDocument("empty document")
    return text


# UTF-8 read as Latin-1/cp1252 leaves a lead byte (Â..ô) before a continuation byte or a
# cp1252 special ("â€¦", "Ã©"); text without such a pair skips ftfy's costly checks.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)


def fix_text(text: str) -> str:
    """Repair mojibake (``â€¦`` -> ``…``), drop control and invisible characters, NFC.

    Curly quotes are kept as they are (ftfy would straighten them)."""
    if not text.isascii():
        if _MOJIBAKE_HINT.search(text):
            text = ftfy.fix_text(
                text, normalization="NFC", unescape_html=False, uncurl_quotes=False
            )
        else:
            text = unicodedata.normalize("NFC", text)
        text = _INVISIBLE.sub("", text)
    return _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """One line of text: repaired, with every run of whitespace collapsed to one space."""
    return " ".join(fix_text(text).split())


def clean_block(text: str) -> str:
    """Paragraphs kept, spaces collapsed within lines, at most one blank line in a row."""
    # Whole-text passes rather than a loop over lines: a file of a million one-letter
    # lines costs 0.1 s instead of 0.6 s (same result: each line's ends stripped).
    text = _LINE_EDGES.sub("", _SPACES.sub(" ", fix_text(text)))
    return _BLANK_RUN.sub("\n\n", text).strip()


# Every pattern below runs in linear time on hostile input (2 MiB of "__a " or "["):
# spans exclude their own delimiters and are bounded, so no opener scans to the end.
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]{0,300}\]\([^()\s]{0,2000}\)")
_MD_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\((?:[^()\s]|\([^()\s]{0,200}\)){0,2000}\)")
_MD_REF_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\[[^\[\]\n]{0,100}\]")
_MD_LINK_DEF = re.compile(r"^[ \t]{0,3}\[[^\[\]\n]{1,300}\]:[ \t]+\S[^\n]*$", re.MULTILINE)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+([^\n]*)$", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=[^\s*_])([^*_\n]{1,300}?)(?<=\S)\1")
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]{1,300}?)(?<=\S)\*(?![\w*])")
_MD_RULE = re.compile(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$", re.MULTILINE)
_MD_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE)
_MD_FENCE = re.compile(r"^[ \t]*(```|~~~).*$", re.MULTILINE)


def markdown_to_text(text: str) -> str:
    """Readable body text: images dropped, links reduced to their text,
    heading marks, emphasis, rules and quote marks removed; list markers kept.

    Each rewrite runs only when its marker character occurs at all (most bodies
    use few of them), which keeps this cheap on plain prose."""
    if "<" in text and _TAG.search(text):
        text = html_to_text(text)
    if "`" in text or "~~~" in text:
        text = _MD_FENCE.sub("", text)
    if "[" in text:
        text = _MD_IMAGE.sub("", text)
        text = _MD_LINK.sub(lambda m: m.group(1), text)
        text = _MD_REF_LINK.sub(lambda m: m.group(1), text)
        text = _MD_LINK_DEF.sub("", text)
    if "#" in text:
        text = _MD_HEADING.sub(lambda m: heading_text(m.group(1)), text)
    if "*" in text or "_" in text:
        text = _MD_EMPHASIS.sub(lambda m: m.group(2), text)
        text = _MD_ITALIC.sub(lambda m: m.group(1), text)
        text = _MD_RULE.sub("", text)
    if "-" in text:
        text = _MD_RULE.sub("", text)
    if ">" in text:
        text = _MD_QUOTE.sub("", text)
    return _reflow(text) if "\n" in text else text


_LIST_ITEM = re.compile(r"^[ \t]*([-*+•]|\d{1,3}[.)])[ \t]+")


def heading_text(line: str) -> str:
    """The text of an ATX heading line without optional closing hashes ("Title ##")."""
    text = line.rstrip()
    stripped = text.rstrip("#")
    if stripped != text and (not stripped or stripped[-1] in " \t"):
        text = stripped.rstrip()
    return text


def _reflow(text: str) -> str:
    """Markdown soft line breaks become spaces; list items keep one line each."""
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines: list[list[str]] = []
        for line in block.split("\n"):
            if lines and lines[-1][-1].strip() and line.strip() and not _LIST_ITEM.match(line):
                lines[-1].append(line.strip())
            else:
                lines.append([line])
        blocks.append("\n".join(" ".join(parts) for parts in lines))
    return "\n\n".join(blocks)


def _aware_utc(value: datetime, field: str = "a date") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-05:00 is in year 10000 in UTC
        raise RejectedDocument(f"impossible date in {field}: {_show(value.isoformat())}") from None


def parse_datetime(value: Any, *, field: str, now: datetime) -> datetime:
    """Any date a source writes -> aware UTC; naive times are taken as UTC.

    ISO 8601 first (fast), then dateutil for free-form dates ("Jan 7, 2026, 08:34 AM"),
    then the relative phrases pages print ("3 hours ago", "yesterday", from ``now``).
    dateparser is not used: importing it alone costs seconds. Impossible
    dates (2026-02-31, year 0), dates before 1970 and dates more than a year after ``now``
    (year 9999) are rejected, never guessed.
    """
    if isinstance(value, datetime):
        result = _aware_utc(value, field)
    elif isinstance(value, date):
        result = datetime.combine(value, time(0, 0), tzinfo=UTC)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        result = _from_epoch(value, field)
    elif isinstance(value, str) and value.strip():
        result = _from_text(value.strip(), field, now)
    else:
        raise RejectedDocument(f"{field} is not a date: {_show(value)}")
    return check_date_range(result, field=field, now=now, shown=_show(value))


def check_date_range(value: datetime, *, field: str, now: datetime, shown: str = "") -> datetime:
    """``value`` when it lies between 1970 and a year after ``now``; else a rejection."""
    problem = date_problem(value, now)
    if problem:
        shown = shown or _show(value.isoformat())
        raise RejectedDocument(f"impossible date in {field}: {shown} {problem}")
    return value


def date_problem(value: datetime, now: datetime) -> str | None:
    """Why an aware date cannot be a publication date ("is before 1970", "is more than a
    year in the future"), or None. The one rule for files and feed items."""
    if value < EARLIEST:
        return "is before 1970"
    if value > now.astimezone(UTC) + MAX_AHEAD:
        return "is more than a year in the future"
    return None


def _from_epoch(value: float, field: str) -> datetime:
    seconds = value / 1000 if value > 1e11 else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise RejectedDocument(f"impossible date in {field}: {_show(value)}") from None


_NUMERIC_DATE = re.compile(r"^[+-]?\d{1,6}-\d{1,2}-\d{1,2}([ T].*)?$")


def _from_text(text: str, field: str, now: datetime) -> datetime:
    if len(text) > 80:
        raise RejectedDocument(f"{field} is not a date: {_show(text)}")
    try:
        return _aware_utc(datetime.fromisoformat(text), field)
    except ValueError:
        pass
    numeric = _NUMERIC_DATE.match(text) is not None
    try:
        return _aware_utc(dateutil_parser.parse(text), field)
    except OverflowError:
        raise RejectedDocument(f"impossible date in {field}: {_show(text)}") from None
    except (ValueError, TypeError) as error:
        # dateutil understood the shape but a part is out of range: impossible, not unreadable.
        message = str(error)
        if numeric or "out of range" in message or "must be in" in message:
            raise RejectedDocument(f"impossible date in {field}: {_show(text)}") from None
    relative = _relative(text, now)
    if relative is None:
        raise RejectedDocument(f"unreadable date in {field}: {_show(text)}")
    return relative


_RELATIVE = re.compile(
    r"^(?:(?P<n>\d{1,4}|an?|one)\s+(?P<unit>second|minute|min|hour|hr|day|week)s?\s+ago"
    r"|(?P<word>just now|now|today|yesterday))$",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"second": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600}
_UNIT_SECONDS |= {"day": 86400, "week": 604800}


def _relative(text: str, now: datetime) -> datetime | None:
    """What scraped pages print instead of a date: "3 hours ago", "yesterday"."""
    match = _RELATIVE.match(" ".join(text.split()))
    if match is None:
        return None
    base = now.astimezone(UTC).replace(microsecond=0)
    word = (match.group("word") or "").lower()
    if word in ("just now", "now"):
        return base
    if word == "today":
        return base.replace(hour=0, minute=0, second=0)
    if word == "yesterday":
        return base.replace(hour=0, minute=0, second=0) - timedelta(days=1)
    count = match.group("n").lower()
    amount = 1 if count in ("a", "an", "one") else int(count)
    return base - timedelta(seconds=amount * _UNIT_SECONDS[match.group("unit").lower()])


def _show(value: Any) -> str:
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 40 else text[:39] + "…")
