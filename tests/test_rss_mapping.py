"""Feed documents of every RSS generation and Atom, mapped to articles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sources_support import atom_document, atom_entry, rss_document, rss_item

from bot.sources.base import SourceError
from bot.sources.rss import parse_feed

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def parse(body: bytes, url: str = "http://127.0.0.1/feed.xml"):
    return parse_feed(body, source_key="wire", source_name="Wire", url=url, now=NOW)


def test_rss2_item_maps_every_field() -> None:
    item = rss_item(
        "guid-1",
        "Bitcoin &amp; Ether rally",
        link="/news/1",
        description='<p>Bitcoin <b>jumped</b> 5%.</p><script>track()</script><img src="x.gif">',
        pub_date="Tue, 06 Jan 2026 10:00:00 +0200",
        categories=("Bitcoin", "markets", "Markets"),
        extra=(
            "<content:encoded><![CDATA[<p>Full story.</p><p>Second paragraph.</p>]]>"
            "</content:encoded>"
            '<media:content url="http://127.0.0.1/img/1.jpg" medium="image"/>'
        ),
    )
    feed = parse(rss_document(item))
    assert feed.title == "Test Wire"
    [mapped] = feed.items
    article = mapped.article
    assert article.external_id == "guid-1"
    assert article.url == "http://127.0.0.1/news/1"  # relative link resolved against the feed
    assert article.title == "Bitcoin & Ether rally"
    assert article.summary == "Bitcoin jumped 5%."
    assert article.body == "Full story.\n\nSecond paragraph."
    assert article.tags == ("BITCOIN", "MARKETS")
    assert article.image_url == "http://127.0.0.1/img/1.jpg"
    assert article.published_at == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    assert article.published_at.tzinfo is UTC
    assert (article.source_key, article.source_name, article.lang) == ("wire", "Wire", "en")
    assert {"title", "summary", "tags", "image_url", "published_at"} <= mapped.given
    assert "sentiment" not in mapped.given


def test_atom_entry_maps_id_link_content_and_dates() -> None:
    entry = atom_entry(
        "tag:wire,2026:42",
        "Solana ETF filing",
        link="http://127.0.0.1/atom/42",
        summary="Short <em>summary</em>",
        content="<div>Long <a href='#'>content</a> here</div>",
        published="2026-01-06T09:00:00+02:00",
        updated="2026-01-06T11:30:00+02:00",
        categories=("DeFi", "etf"),
    )
    [mapped] = parse(atom_document(entry)).items
    article = mapped.article
    assert article.external_id == "tag:wire,2026:42"
    assert article.url == "http://127.0.0.1/atom/42"
    assert article.summary == "Short summary"
    assert article.body == "Long content here"
    assert article.tags == ("DEFI", "ETF")
    assert article.published_at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    assert article.updated_at == datetime(2026, 1, 6, 9, 30, tzinfo=UTC)


def test_rss_1_0_rdf_items() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://127.0.0.1/"><title>RDF Wire</title><link>http://127.0.0.1/</link>
<description>d</description><items><rdf:Seq><rdf:li resource="http://127.0.0.1/r/1"/></rdf:Seq></items></channel>
<item rdf:about="http://127.0.0.1/r/1"><title>Ripple wins case</title><link>http://127.0.0.1/r/1</link>
<description>XRP up.</description><dc:date>2026-01-05T08:00:00Z</dc:date>
<dc:subject>Legal</dc:subject></item>
</rdf:RDF>"""
    [mapped] = parse(body).items
    assert mapped.article.title == "Ripple wins case"
    assert mapped.article.url == "http://127.0.0.1/r/1"
    assert mapped.article.published_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert mapped.article.tags == ("LEGAL",)


def test_rss_0_91_items_without_guid_or_date() -> None:
    body = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old Wire</title>
<link>http://127.0.0.1/</link><description>d</description><language>de</language>
<item><title>Ether gas fees fall</title><link>http://127.0.0.1/o/1</link>
<description>Cheaper &amp;amp; faster.</description></item></channel></rss>"""
    [mapped] = parse(body).items
    article = mapped.article
    assert article.external_id is None
    assert article.url == "http://127.0.0.1/o/1"
    assert article.summary == "Cheaper & faster."
    assert article.published_at == NOW  # no date in the feed: the poll time (whole seconds)
    assert "published_at" not in mapped.given
    assert "published_at" in article.inferred
    assert article.lang == "de"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('<media:thumbnail url="http://127.0.0.1/t.png"/>', "http://127.0.0.1/t.png"),
        ('<enclosure url="http://127.0.0.1/e.webp" type="image/webp" length="9"/>',
         "http://127.0.0.1/e.webp"),
        ('<enclosure url="http://127.0.0.1/pod.mp3" type="audio/mpeg" length="9"/>', None),
        ('<media:content url="http://127.0.0.1/v.mp4" medium="video"/>'
         '<media:thumbnail url="http://127.0.0.1/poster.jpg"/>', "http://127.0.0.1/poster.jpg"),
    ],
)  # fmt: skip
def test_images_from_media_and_enclosures(extra: str, expected: str | None) -> None:
    [mapped] = parse(rss_document(rss_item("g", "Title", extra=extra))).items
    assert mapped.article.image_url == expected


def test_item_without_title_uses_its_text_and_empty_items_are_skipped() -> None:
    body = rss_document(
        "<item><description>Only a description, no headline.</description></item>",
        "<item><guid>empty</guid></item>",
    )
    feed = parse(body)
    assert [m.article.title for m in feed.items] == ["Only a description, no headline."]
    assert "title" not in feed.items[0].given
    assert feed.items[0].article.inferred == ("title", "published_at")
    assert feed.skipped == 1


def test_valid_empty_feed_has_no_items() -> None:
    assert parse(rss_document()).items == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<rss version='2.0'><channel><item><title>x</item></channel></rss>",
         r"^malformed feed XML: line \d+, column \d+: mismatched tag$"),
        (b"<html><body><p>Not a feed</p></body></html>", r"^not an RSS or Atom feed$"),
        (b"   \n", r"^empty response body"),
    ],
)  # fmt: skip
def test_unusable_documents_are_one_line_errors(body: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse(body)


def test_body_that_looks_like_a_path_is_never_opened(tmp_path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss_document(rss_item("s", "Leaked")))
    with pytest.raises(SourceError):
        parse(str(secret).encode())


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("Plain &amp; simple", "Plain & simple"),
        ("<p>One</p><p>Two&nbsp;words</p>", "One\n\nTwo words"),
        ("<ul><li>BTC</li><li>ETH</li></ul>", "BTC\nETH"),
        ("<style>p{}</style><script>alert(1)</script>Kept <i>text</i>", "Kept text"),
        ("Line<br/>break", "Line\nbreak"),
        ("", ""),
    ],
)
def test_html_fragments_become_text(fragment: str, text: str) -> None:
    from bot.sources.html_text import html_to_text

    assert html_to_text(fragment) == text


def test_categories_are_normalised_like_file_tags() -> None:
    item = rss_item("g", "Title", categories=("Layer 2", "#DeFi", "news, Markets", "  "))
    [mapped] = parse(rss_document(item)).items
    assert mapped.article.tags == ("LAYER-2", "DEFI", "NEWS", "MARKETS")


def test_declared_encodings_are_honoured() -> None:
    body = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Caf\u00e9 owners accept Bitcoin</title><guid>l1</guid></item>"
        "</channel></rss>"
    ).encode("latin-1")
    [mapped] = parse(body).items
    assert mapped.article.title == "Caf\u00e9 owners accept Bitcoin"


def test_utf8_bom_and_atom_without_ids_use_links() -> None:
    body = "\ufeff".encode() + atom_document(
        atom_entry("", "No id here", link="http://127.0.0.1/x?utm_source=feed")
    ).replace(b"<id></id>", b"")
    [mapped] = parse(body).items
    assert mapped.article.external_id is None
    assert mapped.article.url == "http://127.0.0.1/x?utm_source=feed"
