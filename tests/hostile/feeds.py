"""Hostile feed bodies for tests/hostile/test_hostile_feeds.py: what a feed server could
send, each with what the source must make of it."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sources_support import RSS_HEAD, rss_document, rss_item

MIB = 1024 * 1024


@dataclass(frozen=True)
class FeedCase:
    """``body()`` served as-is (``headers`` added); ``error`` is a piece of the source's
    one-line failure, else the poll succeeds with ``new`` stored and ``rejected`` refused."""

    name: str
    body: Callable[[], bytes]
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    new: int = 0
    rejected: int = 0


def _gzip_bomb() -> bytes:
    """200 MiB of zeros in about 200 KiB of gzip: the decoded size must hit the cap."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = b"\0" * MIB
    return b"".join([*(packer.compress(chunk) for _ in range(200)), packer.flush()])


def _entity_bomb() -> bytes:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rss [", '<!ENTITY a "lollollollollol">']
    previous = "a"
    for name in "bcdefghij":
        lines.append(f'<!ENTITY {name} "{("&" + previous + ";") * 10}">')
        previous = name
    lines.append("]>")
    lines.append(
        '<rss version="2.0"><channel><title>Bomb</title>'
        f"<item><title>Laughs &{previous};</title><guid>b-1</guid>"
        "<pubDate>Tue, 06 Jan 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    return "\n".join(lines).encode()


def _external_entity() -> bytes:
    return (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>XXE</title><item><title>Secrets &xxe;</title>'
        b"<guid>x-1</guid><description>read &xxe; here</description>"
        b"<pubDate>Tue, 06 Jan 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )


def _deep_nesting(depth: int = 100_000) -> bytes:
    return (
        RSS_HEAD
        + "<item><title>Deep</title><guid>d-1</guid><description>"
        + "<x>" * depth
        + "</x>" * depth
        + "</description></item></channel></rss>"
    ).encode()


def _many_items_one_huge(categories: int = 5000) -> bytes:
    items = [
        rss_item(
            "h-1",
            "Solana " * (3 * MIB // 7),
            description="<p>" + "d" * (MIB // 2) + "</p>",
            categories=tuple(f"category {i}" for i in range(categories)),
            link="http://127.0.0.1/" + "p" * 10_000,
        ),
        rss_item("h-2", "An ordinary headline next to a huge one"),
    ]
    return rss_document(*items)


def _scripts() -> bytes:
    item = (
        "<item><title>&lt;script&gt;alert(1)&lt;/script&gt;Ether rallies</title>"
        "<link>javascript:alert(document.cookie)</link><guid>s-1</guid>"
        "<description>&lt;img src=x onerror=alert(1)&gt;&lt;iframe src=javascript:alert(2)"
        "&gt;&lt;/iframe&gt;Buyers returned.&lt;script&gt;steal()&lt;/script&gt;</description>"
        "<pubDate>Tue, 06 Jan 2026 10:00:00 GMT</pubDate></item>"
    )
    return (RSS_HEAD + item + "</channel></rss>").encode()


def _dates() -> bytes:
    return rss_document(
        rss_item("y-1", "Dated in year 9999", pub_date="Fri, 31 Dec 9999 23:59:59 GMT"),
        rss_item("y-2", "Dated in year 1", pub_date="Mon, 01 Jan 0001 00:00:00 GMT"),
        rss_item("y-3", "Dated far ahead", pub_date="Sat, 01 Jan 2101 00:00:00 GMT"),
        rss_item("y-4", "Dated properly"),
    )


def _latin1_declared_utf8() -> bytes:
    return rss_document(rss_item("l-1", "Café crème for bitcoin bulls")).replace(
        "Café crème".encode(), "Café crème".encode("latin-1")
    )


def _markup_only() -> bytes:
    item = "<item><title>&lt;b&gt;&lt;/b&gt;</title><guid>m-1</guid></item>"
    return (RSS_HEAD + item + "</channel></rss>").encode()


def _many_empty_items() -> bytes:
    return (RSS_HEAD + "<item></item>" * 14_000 + "</channel></rss>").encode()


FEED_CASES = [
    FeedCase(
        "gzip-bomb",
        _gzip_bomb,
        {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
        error="cap",
    ),
    FeedCase("xml-entity-bomb", _entity_bomb, new=1),  # entities are never expanded
    FeedCase("external-entity", _external_entity, new=1),
    FeedCase("deep-nesting", _deep_nesting, error="deep, over the 16,000 a feed may have"),
    FeedCase("deep-but-allowed-nesting", lambda: _deep_nesting(14_000), new=1),
    FeedCase("five-thousand-categories", _many_items_one_huge, error="categories, over the 3,000"),
    FeedCase("huge-item-beside-a-normal-one", lambda: _many_items_one_huge(2000), new=2),
    FeedCase("script-injection", _scripts, new=1),
    FeedCase("impossible-dates", _dates, new=1, rejected=3),
    FeedCase("latin1-declared-utf8", _latin1_declared_utf8, new=1),
    FeedCase("binary", lambda: bytes(range(256)) * 64, error="malformed feed XML"),
    FeedCase("empty", lambda: b"  \n", error="empty response body"),
    FeedCase("html-page", lambda: b"<html><body><h1>Not a feed</h1></body></html>", error="not"),
    FeedCase("fourteen-thousand-empty-items", _many_empty_items, rejected=14_000),
    FeedCase("markup-only-title", _markup_only, rejected=1),
]
