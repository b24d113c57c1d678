"""Alert rendering: escaping, markers, limits; every output must pass Telegram's HTML parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import (
    MAX_CAPTION,
    MAX_TEXT,
    hashtag,
    render_alert,
    render_article_list,
    reply_parts,
    split_text,
    tg_len,
)
from bot.models import Alert, Article, DeliveryKind, Sentiment
from tests.fakes.telegram_html import EntityError, parse_html

WHEN = datetime(2026, 11, 21, 9, 5, tzinfo=UTC)


def article(**overrides) -> Article:
    values = dict(
        title="ETH upgrade ships",
        source_key="theblock",
        source_name="The Block",
        published_at=WHEN,
        summary="Validators upgraded smoothly.",
        url="https://theblock.co/eth",
        tags=("ETH",),
        sentiment=Sentiment.POSITIVE,
    )
    values.update(overrides)
    return Article(**values)


def visible(markup: str) -> str:
    return parse_html(markup)  # raises like Telegram would on bad markup


CASES = [
    # (name, article overrides, alert overrides, expected visible fragments, limit)
    ("script", {"title": "<script>alert(1)</script>"}, {}, ["<script>alert(1)</script>"], MAX_TEXT),
    (
        "ampersand",
        {"title": "AT&T & Co", "summary": "P&L &amp; more"},
        {},
        ["AT&T & Co", "P&L &amp; more"],
        MAX_TEXT,
    ),
    ("quotes in url", {"url": 'https://x.org/"><b>'}, {}, ["ETH upgrade ships"], MAX_TEXT),
    ("javascript url", {"url": "javascript:alert(1)"}, {}, ["ETH upgrade ships"], MAX_TEXT),
    ("source escaped", {"source_name": "<Evil> & Sons"}, {}, ["<Evil> & Sons"], MAX_TEXT),
    ("breaking", {}, {"kind": DeliveryKind.BREAKING}, ["🚨 BREAKING\nETH upgrade ships"], MAX_TEXT),
    ("updated", {}, {"updated": True, "extra_sources": 1}, ["✏️ Updated", "+1 source"], MAX_TEXT),
    ("sources plural", {}, {"extra_sources": 3}, ["+3 sources"], MAX_TEXT),
    (
        "retracted",
        {},
        {"retracted": True},
        ["⚠️ RETRACTED: the source withdrew this story."],
        MAX_TEXT,
    ),
    (
        "negative",
        {"sentiment": Sentiment.NEGATIVE},
        {},
        ["🔴 Negative · The Block · 21 Nov 2026, 09:05 UTC"],
        MAX_TEXT,
    ),
    (
        "hashtags",
        {"tags": ("BTC", "spot-etf", "Layer 2", "---")},
        {},
        ["#BTC #spot_etf #Layer_2"],
        MAX_TEXT,
    ),
    ("mention", {}, {"mention": "@desk <team>"}, ["@desk <team>"], MAX_TEXT),
    ("long text", {"summary": "word " * 2000}, {}, ["…", "#ETH"], MAX_TEXT),
    ("caption cut", {"summary": "x&y " * 800}, {}, ["x&y", "…", "#ETH"], MAX_CAPTION),
    ("emoji count double", {"summary": "🚀" * 2000}, {}, ["…"], MAX_CAPTION),
]


@pytest.mark.parametrize(
    ("name", "art", "extra", "expected", "limit"), CASES, ids=[c[0] for c in CASES]
)
def test_alert_rendering_table(name, art, extra, expected, limit):
    markup = render_alert(Alert(article(**art), **extra), limit=limit)
    text = visible(markup)
    for fragment in expected:
        assert fragment in text, (name, text[:300])
    assert tg_len(text) <= limit
    assert "<script>" not in markup and "javascript:" not in markup.split("</a>")[0].split('"')[0]


def test_title_is_bold_link_and_dangerous_urls_are_not_links():
    markup = render_alert(Alert(article(url="https://a.org/?q=1&r=<2>")))
    assert markup.startswith(
        '<b><a href="https://a.org/?q=1&amp;r=&lt;2&gt;">ETH upgrade ships</a></b>'
    )
    unsafe = render_alert(Alert(article(url="javascript:alert(1)")))
    assert "<a " not in unsafe and unsafe.startswith("<b>ETH upgrade ships</b>")


def test_retracted_title_is_struck_through():
    markup = render_alert(Alert(article(), retracted=True))
    assert "<s><a href=" in markup


def test_huge_title_alone_is_still_cut_to_the_limit():
    markup = render_alert(Alert(article(title="T" * 5000)), limit=MAX_CAPTION)
    assert tg_len(visible(markup)) <= MAX_CAPTION


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("BTC", "#BTC"),
        ("spot-etf", "#spot_etf"),
        ("  ", ""),
        ("L2/rollups", "#L2_rollups"),
        ("Ünï", "#Ünï"),
    ],
)
def test_hashtags(tag, expected):
    assert hashtag(tag) == expected


def test_article_list_numbers_and_escapes():
    items = [article(title=f"A<{n}>", id=n) for n in (10, 11)]
    text = visible(render_article_list("Latest <ETH>", items, start=6))
    assert text.startswith(
        "Latest <ETH>\n\n6. 🟢 A<10>\nThe Block · 21 Nov 2026, 09:05 UTC · id 10"
    )
    assert "7. 🟢 A<11>" in text


def test_digest_cut_says_how_many_more():
    items = tuple(article(title="Long headline " * 20, id=n) for n in range(100))
    markup = render_alert(Alert(items[0], kind=DeliveryKind.DIGEST, digest_items=items))
    text = visible(markup)
    assert text.startswith("🗞 Digest · 100 stories") and "more" in text.splitlines()[-1]
    assert tg_len(text) <= MAX_TEXT


def test_split_text_keeps_lines_and_escapes_each_chunk():
    lines = [f"<line {n}> & more text to fill the message up" for n in range(300)]
    chunks = split_text("\n".join(lines))
    assert len(chunks) > 1
    texts = [visible(chunk) for chunk in chunks]
    assert all(tg_len(t) <= MAX_TEXT for t in texts)
    assert "\n".join(texts) == "\n".join(lines)
    assert split_text("") == []
    one_long_line = split_text("x" * 9000)
    assert [len(visible(c)) for c in one_long_line] == [4096, 4096, 808]


def test_fake_parser_rejects_what_telegram_rejects():
    for bad in ("<script>x</script>", "a & b", "<b>open", "<a>no href</a>"):
        with pytest.raises(EntityError):
            parse_html(bad)


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(max_size=400),
    summary=st.text(max_size=6000),
    source=st.text(max_size=50),
    tags=st.lists(st.text(max_size=20), max_size=8),
    limit=st.sampled_from([MAX_CAPTION, MAX_TEXT]),
)
def test_any_article_text_renders_to_valid_html_within_the_limit(
    title, summary, source, tags, limit
):
    art = article(title=title, summary=summary, source_name=source, tags=tuple(tags))
    text = visible(render_alert(Alert(art, extra_sources=2), limit=limit))
    assert tg_len(text) <= limit


def test_reply_parts_keep_the_words_around_the_core_list():
    items = [article(title="One", id=3), article(title="Two", id=4)]
    story = "Story 9: One\n2 article(s) from 2 source(s).\n[3] One\n  Decrypt\n[4] Two\n  CoinDesk"
    assert reply_parts(story, items) == ("Story 9: One\n2 article(s) from 2 source(s).", "")
    latest = "Welcome back.\nLatest\n[3] One\n  x\n[4] Two\nUse /story ID."
    assert reply_parts(latest, items) == ("Welcome back.\nLatest", "Use /story ID.")
    assert reply_parts("Results\nOne\nTwo", [article(title="One")]) == ("Results", "")
    text = visible(render_article_list("Story 9: One\n2 articles", items, footer="Use /why ID."))
    assert text.startswith("Story 9: One\n2 articles\n\n1. 🟢 One")
    assert text.endswith("\n\nUse /why ID.")


def test_alert_and_digest_times_are_in_the_chats_zone():
    item = article(id=3)
    alert = visible(render_alert(Alert(item, timezone="Asia/Kolkata")))
    assert "21 Nov 2026, 14:35 IST" in alert and "UTC" not in alert
    digest = Alert(item, kind=DeliveryKind.DIGEST, digest_items=(item,), timezone="Asia/Tokyo")
    assert "21 Nov 2026, 18:05 JST" in visible(render_alert(digest))
