"""Bytes -> one normalised, enriched ``Article``: the entry point of ingestion.

The format is detected from the content, never from the file name: YAML front matter
(``---`` first), a scraped page (label line or date line near the top), else plain
text. A saved HTML page is first reduced to text (headline first) and then read as
scraped or plain text.

Defaults for what no format states: source = the caller's ``SourceHint`` or
``unknown``; ``published_at`` = ``now`` (recorded in ``inferred``); summary = the
body's first paragraph (recorded too); lang/tags/sentiment come from ``enrich``.
``build_article`` is public so feed readers can reuse the same defaults.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from bot.enrich.enrich import ENRICHED, default_tagger, inferred_fields, with_inferred
from bot.ingest import frontmatter_format, plaintext_format, scraped_format
from bot.ingest.errors import RejectedDocument
from bot.ingest.fields import (
    MAX_SOURCE_NAME,
    MAX_SUMMARY,
    MAX_TITLE,
    ParsedFields,
    source_key_for,
)
from bot.ingest.html_text import html_page_to_text, looks_like_html_page
from bot.ingest.identity import content_hash
from bot.ingest.normalise import decode
from bot.ingest.plaintext_format import shorten
from bot.models import Article, Sentiment

__all__ = [
    "DocumentFormat",
    "ParsedFields",
    "RejectedDocument",
    "SourceHint",
    "build_article",
    "detect_format",
    "finish_article",
    "parse_document",
    "read_fields",
]

log = logging.getLogger("cryptowire.ingest.parse")
T = TypeVar("T")

UNKNOWN_SOURCE = "unknown"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# html.parser costs ~50 µs per tag; real article pages have a few thousand.
MAX_HTML_TAGS = 30_000


@dataclass(frozen=True)
class SourceHint:
    """Who delivered the document (a configured folder or feed): used when it names no source."""

    key: str
    name: str


class DocumentFormat(enum.StrEnum):
    FRONTMATTER = "frontmatter"
    SCRAPED = "scraped"
    PLAINTEXT = "plaintext"
    HTML = "html"  # a saved web page: reduced to text, then read as scraped or plain


def detect_format(text: str) -> DocumentFormat:
    """Decide from the content alone which parser reads this text."""
    if frontmatter_format.looks_like(text):
        return DocumentFormat.FRONTMATTER
    if looks_like_html_page(text):
        return DocumentFormat.HTML
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
    parsed = read_fields(raw, max_bytes=max_bytes, now=moment)
    return finish_article(parsed, source=source, now=moment)


def read_fields(raw: bytes, *, max_bytes: int, now: datetime) -> ParsedFields:
    """The first half of ``parse_document``: what the document states (its date among
    them), before defaults and enrichment. A bulk load orders its documents by this."""
    text = decode(raw, max_bytes=max_bytes)
    kind = detect_format(text)
    if kind is DocumentFormat.HTML:
        if text.count("<") > MAX_HTML_TAGS:
            raise RejectedDocument(
                f"HTML page with over {MAX_HTML_TAGS} tags is too complex to read"
            )
        text = html_page_to_text(text)
        kind = detect_format(text)
        if kind is DocumentFormat.HTML or not text.strip():
            raise RejectedDocument("HTML page without readable text")
    return _guarded(kind.value, lambda: _PARSERS[kind](text, now=now))


def finish_article(parsed: ParsedFields, *, source: SourceHint | None, now: datetime) -> Article:
    """The second half of ``parse_document``: defaults, enrichment, content hash (``now``:
    the moment ``read_fields`` was given)."""
    return _guarded("parsed", lambda: build_article(parsed, source=source, now=now))


def _guarded(kind: str, work: Callable[[], T]) -> T:
    """``work()``, every failure as ``RejectedDocument``: one odd file must never stop a
    folder or a feed."""
    try:
        return work()
    except RejectedDocument:
        raise
    except RecursionError:
        raise RejectedDocument("document is nested too deeply to read") from None
    except MemoryError:
        raise RejectedDocument("document needs too much memory to read") from None
    except Exception as error:
        log.exception("parser bug on a %s document", kind)
        raise RejectedDocument(f"could not read this document ({type(error).__name__})") from None


def canonical_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    """Stated tags that name a coin become its ticker ("Bitcoin" -> "BTC"), so one
    subscription to BTC sees them; everything else is kept as stated."""
    tagger = default_tagger()
    return tuple(dict.fromkeys(tagger.canonical(tag) or tag for tag in tags))


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
    title = shorten(parsed.title, MAX_TITLE)
    summary = shorten(summary, MAX_SUMMARY)
    enriched: dict[str, object] = {
        "lang": parsed.lang or "en",
        "tags": canonical_tags(parsed.tags or ()),
        "sentiment": parsed.sentiment or Sentiment.NEUTRAL,
        "inferred": tuple(inferred),
    }
    missing = ENRICHED - given
    if missing:  # as enrich_article would, without building the article twice
        enriched.update(inferred_fields(title, summary, parsed.body, missing))
        enriched["inferred"] = with_inferred(tuple(inferred), missing)
    article = Article(
        title=title,
        summary=summary,
        source_key=source_key,
        source_name=(source_name or source_key)[:MAX_SOURCE_NAME],
        published_at=published_at,
        body=parsed.body,
        url=parsed.url,
        external_id=parsed.external_id,
        updated_at=parsed.updated_at,
        image_url=parsed.image_url,
        sticky_weight=parsed.sticky_weight or 0,
        draft=bool(parsed.draft),
        retracted=bool(parsed.retracted),
        **enriched,  # type: ignore[arg-type]
    )
    article.content_hash = content_hash(article)
    return article
