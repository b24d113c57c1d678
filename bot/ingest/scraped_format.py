"""Text copied from a news web page (sample 001).

Shape, top to bottom: optional breadcrumb, optional sentiment label line
(``Bullish``/``Bearish``/``Neutral``), headline, standfirst, a date line, optional
"Key Takeaways" bullets, the body, then page chrome (``Topics:``, ``Related Articles``,
``Latest News``, share/subscribe prompts) which is cut off. Detection needs a label
line or a date line near the top, so ordinary prose falls through to plain text.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.ingest.errors import RejectedDocument
from bot.ingest.fields import ParsedFields
from bot.ingest.normalise import clean_block, clean_line, parse_datetime
from bot.models import Sentiment

_LABELS = {
    "bullish": Sentiment.POSITIVE,
    "bearish": Sentiment.NEGATIVE,
    "neutral": Sentiment.NEUTRAL,
    "positive": Sentiment.POSITIVE,
    "negative": Sentiment.NEGATIVE,
}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"  # Jan, January, Sept.
_ONE_DATE = (
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})"
    r"(?:\s*(?:,|at|-|\||·)?\s*\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)?"
    r"(?:\s*(?:utc|gmt|z|[+-]\d{2}:?\d{2}|[a-z]{2,4}\b))?"
)
_STAMP_KIND = r"(?:published|updated|posted|last updated|modified)\s*:?\s*(?:on\s+)?"
# One date, or two ("Updated Mar 5, 2026, 2:15 p.m. UTC Published Mar 5, 2026, 1:00 p.m. UTC").
_DATE_LINE = re.compile(
    rf"^(?:{_STAMP_KIND})?{_ONE_DATE}(?:\s*[|·,-]?\s*{_STAMP_KIND}{_ONE_DATE})?\s*$",
    re.IGNORECASE,
)
_STAMP = re.compile(rf"(?P<kind>{_STAMP_KIND})?(?P<date>{_ONE_DATE})", re.IGNORECASE)
_MERIDIEM = re.compile(r"\b([ap])\.m\.?", re.IGNORECASE)
_AUTHOR = re.compile(r"^(?:by|written by|author:?)\s+\S.{0,60}$", re.IGNORECASE)
MAX_TAKEAWAYS = 12
_TAKEAWAYS = re.compile(r"^(key takeaways?|key points|highlights|tl;?dr|in brief)\s*:?$", re.I)
_BULLET = re.compile(r"^[•\-*·▪►◦‣–]\s*")
# Page chrome that ends the article: everything from the first of these lines on is cut.
_END_CHROME = re.compile(
    r"^(topics?\s*:|tags?\s*:|related (articles|news|stories|posts)\b|latest (news|articles)\b"
    r"|more (news|stories) from\b|read more\b|share (this|on)\b|follow us\b|subscribe\b"
    r"|sign up for\b|recommended for you\b|you may also like\b|disclaimer\s*:"
    r"|about the author\b|more from\b)",
    re.IGNORECASE,
)
# Single promo lines inside the body, dropped wherever they appear.
LINE_CHROME_PATTERN = (
    r"related reading|read also|also read|see also|advertisement|sponsored|"
    r"click here\b|read more\s*:|(cover|featured|header) image (from|by|via|source)\b"
    r"|image (source|credit)\s*:|(edited|reporting|additional reporting) by\b"
)
_LINE_CHROME = re.compile(f"^({LINE_CHROME_PATTERN})", re.IGNORECASE)


def is_date_line(line: str) -> bool:
    return len(line) <= 120 and _DATE_LINE.match(line) is not None


def _stamps(line: str, now: datetime) -> tuple[datetime, datetime | None]:
    """(published, updated) from a date line; a lone "Updated ..." date is both."""
    published: datetime | None = None
    updated: datetime | None = None
    for match in _STAMP.finditer(line):
        text = _MERIDIEM.sub(lambda m: f"{m.group(1)}m", match.group("date"))
        text = re.sub(r"\s*[|·]\s*", " ", text).strip(" ,-")
        kind = (match.group("kind") or "").lower()
        value = parse_datetime(text, field="date line", now=now)
        if kind.startswith(("updated", "last updated", "modified")):
            updated = updated or value
        else:
            published = published or value
    if published is None:
        if updated is None:
            raise RejectedDocument(f"unreadable date line: {line[:40]!r}")
        return updated, None
    return published, updated


_LABEL_PREFIX = re.compile(r"^(?:market\s+)?(?:sentiment|mood|outlook)\s*[:\-–]\s*", re.I)


def _label_word(line: str) -> str:
    return _LABEL_PREFIX.sub("", line.strip()).strip().lower()


def is_label_line(line: str) -> bool:
    """ "Bullish", "BEARISH", "Sentiment: Neutral", "Market mood - Bullish"."""
    return _label_word(line) in _LABELS


def is_line_chrome(line: str) -> bool:
    """Promo lines ("Related Reading: ...") that sit inside an article body."""
    return _LINE_CHROME.match(line) is not None


def looks_like(lines: list[str]) -> bool:
    """A label line in the first three lines, or a date line in the first eight."""
    head = lines[:8]
    return any(is_label_line(line) for line in head[:3]) or any(is_date_line(x) for x in head)


def _is_breadcrumb(line: str) -> bool:
    """Short navigation lines: "Markets > Bitcoin", "News / DeFi", "MarketsBitcoin"."""
    if len(line) > 60 or line.endswith((".", "?", "!", ":")):
        return False
    if re.search(r"\s[>/»›|]\s", line) or re.fullmatch(r"[>/»›|]?\s*\w+\s*[>/»›|]", line):
        return True
    words = line.split()
    return len(words) <= 2 and not any(ch.isdigit() for ch in line)


def parse(text: str, *, now: datetime) -> ParsedFields:
    lines = [line.strip() for line in text.split("\n")]
    positions = [i for i, line in enumerate(lines) if line]
    content = [lines[i] for i in positions]
    sentiment: Sentiment | None = None
    published: datetime | None = None
    updated: datetime | None = None
    index = 0
    # Header: breadcrumb, label and date lines, in any order, before the headline.
    while index < min(4, len(content)):
        line = content[index]
        if is_label_line(line) and sentiment is None:
            sentiment = _LABELS[_label_word(line)]
        elif is_date_line(line) and published is None:
            published, updated = _stamps(line, now)
        elif not (_is_breadcrumb(line) and _has_headline_after(content, index)):
            break
        index += 1
    if index >= len(content):
        raise RejectedDocument("no title (scraped page has only navigation lines)")
    title = clean_line(content[index])
    if not any(ch.isalnum() for ch in title) or is_date_line(title):
        raise RejectedDocument("no title (first line of the scraped page is not a headline)")
    index += 1
    standfirst: list[str] = []
    if index < len(content) and is_label_line(content[index]) and sentiment is None:
        sentiment = _LABELS[_label_word(content[index])]  # a label right under the headline
        index += 1
    for offset, line in enumerate(content[index : index + 6]):
        if published is None and is_date_line(line):
            published, updated = _stamps(line, now)
            standfirst = [x for x in content[index : index + offset] if not _AUTHOR.match(x)]
            index += offset + 1
            while index < len(content) and _AUTHOR.match(content[index]):
                index += 1
            break
    body_start = positions[index - 1] + 1
    body_lines = _body(lines[body_start:], title)
    summary = clean_line(" ".join(standfirst)) if standfirst else None
    return ParsedFields(
        title=title,
        summary=summary,
        body=clean_block("\n".join(body_lines)),
        published_at=published,
        updated_at=updated,
        sentiment=sentiment,
    )


def _has_headline_after(content: list[str], index: int) -> bool:
    rest = [line for line in content[index + 1 : index + 3] if not is_label_line(line)]
    return bool(rest) and len(rest[0]) > len(content[index])


def _body(rest: list[str], title: str) -> list[str]:
    """Lines after the header, with takeaways de-duplicated and chrome removed."""
    takeaways, rest = _takeaways(rest)
    body: list[str] = []
    for line in rest:
        if _END_CHROME.match(line):
            break
        if is_line_chrome(line):
            continue
        body.append(line)
    first = next((i for i, line in enumerate(body) if line), len(body))
    body = body[first:]
    joined = " ".join(f"{title} {' '.join(body)}".split())
    if body and clean_line(body[0]) == title:
        body.pop(0)
    # Takeaways usually repeat the body sentence by sentence; keep only what is new.
    missing = [
        item for item in takeaways[:MAX_TAKEAWAYS] if " ".join(item.split())[:60] not in joined
    ]
    if missing:
        body = [*(f"• {item}" for item in missing), "", *body]
    return body


def _takeaways(lines: list[str]) -> tuple[list[str], list[str]]:
    """Pull a "Key Takeaways" bullet list out; strip bullets and "1#"/"2" number prefixes."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or not _TAKEAWAYS.match(lines[first]):
        return [], lines
    items: list[str] = []
    i = first + 1
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if not _BULLET.match(line) and not re.match(r"^\d{1,2}[.)#]\s", line):
            break
        item = _BULLET.sub("", line)
        number = str(len(items) + 1)
        if item.startswith(number) and not item[len(number) : len(number) + 1].isdigit():
            item = item[len(number) :].lstrip("#.):").strip()
        items.append(re.sub(r"#{1,6}\s+", "", item))
        i += 1
    return items, lines[i:]
