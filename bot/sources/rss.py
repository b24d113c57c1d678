"""RSS 0.9x/1.0/2.0 and Atom feeds: parse fetched bytes with feedparser, map items to articles.

feedparser only ever sees bytes we fetched ourselves (wrapped in a file object so it
can never treat a body as a URL or a file name). Mapping:

    guid / id                  -> external_id
    link                       -> url (whitespace and a literal CDATA wrapper removed; http(s) only)
    title                      -> title (markup removed)
    categories                 -> tags, upper-cased (enrichment adds inferred ones)
    media:content / media:thumbnail / image enclosure -> image_url
    description / summary      -> summary (HTML turned into text)
    content:encoded / content  -> body (falls back to the summary)
    published / updated        -> published_at / updated_at (UTC); an impossible date (before
                                  1970, over a year ahead) rejects the item, as it does a file
Text is repaired like a file's (ftfy for mojibake such as "Solanaâ€™s", control characters).
    the configured source      -> source_key / source_name
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXException

from bot.ingest.fields import MAX_TAGS, bounded_article, normalise_tag
from bot.ingest.normalise import date_problem, fix_text
from bot.models import Article
from bot.sources import cadence
from bot.sources.base import Ingestor, PollReport, SourceError, SourceStore, one_line
from bot.sources.feed_fields import clean_link, date_rejection, feed_date, item_link
from bot.sources.feed_ingest import parse_sized, read_feed, store_items
from bot.sources.html_text import html_to_text, shorten
from bot.sources.http_fetch import Fetcher

SUMMARY_CHARS = 600
MAX_REMEMBERED = 5000  # item fingerprints kept per feed (pushes add to them)
TAG_CHARS = 40
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


@dataclass(frozen=True, slots=True)
class MappedItem:
    """An article built from one feed item, with the fields the feed actually gave."""

    article: Article
    given: frozenset[str]


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The items of one feed document, plus entries that could not become articles."""

    title: str
    items: list[MappedItem]
    skipped: int
    hub: str | None = None  # <link rel="hub">: the feed's WebSub hub
    topic: str | None = None  # <link rel="self">: the URL to subscribe to
    ttl_s: float | None = None  # RSS <ttl>
    rejections: tuple[str, ...] = ()


def parse_feed(
    body: bytes,
    *,
    source_key: str,
    source_name: str,
    url: str = "",
    content_type: str | None = None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse a feed document; raise SourceError when it is not a usable feed."""
    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    if not body.strip():
        raise SourceError("empty response body (expected an RSS or Atom feed)")
    document = read_feed(body, headers)  # bounded: see feed_ingest.read_feed
    error = document.get("bozo_exception")
    if not document.entries and not isinstance(error, SAXException):
        if not document.get("version"):
            raise SourceError("not an RSS or Atom feed")
    stamp = now or datetime.now(UTC)
    feed_lang = _lang(document.feed.get("language"))
    items: list[MappedItem] = []
    skipped = 0
    rejections: list[str] = []
    for entry in document.entries:
        reason = date_rejection(entry, stamp)
        if reason:
            skipped += 1
            rejections.append(reason)
            continue
        mapped = map_entry(
            entry, source_key=source_key, source_name=source_name, now=stamp, lang=feed_lang
        )
        if mapped is None:
            skipped += 1
        else:
            items.append(mapped)
    if isinstance(error, SAXException) and not items:
        raise SourceError(f"malformed feed XML: {_bozo_reason(error)}")
    links = {
        str(link.get("rel")): str(link.get("href"))
        for link in document.feed.get("links") or ()
        if link.get("href") and str(link.get("href")).startswith(("http://", "https://"))
    }
    return ParsedFeed(
        title=html_to_text(document.feed.get("title")),
        items=items,
        skipped=skipped,
        hub=links.get("hub"),
        topic=links.get("self"),
        ttl_s=cadence.ttl_s(document.feed.get("ttl")),
        rejections=tuple(rejections),
    )


def map_entry(
    entry: Any, *, source_key: str, source_name: str, now: datetime, lang: str | None = None
) -> MappedItem | None:
    """One feedparser entry as an Article; None when it has neither title nor text.

    ``given`` names what the feed stated (enrichment fills the rest); fields we had to
    make up ourselves are listed in ``article.inferred``.
    """
    given: set[str] = {"source_key", "source_name"}
    inferred: list[str] = []
    summary = fix_text(html_to_text(entry.get("summary") or ""))
    content_html = _content(entry)
    body = fix_text(html_to_text(content_html)) if content_html else summary
    if not summary and body:
        summary = body
    summary = shorten(summary, SUMMARY_CHARS)
    title = " ".join(fix_text(html_to_text(entry.get("title"))).split())
    if title:
        given.add("title")
    elif summary:
        title = shorten(summary.split("\n")[0], 120)
        inferred.append("title")
    else:
        return None
    if summary:
        given.update({"summary", "body"})
    # dict.get: FeedParserDict would alias a missing "updated" to "published" (deprecated).
    published = feed_date(dict.get(entry, "published_parsed"))
    updated = feed_date(dict.get(entry, "updated_parsed"))
    if published is None and updated is not None:
        published = updated
    if any(date_problem(d, now) for d in (published, updated) if d is not None):
        return None  # counted as rejected, like a file with an impossible date
    if published is None:
        published = now.replace(microsecond=0)
        inferred.append("published_at")
    else:
        given.add("published_at")
    tags = _tags(entry.get("tags") or ())
    if tags:
        given.add("tags")
    image = _image(entry)
    if image:
        given.add("image_url")
    item_lang = _lang(_detail_lang(entry)) or lang
    if item_lang:
        given.add("lang")
    article = Article(
        title=title,
        source_key=source_key,
        source_name=source_name,
        published_at=published,
        updated_at=updated if updated and updated != published else None,
        summary=summary,
        body=body,
        url=item_link(entry),
        external_id=entry.get("id") or None,
        lang=item_lang or "en",
        tags=tags,
        image_url=image,
        inferred=tuple(inferred),
    )
    # every field inside the limits files get (a 4 MiB title would break /latest for all)
    return MappedItem(article=bounded_article(article), given=frozenset(given))


def _bozo_reason(exc: SAXException) -> str:
    """ "line 5, column 3: mismatched tag" rather than a SAX repr."""
    line = getattr(exc, "getLineNumber", None)
    message = getattr(exc, "getMessage", None)
    if callable(line) and callable(message):
        return one_line(f"line {line()}, column {exc.getColumnNumber()}: {message()}", 160)  # type: ignore[attr-defined]
    return one_line(str(exc), 160)


def _content(entry: Any) -> str:
    """The longest full-content block (content:encoded, Atom content), if any."""
    blocks = [c.get("value") or "" for c in entry.get("content") or ()]
    return max(blocks, key=len, default="")


def _tags(categories: Any) -> tuple[str, ...]:
    """Feed categories as tags ("Layer 2" -> "LAYER-2"); comma lists are split."""
    seen: dict[str, None] = {}
    for category in categories:
        term = category.get("term") or category.get("label") or ""
        for part in term.split(","):
            tag = normalise_tag(part)[:TAG_CHARS]
            if tag:
                seen.setdefault(tag, None)
        if len(seen) >= MAX_TAGS:
            break
    return tuple(seen)[:MAX_TAGS]


def _image(entry: Any) -> str | None:
    for media in entry.get("media_content") or ():
        url = media.get("url")
        medium = (media.get("medium") or "").lower()
        kind = (media.get("type") or "").lower()
        if url and (medium == "image" or kind.startswith("image/") or _looks_like_image(url)):
            return clean_link(url)
    for thumb in entry.get("media_thumbnail") or ():
        if thumb.get("url"):
            return clean_link(thumb["url"])
    for enclosure in entry.get("enclosures") or ():
        url = enclosure.get("href") or enclosure.get("url")
        kind = (enclosure.get("type") or "").lower()
        if url and (kind.startswith("image/") or (not kind and _looks_like_image(url))):
            return clean_link(url)
    return None


def _looks_like_image(url: str) -> bool:
    return url.lower().split("?", 1)[0].endswith(_IMAGE_EXTENSIONS)


def _detail_lang(entry: Any) -> str | None:
    detail = entry.get("title_detail") or entry.get("summary_detail") or {}
    return detail.get("language") if hasattr(detail, "get") else None


def _lang(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().lower().replace("_", "-").split("-")[0][:16] or None


class FeedSource:
    """One RSS/Atom feed polled through the shared fetcher into ``ingest_article``.

    ``finish`` completes a mapped item (enrichment, content hash) the same way the
    file parsers do. Validators (ETag, Last-Modified) are loaded from the store once and
    only advanced after every item of a fetched body went through the pipeline, so a
    failure half-way means the next poll fetches the full feed again. Items identical to
    the previous poll are not sent to the pipeline again; an item whose content changed
    without a new date gets the time of the poll as ``updated_at`` so the archive applies
    the edit in place.
    """

    kind = "rss"

    def __init__(
        self,
        name: str,
        url: str,
        pipeline: Ingestor,
        fetcher: Fetcher,
        store: SourceStore,
        *,
        key: str,
        finish: Callable[[MappedItem], Article],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.url = url
        self.key = key
        self.pipeline = pipeline
        self.fetcher = fetcher
        self.store = store
        self.finish = finish
        self.now = now
        self.etag: str | None = None
        self.last_modified: str | None = None
        self._loaded = False
        self._seen: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self.hub: str | None = None  # WebSub hub and topic the feed advertises
        self.topic: str | None = None
        self.server_wait_s: float | None = None  # <ttl> or Cache-Control max-age
        self.gap_s: float | None = None  # median gap between its newest items

    @property
    def target(self) -> str:
        return self.url

    async def poll(self) -> PollReport:
        """Fetch (conditionally), parse and ingest; raise SourceError on failure.

        Polls of one feed never overlap (a scheduled run and `poll_once`, say).
        """
        async with self._lock:
            return await self._poll()

    async def _poll(self) -> PollReport:
        if not self._loaded:
            health = await self.store.get(self.key)
            if health is not None:
                self.etag, self.last_modified = health.etag, health.last_modified
            self._loaded = True
        report = PollReport(self.name, self.kind)
        result = await self.fetcher.fetch(
            self.url, etag=self.etag, last_modified=self.last_modified
        )
        max_age = cadence.max_age_s(result.cache_control)
        if result.not_modified:
            report.not_modified = True
            self.server_wait_s = max_age or self.server_wait_s
            return report
        feed = await self._ingest(result.body, result.url, result.content_type, report)
        self.etag, self.last_modified = result.etag, result.last_modified
        self.hub, self.topic = feed.hub, feed.topic or result.url
        waits = [wait for wait in (feed.ttl_s, max_age) if wait]
        self.server_wait_s = max(waits) if waits else None
        self.gap_s = cadence.publishing_gap_s(
            i.article.published_at for i in feed.items if "published_at" not in i.article.inferred
        )
        return report

    async def push(self, body: bytes, content_type: str | None) -> PollReport:
        """A document the hub pushed (often just the new items): ingest it like a poll,
        without touching the validators or forgetting items it does not repeat."""
        async with self._lock:
            report = PollReport(self.name, self.kind)
            await self._ingest(body, self.topic or self.url, content_type, report, partial=True)
            return report

    async def _ingest(
        self,
        body: bytes,
        url: str,
        content_type: str | None,
        report: PollReport,
        *,
        partial: bool = False,
    ) -> ParsedFeed:
        parse = functools.partial(
            parse_feed,
            body,
            source_key=self.key,
            source_name=self.name,
            url=url,
            content_type=content_type,
            now=self.now(),
        )
        feed = await parse_sized(parse, body, getattr(self.pipeline, "parser", None))
        report.rejected += feed.skipped
        report.rejections.extend(feed.rejections)
        seen: dict[str, str] = dict(self._seen) if partial else {}
        fresh: list[tuple[MappedItem, str]] = []
        for item in sorted(feed.items, key=lambda i: i.article.published_at):
            article = item.article
            memo = article.external_id or article.url or article.title
            fingerprint = _fingerprint(article)
            seen[memo] = fingerprint
            before = self._seen.get(memo)
            if before == fingerprint:
                report.items_seen += 1
                report.duplicates += 1
                continue
            if before is not None and article.updated_at is None:
                # Edited in place without a date (common in RSS): the poll saw the change.
                article.updated_at = self.now().replace(microsecond=0)
                article.inferred = (*article.inferred, "updated_at")
            fresh.append((item, memo))
        await store_items(self.pipeline, fresh, url=self.url, finish=self.finish, report=report)
        if len(seen) > MAX_REMEMBERED:  # pushes add up: keep the newest
            seen = dict(list(seen.items())[-MAX_REMEMBERED:])
        self._seen = seen
        return feed


def _fingerprint(article: Article) -> str:
    """What makes an item worth sending to the pipeline again when the feed repeats it."""
    parts = (
        article.title,
        article.summary,
        article.body,
        article.url or "",
        article.updated_at.isoformat() if article.updated_at else "",
        "" if "published_at" in article.inferred else article.published_at.isoformat(),
        ",".join(article.tags),
        article.image_url or "",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
