"""What a format parser extracts before defaults and enrichment are applied.

Every field is ``None`` when the document did not say it, so ``parse`` can tell given
metadata (which always wins) from what must be defaulted or inferred.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields, replace
from datetime import datetime

from bot.models import Article, Sentiment


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


MAX_URL = 2048
MAX_EXTERNAL_ID = 200
MAX_LANG = 16
MAX_BODY_CHARS = 2 * 1024 * 1024  # as a file's default [ingest] max_file_bytes


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary and marked with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    word_cut = head.rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return (word_cut if len(word_cut) > limit // 2 else head) + "…"


def bounded_article(article: Article, *, max_body: int = MAX_BODY_CHARS) -> Article:
    """The article with every field inside its limit, as the file parsers leave them
    (title 500, summary 1,000, 30 tags of 40 characters, URLs 2,048, external id 200,
    body ``max_body`` characters). Feed items and admin posts go through this, so no
    source can store a 4 MiB title. Returns the same object when nothing was over."""
    changes: dict[str, object] = {}

    def limit(name: str, value: str, size: int) -> None:
        if len(value) > size:
            changes[name] = cut(value, size)

    limit("title", article.title, MAX_TITLE)
    limit("summary", article.summary, MAX_SUMMARY)
    if len(article.body) > max_body:
        changes["body"] = article.body[:max_body]
    limit("source_name", article.source_name, MAX_SOURCE_NAME)
    if len(article.source_key) > 64:
        changes["source_key"] = source_key_for(article.source_key)
    for name in ("url", "image_url"):
        value = getattr(article, name)
        if value is not None and len(value) > MAX_URL:
            changes[name] = None  # a cut link is a broken link
    if article.external_id is not None and len(article.external_id) > MAX_EXTERNAL_ID:
        digest = hashlib.sha256(article.external_id.encode("utf-8", "replace")).hexdigest()
        changes["external_id"] = f"sha256:{digest}"
    if len(article.lang) > MAX_LANG:
        changes["lang"] = article.lang[:MAX_LANG]
    tags = tuple(t[:MAX_TAG_LEN] for t in article.tags[:MAX_TAGS])
    if tags != article.tags:
        changes["tags"] = tuple(dict.fromkeys(tags))
    return replace(article, **changes) if changes else article  # type: ignore[arg-type]
