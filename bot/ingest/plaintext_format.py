"""Plain text (sample 004): the first non-empty line is the headline, the rest the body.

Nothing else is stated, so the summary is derived from the first paragraph and date,
tags and sentiment are left for ``parse``/``enrich`` to default or infer. Promo lines
("Related Reading: ...", image credits) are dropped like on scraped pages.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.ingest.errors import RejectedDocument
from bot.ingest.fields import ParsedFields
from bot.ingest.normalise import clean_block, clean_line
from bot.ingest.scraped_format import LINE_CHROME_PATTERN

MAX_TITLE = 200
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
# Every promo line contains one of these (a necessary condition for the pattern below).
_CHROME_WORDS = (
    "related reading", "read also", "also read", "see also", "advertisement", "sponsored",
    "click here", "read more", "image", "edited by", "reporting by",
)  # fmt: skip
# ``is_line_chrome(line.strip())`` for every line at once; "\s" never crosses a line.
_CHROME_LINES = re.compile(
    r"^[^\S\n]*(?:" + LINE_CHROME_PATTERN.replace(r"\s", r"[^\S\n]") + r")[^\n]*(?:\n|\Z)",
    re.IGNORECASE | re.MULTILINE,
)


def parse(text: str, *, now: datetime) -> ParsedFields:
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise RejectedDocument("empty document")
    title = clean_line(re.sub(r"^\s{0,3}#{1,6}\s+", "", lines[first]))
    if not any(ch.isalnum() for ch in title):
        raise RejectedDocument("no title (the first line has no letters or digits)")
    # promo lines dropped in one pass over the text (a loop over a million lines costs 0.3 s)
    rest = _without_chrome("\n".join(lines[first + 1 :]))
    if len(title) > MAX_TITLE:
        # One long paragraph and no headline: its first sentence becomes the title.
        rest = f"{title}\n{rest}"
        title = shorten(_SENTENCE_END.split(title, maxsplit=1)[0], MAX_TITLE)
    return ParsedFields(title=title, body=clean_block(rest))


def _without_chrome(text: str) -> str:
    """Promo lines dropped; the regex runs only when one of their words occurs at all
    (substring tests are C-speed; the regex tries every line start)."""
    lowered = text.lower()
    if not any(word in lowered for word in _CHROME_WORDS):
        return text
    return _CHROME_LINES.sub("", text)


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-—")
    return f"{cut}…"


def lead(body: str, limit: int = 300) -> str:
    """Whole sentences from the first paragraph, up to ``limit`` characters: the summary
    when none was given (hard-wrapped lines are joined first)."""
    paragraph = next((p for p in body.split("\n\n") if p.strip()), "")
    if not paragraph.lstrip().startswith(("•", "- ", "* ")):
        paragraph = " ".join(paragraph.split("\n"))
    else:
        paragraph = paragraph.split("\n")[0]
    text = clean_line(paragraph)
    if len(text) <= limit:
        return text
    picked = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{picked} {sentence}".strip()
        if len(candidate) > limit:
            break
        picked = candidate
    return picked or shorten(text, limit)
