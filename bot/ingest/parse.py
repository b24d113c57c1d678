"""Bytes -> one normalised, enriched ``Article``: the entry point of ingestion.

The format is detected from the content, never from the file name: YAML front matter
(``---`` first), a scraped page (label line or date line near the top), else plain
text. Defaults for what no format states: source = the caller's ``SourceHint`` or
``unknown``; ``published_at`` = ``now`` (recorded in ``inferred``); summary = the
body's first paragraph (recorded too); lang/tags/sentiment come from ``enrich``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.ingest import frontmatter_format, plaintext_format, scraped_format
from bot.ingest.enrich import enrich_article
from bot.ingest.errors import RejectedDocument
from bot.ingest.fields import ParsedFields, source_key_for
from bot.ingest.identity import content_hash
from bot.ingest.normalise import decode
from bot.models import Article, Sentiment

__all__ = ["DocumentFormat", "RejectedDocument", "SourceHint", "detect_format", "parse_document"]

UNKNOWN_SOURCE = "unknown"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SourceHint:
    """Who delivered the document (a configured folder or feed): used when it names no source."""

    key: str
    name: str


class DocumentFormat(enum.StrEnum):
    FRONTMATTER = "frontmatter"
    SCRAPED = "scraped"
    PLAINTEXT = "plaintext"


def detect_format(text: str) -> DocumentFormat:
    """Decide from the content alone which parser reads this text."""
    if frontmatter_format.looks_like(text):
        return DocumentFormat.FRONTMATTER
    head = [line.strip() for line in text.split("\n", 40)[:40] if line.strip()]
    if scraped_format.looks_like(head):
        return DocumentFormat.SCRAPED
    return DocumentFormat.PLAINTEXT


_PARSERS = {
    DocumentFormat.FRONTMATTER: frontmatter_format.parse,
    DocumentFormat.SCRAPED: scraped_format.parse,
    DocumentFormat.PLAINTEXT: plaintext_format.parse,
}


def parse_document(
    raw: bytes,
    *,
    origin: str,
    source: SourceHint | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: datetime | None = None,
) -> Article:
    """Parse, normalise and enrich one document; raises only ``RejectedDocument``.

    ``origin`` (a path or feed URL) is not stored in the article; it is the caller's
    to name in messages. ``now`` makes defaults deterministic in tests.
    """
    del origin  # the caller prefixes rejections with it
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    text = decode(raw, max_bytes=max_bytes)
    try:
        parsed = _PARSERS[detect_format(text)](text, now=moment)
    except RejectedDocument:
        raise
    except RecursionError:
        raise RejectedDocument("document is nested too deeply to read") from None
    return build_article(parsed, source=source, now=moment)


def build_article(parsed: ParsedFields, *, source: SourceHint | None, now: datetime) -> Article:
    """Apply defaults, enrich what was not given, and seal the content hash."""
    given = parsed.given()
    inferred: list[str] = []
    source_key, source_name = parsed.source_key, parsed.source_name
    if source_key is None:
        if source is not None:
            source_key, source_name = source_key_for(source.key), source.name or source.key
        else:
            source_key, source_name = UNKNOWN_SOURCE, "Unknown source"
            inferred.append("source_key")
    published_at = parsed.published_at
    if published_at is None:
        published_at = now.replace(microsecond=0)
        inferred.append("published_at")
    summary = parsed.summary
    if summary is None:
        summary = plaintext_format.lead(parsed.body)
        if summary:
            inferred.append("summary")
    article = Article(
        title=parsed.title,
        source_key=source_key,
        source_name=source_name or source_key,
        published_at=published_at,
        summary=summary,
        body=parsed.body,
        url=parsed.url,
        external_id=parsed.external_id,
        updated_at=parsed.updated_at,
        lang=parsed.lang or "en",
        tags=parsed.tags or (),
        sentiment=parsed.sentiment or Sentiment.NEUTRAL,
        image_url=parsed.image_url,
        sticky_weight=parsed.sticky_weight or 0,
        draft=bool(parsed.draft),
        inferred=tuple(inferred),
    )
    article = enrich_article(article, given)
    article.content_hash = content_hash(article)
    return article
