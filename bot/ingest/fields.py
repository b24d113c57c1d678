"""What a format parser extracts before defaults and enrichment are applied.

Every field is ``None`` when the document did not say it, so ``parse`` can tell given
metadata (which always wins) from what must be defaulted or inferred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime

from bot.models import Sentiment


@dataclass(slots=True)
class ParsedFields:
    """The raw result of one format parser (text already repaired and cleaned)."""

    title: str
    summary: str | None = None
    body: str = ""
    url: str | None = None
    external_id: str | None = None
    source_key: str | None = None
    source_name: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    lang: str | None = None
    tags: tuple[str, ...] | None = None
    sentiment: Sentiment | None = None
    image_url: str | None = None
    sticky_weight: int | None = None
    draft: bool | None = None
    retracted: bool | None = None  # the source withdrew the story (issue 8 edits it)

    def given(self) -> frozenset[str]:
        """Names of the ``Article`` fields this document stated itself."""
        names = {name for name in _FIELD_NAMES if getattr(self, name) is not None}
        if self.body:
            names.add("body")
        else:
            names.discard("body")
        return frozenset(names)


_FIELD_NAMES = tuple(f.name for f in fields(ParsedFields))
_SLUG = re.compile(r"[^a-z0-9]+")
# Column sizes in storage/tables.py (PostgreSQL enforces them): keep every value inside.
MAX_TAG_LEN = 40
MAX_TAGS = 30
MAX_SOURCE_NAME = 200
MAX_TITLE = 500
MAX_SUMMARY = 1000


def source_key_for(name: str) -> str:
    """A stable key from a source name ("The Block" -> "the-block"), at most 64 chars."""
    slug = _SLUG.sub("-", name.lower()).strip("-")
    return slug[:64].strip("-") or "unknown"


def normalise_tag(tag: str) -> str:
    """Upper case, no leading '#'/'$', inner whitespace as '-' ("layer 2" -> "LAYER-2")."""
    cleaned = "-".join(tag.strip().lstrip("#$").split())
    return cleaned.upper()[:MAX_TAG_LEN].rstrip("-")
