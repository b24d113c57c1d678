"""Every kind of bad input is rejected with one clear line, and nothing else escapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.ingest.parse import RejectedDocument, parse_document

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
INTERNAL = "could not read this document"


def front(meta: str, body: str = "Body text.") -> bytes:
    return f"---\n{meta}\n---\n{body}\n".encode()


BAD = [
    pytest.param(b"", "empty document", id="empty"),
    pytest.param(b"  \n\r\n\t \n", "empty document", id="whitespace-only"),
    pytest.param(b"\xef\xbb\xbf\r\n", "empty document", id="bom-only"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", id="png"),
    pytest.param(b"Title line\n\xff\xfe bad bytes \xc3\x28", "not valid UTF-8", id="latin1"),
    pytest.param("Titel ä".encode("latin-1"), "not valid UTF-8 (byte 0xe4", id="latin1-umlaut"),
    pytest.param("Hello".encode("utf-16"), "UTF-16", id="utf16"),
    pytest.param(bytes(range(1, 32)) * 20, "binary", id="control-chars"),
    pytest.param(front("title: [unclosed"), "malformed YAML", id="yaml-syntax"),
    pytest.param(front("title: a\n  bad: indent\n- x"), "malformed YAML", id="yaml-structure"),
    pytest.param(front("- just\n- a list"), "expected 'key: value' pairs", id="yaml-list"),
    pytest.param(front("title: !!python/object:os.system x"), "malformed YAML", id="yaml-unsafe"),
    pytest.param(b"---\ntitle: never closed\nbody", "never closed", id="unclosed"),
    pytest.param(front("description: no title here"), "no title", id="no-title"),
    pytest.param(front("title: '   '"), "no title", id="blank-title"),
    pytest.param(front("title: [a, b]"), "'title' must be text", id="title-list"),
    pytest.param(front("title: T\npublishedAt: 2026-02-31"), "impossible date", id="feb-31"),
    pytest.param(front("title: T\npublishedAt: '0000-01-01'"), "impossible date", id="year-0"),
    pytest.param(front("title: T\ndate: 2026-13-01T00:00:00Z"), "impossible date", id="month-13"),
    pytest.param(front("title: T\nupdatedAt: 2026-01-01T25:00:00Z"), "impossible date", id="hour"),
    pytest.param(front("title: T\ndate: 1969-12-31"), "before 1970", id="before-1970"),
    pytest.param(front("title: T\ndate: not a date at all"), "unreadable date", id="garbage"),
    pytest.param(front("title: T\ndate: [1, 2]"), "must be a date, not a list", id="date-list"),
    pytest.param(front("title: T\ndraft: maybe"), "'draft' must be true or false", id="draft"),
    pytest.param(front("title: T\nstickyWeight: heavy"), "whole number", id="sticky"),
    pytest.param(front("title: T\nsource: [1]"), "'source' must be", id="source-list"),
    pytest.param(b"-----\n\n", "never closed", id="dashes-only"),
    pytest.param(b"-----\n-----\n", "no title", id="empty-front-matter"),
    pytest.param(b"Bullish\n\nJan 40, 2026\n", "impossible date", id="scraped-bad-date"),
    pytest.param(b"Bullish\n\n\n", "no title", id="scraped-no-headline"),
    pytest.param(
        b"MarketsBitcoin\nBullish\n\nBig news\n\nFeb 30, 2026, 08:00 AM\n",
        "impossible date",
        id="scraped-feb-30",
    ),
]


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_bad_input_is_rejected_with_one_line(raw: bytes, reason: str) -> None:
    with pytest.raises(RejectedDocument) as caught:
        parse_document(raw, origin="inbox/bad.txt", now=NOW)
    message = str(caught.value)
    assert reason in message
    assert "\n" not in message
    assert isinstance(caught.value, UserError)
    assert "inbox/bad.txt" not in message  # the caller adds the path


def test_html_pages_with_too_many_tags_are_rejected() -> None:
    raw = b"<html><body>" + b"<p>x</p>" * 31_000
    with pytest.raises(RejectedDocument, match="over 30000 tags"):
        parse_document(raw, origin="page.html")


def test_size_cap_is_checked_before_anything_else() -> None:
    raw = b"Title\n" + b"x" * 200
    with pytest.raises(RejectedDocument, match="206 bytes, over the 100-byte limit"):
        parse_document(raw, origin="big.txt", max_bytes=100)
    assert parse_document(raw, origin="ok.txt", max_bytes=206).title == "Title"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    try:
        article = parse_document(raw, origin="fuzz", now=NOW)
    except RejectedDocument as error:
        assert "\n" not in str(error)
        assert INTERNAL not in str(error)  # the safety net must never be what caught it
    else:
        assert article.title.strip()


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["title", "date", "tags", "sentiment", "source", "draft", "coverImage"]),
        st.one_of(st.text(max_size=30), st.integers(), st.lists(st.text(max_size=8), max_size=3)),
    ),
    st.text(max_size=200),
)
def test_arbitrary_front_matter_never_raises_anything_else(meta: dict, body: str) -> None:
    import yaml

    raw = ("---\n" + yaml.safe_dump(meta) + "---\n" + body).encode("utf-8", "surrogatepass")
    try:
        parse_document(raw, origin="fuzz", now=NOW)
    except RejectedDocument as error:
        assert "\n" not in str(error)
        assert INTERNAL not in str(error)  # the safety net must never be what caught it


LINES = st.one_of(
    st.sampled_from(
        [
            "",
            "Bullish",
            "bearish",
            "Neutral",
            "MarketsBitcoin",
            "News / Ethereum",
            "Jan 7, 2026, 08:34 AM",
            "Feb 30, 2026",
            "Published: 2026-02-10 09:00",
            "Key Takeaways",
            "  • 1# First point",
            "- second point",
            "2. third point",
            "Topics:BTCBitcoin",
            "Related Articles",
            "Related Reading: more",
            "# Heading",
            "---",
            "title: x",
            "$NEAR (ONE) BTCUSDT ETH, ADA, DOT",
            "<!DOCTYPE html><html><body>",
            "<h1>Headline</h1><p>text <b>bold",
            "<script>x()</script></article>",
            "Bitcoin isn't bullish; it fails to recover despite the rally, but ETFs see inflows.",
        ]
    ),
    st.text(max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=14), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_arbitrary_line_mixes_never_raise_anything_else(
    lines: list[str], newline: str, bom: bool
) -> None:
    raw = newline.join(lines).encode("utf-8", "surrogatepass")
    if bom:
        raw = b"\xef\xbb\xbf" + raw
    try:
        article = parse_document(raw, origin="fuzz", now=NOW)
    except RejectedDocument as error:
        assert "\n" not in str(error)
        assert INTERNAL not in str(error)  # the safety net must never be what caught it
    else:
        assert article.title.strip() and "\n" not in article.title
        assert article.published_at.tzinfo is not None
        assert all(tag == tag.upper() and len(tag) <= 40 for tag in article.tags)


HOSTILE = {
    "emphasis": b"---\ntitle: t\n---\n" + b"__a " * 80_000,
    "brackets": b"---\ntitle: t\n---\n" + b"[" * 300_000,
    "link-defs": b"---\ntitle: t\n---\n" + b"[" * 150_000 + b"\n" + b"[a" * 80_000,
    "headings": b"---\ntitle: t\n---\n# " + b"# " * 150_000,
    "soft-wraps": b"---\ntitle: t\n---\n" + b"word\n" * 60_000,
    "takeaways": b"Bullish\nHeadline\nJan 7, 2026\nKey Takeaways\n" + b"- a new point\n" * 20_000,
    "html-body": b"---\ntitle: t\n---\n" + b"<p>x</p>" * 40_000,
    "yaml-alias": b"---\ntitle: t\ncoverImage: &a [*a]\n---\nbody\n",
    "blank-lines": b"Bullish\nHeadline\nJan 7, 2026\n" + b"\n" * 300_000 + b"Body.\n",
    "crlf-blank-lines": b"Headline\r\n" + b"\r\n" * 150_000 + b"Body.\r\n",
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_documents_finish_in_linear_time(name: str) -> None:
    """Quadratic regexes or tree edits would hang here (300 KB of the worst case)."""
    try:
        article = parse_document(HOSTILE[name], origin=name, now=NOW)
    except RejectedDocument as error:
        assert "\n" not in str(error)
        assert INTERNAL not in str(error)  # the safety net must never be what caught it
    else:
        assert len(article.title) <= 500 and len(article.summary) <= 1000


def test_a_parser_bug_becomes_a_rejection_and_a_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing else can make our own parser fail, so it is replaced by one that does."""
    from bot.ingest import parse as parse_module

    def broken(text: str, *, now: datetime) -> object:
        raise KeyError("bug")

    monkeypatch.setitem(parse_module._PARSERS, parse_module.DocumentFormat.PLAINTEXT, broken)
    with pytest.raises(RejectedDocument, match=r"could not read this document \(KeyError\)"):
        parse_document(b"Plain headline\nbody\n", origin="p.txt")
    assert "parser bug on a plaintext document" in caplog.text
