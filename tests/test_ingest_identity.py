"""Identity keys, canonical URLs and content hashes decide duplicates and updates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.ingest.identity import (
    MAX_KEY,
    canonical_url,
    content_hash,
    identity_key,
    identity_keys,
    normalised_title,
)
from bot.ingest.parse import parse_document
from bot.models import Article, Sentiment

WHEN = datetime(2026, 1, 7, 3, 54, tzinfo=UTC)


def article(**changes: object) -> Article:
    base = Article(
        title="Bitcoin Dips to $92K as Liquidations Top $440M",
        source_key="decrypt",
        source_name="Decrypt",
        published_at=WHEN,
        summary="Bitcoin fell.",
        body="Body.",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.COM/a/b/", "https://example.com/a/b"),
        ("HTTPS://www.example.com/a?utm_source=x&utm_medium=rss", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&ref=twitter#top", "https://example.com/a?a=1&b=2"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:8080/a/", "http://example.com:8080/a"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com/a?fbclid=1&gclid=2&id=7", "https://example.com/a?id=7"),
        ("https://example.com//a//b", "https://example.com/a/b"),
        ("https://example.com/Path/Case", "https://example.com/Path/Case"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("not a url", "not a url"),
        ("https://exa mple.com:99999/x", "https://exa mple.com:99999/x"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_same_external_id_of_same_source_is_the_same_article() -> None:
    first = article(external_id="56918749", url="https://decrypt.co/a")
    edited = article(external_id="56918749", title="A new title", url="https://decrypt.co/b")
    assert identity_key(first) == identity_key(edited)
    other_source = article(external_id="56918749", source_key="coindesk")
    assert identity_key(first) != identity_key(other_source)


def test_same_canonical_url_is_the_same_article() -> None:
    first = article(url="https://decrypt.co/news/btc-dips/?utm_source=rss")
    again = article(url="https://www.DECRYPT.co/news/btc-dips#comments", title="Changed")
    assert identity_key(first) == identity_key(again)
    # http and https of one page are one article.
    assert identity_key(article(url="http://decrypt.co/news/btc-dips")) == identity_key(first)


def test_same_source_and_normalised_title_is_the_same_article() -> None:
    first = article()
    again = article(title="  bitcoin dips to $92k as LIQUIDATIONS top $440m!! ")
    assert identity_key(first) == identity_key(again)
    assert identity_key(first) != identity_key(article(source_key="coindesk"))
    assert identity_key(first) != identity_key(article(title="Bitcoin Dips to $91K"))


def test_identity_keys_lists_every_way_to_match_strongest_first() -> None:
    keys = identity_keys(article(external_id="7", url="https://decrypt.co/x"))
    assert [key.split(":")[0] for key in keys] == ["id", "url", "title"]
    # A re-delivery without the external id still shares the URL key.
    assert identity_keys(article(url="https://decrypt.co/x"))[0] in keys


def test_long_parts_are_hashed_so_keys_stay_short() -> None:
    huge = article(title="word " * 5000, url="https://example.com/" + "a" * 5000)
    for key in identity_keys(huge):
        assert len(key) <= MAX_KEY
    assert identity_keys(huge) == identity_keys(replace(huge))
    different = article(title="word " * 4999 + "other", url="https://example.com/" + "b" * 5000)
    assert set(identity_keys(huge)).isdisjoint(identity_keys(different))


def test_normalised_title() -> None:
    assert normalised_title("Bitcoin’s  Rally — Stalls!") == "bitcoins rally stalls"
    assert normalised_title("Café Crème") == "cafe creme"


def test_content_hash_changes_with_every_visible_field() -> None:
    base = article(tags=("BTC",), url="https://x.example/a")
    original = content_hash(base)
    assert content_hash(replace(base)) == original
    visible_changes = {
        "title": "Other",
        "summary": "Other.",
        "body": "Other body.",
        "url": "https://x.example/b",
        "source_key": "coindesk",
        "source_name": "CoinDesk",
        "published_at": datetime(2026, 1, 8, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 8, tzinfo=UTC),
        "lang": "de",
        "tags": ("BTC", "ETF"),
        "sentiment": Sentiment.POSITIVE,
        "image_url": "https://x.example/i.png",
        "sticky_weight": 3,
        "draft": True,
    }
    for name, value in visible_changes.items():
        assert content_hash(replace(base, **{name: value})) != original, name
    # Storage bookkeeping is not something a reader sees.
    assert content_hash(replace(base, id=5, story_id=9, content_hash="x")) == original


def test_defaulted_date_does_not_make_the_same_file_new() -> None:
    raw = b"Bitcoin holds $90K\n\nTraders wait for the Fed.\n"
    first = parse_document(raw, origin="a.txt", now=datetime(2026, 1, 1, tzinfo=UTC))
    later = parse_document(raw, origin="a.txt", now=datetime(2026, 1, 2, tzinfo=UTC))
    assert first.published_at != later.published_at
    assert first.content_hash == later.content_hash
    changed = parse_document(raw + b"More.\n", origin="a.txt", now=datetime(2026, 1, 2, tzinfo=UTC))
    assert changed.content_hash != first.content_hash


def test_crlf_and_bom_do_not_change_the_hash() -> None:
    text = "---\ntitle: Same\ndate: 2026-01-01T00:00:00Z\n---\nBody line.\n"
    plain = parse_document(text.encode(), origin="a")
    windows = parse_document(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), origin="b")
    assert plain.content_hash == windows.content_hash


def test_inferred_fields_do_not_change_the_hash() -> None:
    inferred = article(tags=("BTC",), inferred=("tags", "sentiment", "lang"))
    relabelled = replace(inferred, tags=("BTC", "MARKET"), sentiment=Sentiment.NEGATIVE, lang="de")
    assert content_hash(inferred) == content_hash(relabelled)
    stated = replace(inferred, inferred=())
    assert content_hash(stated) != content_hash(replace(stated, tags=("BTC", "MARKET")))
