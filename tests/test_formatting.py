"""Neutral rendering: cutting on word boundaries, splitting, the plain-text alert and digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.delivery.formatting import (
    hashtags,
    render_alert,
    render_digest,
    render_reply,
    sources_note,
    split_text,
    truncate,
)
from bot.models import Alert, Article, DeliveryKind, Reply, Sentiment

ARTICLE = Article(
    id=12,
    title="Bitcoin Tests $100K as ETF Inflows Climb",
    source_key="decrypt",
    source_name="Decrypt",
    published_at=datetime(2026, 1, 7, 3, 54, tzinfo=UTC),
    summary="Spot ETFs took in $1.2B this week, the most since March. " * 3,
    url="https://decrypt.example/btc-100k",
    tags=("BTC", "ETF", "layer-2"),
    sentiment=Sentiment.POSITIVE,
)


def test_truncate_cuts_on_a_word_boundary_with_an_ellipsis():
    assert truncate("short", 10) == "short"
    assert truncate("the quick brown fox jumps", 16) == "the quick brown…"
    assert truncate("the quick brown fox", 3) == "th…"
    assert truncate("abcdefghijklmnopqrstuvwxyz", 10) == "abcdefghi…"
    assert truncate("anything", 0) == ""


@given(st.text(min_size=0, max_size=400), st.integers(min_value=1, max_value=300))
def test_truncate_never_exceeds_the_limit(text: str, limit: int):
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…")


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=500), st.integers(1, 60))
def test_split_keeps_every_word_and_respects_the_limit(text: str, limit: int):
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_split_prefers_paragraphs():
    assert split_text("one two\n\nthree four", 12) == ["one two", "three four"]
    with pytest.raises(ValueError):
        split_text("x", 0)


def test_alert_shows_title_source_time_sentiment_tags_link_and_sources():
    text = render_alert(Alert(article=ARTICLE, extra_sources=2))
    lines = text.splitlines()
    assert lines[0] == ARTICLE.title
    assert lines[1] == "Decrypt · 2026-01-07 03:54 UTC · ▲ positive · +2 sources"
    assert "#BTC #ETF #layer_2" in lines
    assert lines[-1] == ARTICLE.url
    assert sources_note(1) == "+1 source" and sources_note(0) == ""


def test_alert_markers():
    breaking = render_alert(Alert(article=ARTICLE, kind=DeliveryKind.BREAKING, updated=True))
    assert breaking.splitlines()[0] == "BREAKING · UPDATED"
    retracted = render_alert(Alert(article=replace(ARTICLE, retracted=True), updated=True))
    assert retracted.splitlines()[0] == "RETRACTED"
    mention = render_alert(Alert(article=ARTICLE, mention="@traders"))
    assert mention.endswith("@traders")


def test_alert_fits_the_declared_limit_and_keeps_title_and_link():
    long = replace(ARTICLE, summary="word " * 2000)
    text = render_alert(Alert(article=long), max_len=300)
    assert len(text) <= 300
    assert ARTICLE.title in text and ARTICLE.url in text and "…" in text


def test_digest_is_one_numbered_list_and_is_cut_with_a_count():
    items = tuple(replace(ARTICLE, id=n, title=f"Story {n}") for n in range(1, 4))
    text = render_alert(Alert(article=items[0], kind=DeliveryKind.DIGEST, digest_items=items))
    assert text.splitlines()[0] == "Digest: 3 stories"
    assert "2. Story 2 — Decrypt ▲" in text
    many = tuple(replace(ARTICLE, id=n, title=f"Story {n}") for n in range(1, 200))
    cut = render_digest(Alert(article=many[0], digest_items=many), max_len=500)
    assert len(cut) <= 500 and "more" in cut.splitlines()[-1]


def test_reply_text_is_complete_articles_only_listed_without_text():
    assert render_reply(Reply(text="Latest BTC: ...", articles=(ARTICLE,))) == "Latest BTC: ..."
    listed = render_reply(Reply(text="", articles=(ARTICLE,))).splitlines()
    assert listed == [
        f"[12] {ARTICLE.title} — Decrypt, 2026-01-07 03:54 UTC",
        f"   {ARTICLE.url}",
    ]
    assert hashtags(["BTC", "btc", "BTC"]) == "#BTC #btc"


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("UTC", "2026-01-07 03:54 UTC"),
        ("Europe/Berlin", "2026-01-07 04:54 CET"),
        ("America/New_York", "2026-01-06 22:54 EST"),
        ("Not/AZone", "2026-01-07 03:54 UTC"),  # a bad stored name never breaks a send
    ],
)
def test_alert_times_are_in_the_chats_zone(zone: str, shown: str):
    alert = Alert(ARTICLE, timezone=zone)
    assert render_alert(alert).splitlines()[1].split(" · ")[1] == shown


def test_summer_time_is_named():
    summer = replace(ARTICLE, published_at=datetime(2026, 7, 7, 3, 54, tzinfo=UTC))
    assert "05:54 CEST" in render_alert(Alert(summer, timezone="Europe/Berlin"))
