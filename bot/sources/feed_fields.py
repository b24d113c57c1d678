"""Feed item fields cleaned like a file's: the link, and the dates no file could carry.

Kept apart from ``rss`` (which maps the rest of an item) so both stay small.
"""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime
from typing import Any

from bot.ingest.normalise import date_problem
from bot.sources.base import one_line
from bot.sources.html_text import html_to_text


def feed_date(parsed: time.struct_time | None) -> datetime | None:
    """feedparser normalises dates to UTC struct_time; impossible ones become None."""
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def date_rejection(entry: Any, now: datetime) -> str | None:
    """ "impossible date in published: 2099-01-01 is more than a year in the future" for an item
    whose date no file could have either (``normalise.date_problem``), else None."""
    for field in ("published", "updated"):
        found = feed_date(dict.get(entry, f"{field}_parsed"))
        problem = date_problem(found, now) if found else None
        if found and problem:
            name = one_line(html_to_text(entry.get("title")) or entry.get("id") or "item", 80)
            return f"{name}: impossible date in {field}: {found:%Y-%m-%d} {problem}"
    return None


_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_SCHEME = re.compile(r"^(https?):/+", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)


def clean_link(value: str | None) -> str | None:
    """A feed's link as a usable URL: whitespace and line breaks dropped, a CDATA wrapper
    that reached us as text (double-escaped feeds) unwrapped, ``&amp;`` decoded; anything
    but http(s) is None."""
    if not value:
        return None
    text = html.unescape(value).strip()
    match = _CDATA.search(text)
    if match:  # feedparser may have resolved the wrapper against the feed's address
        text = _SCHEME.sub(r"\1://", match.group(1).strip())
    text = "".join(text.split())
    return text if _URL.match(text) else None


def item_link(entry: Any) -> str | None:
    """The item's link, else its alternate link, else a guid marked as a permalink."""
    found = clean_link(entry.get("link"))
    if found:
        return found
    for link in entry.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and clean_link(link.get("href")):
            return clean_link(link.get("href"))
    if entry.get("guidislink"):
        return clean_link(entry.get("id"))
    return None
