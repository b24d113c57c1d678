"""Embeds stay within Discord's limits whatever the article holds (table-driven)."""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.discord import translate
from adapters.discord.render import LIMITS, alert_embed, embed_size, reply_message
from bot.models import Alert, Article, DeliveryKind, Reply, Sentiment


def _article(**changes: object) -> Article:
    fields: dict[str, object] = {
        "title": "Ether jumps",
        "source_key": "coindesk",
        "source_name": "CoinDesk",
        "published_at": datetime(2026, 11, 20, 12, 0),
        "summary": "ETH rose 8%.",
        "url": "https://example.org/eth",
        "tags": ("ETH",),
        "sentiment": Sentiment.NEUTRAL,
        "id": 9,
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


HUGE = "word " * 3000
LIMIT_CASES = [
    ("plain", {}),
    ("long title", {"title": "T" * 1000}),
    ("long summary", {"summary": HUGE}),
    ("everything long", {"title": "*" * 999, "summary": HUGE, "source_name": "S" * 5000}),
    ("many tags", {"tags": tuple(f"TAG{n}" for n in range(400))}),
    ("markdown title", {"title": "**pump** _it_ [x](y) " * 40}),
    ("empty summary uses body", {"summary": "", "body": HUGE}),
]


@pytest.mark.parametrize(("case", "changes"), LIMIT_CASES, ids=[c for c, _ in LIMIT_CASES])
@pytest.mark.parametrize("kind", list(DeliveryKind))
def test_alert_embeds_never_exceed_discord_limits(case, changes, kind):
    article = _article(**changes)
    embed = alert_embed(Alert(article, kind, extra_sources=3, updated=True))
    data = embed.to_dict()
    assert len(data.get("title", "")) <= LIMITS.title
    assert len(data.get("description", "")) <= LIMITS.description
    assert len(data.get("fields", [])) <= LIMITS.fields
    for field in data.get("fields", []):
        assert len(field["name"]) <= LIMITS.field_name
        assert len(field["value"]) <= LIMITS.field_value
    assert len(data.get("footer", {}).get("text", "")) <= LIMITS.footer
    assert embed_size(embed) <= LIMITS.total


@pytest.mark.parametrize(
    ("sentiment", "colour"),
    [(Sentiment.POSITIVE, 0x2ECC71), (Sentiment.NEGATIVE, 0xE74C3C), (Sentiment.NEUTRAL, 0x95A5A6)],
)
def test_colour_follows_sentiment(sentiment, colour):
    assert alert_embed(Alert(_article(sentiment=sentiment))).colour.value == colour


@pytest.mark.parametrize(
    ("alert", "title_prefix", "footer_has"),
    [
        (Alert(_article(), DeliveryKind.BREAKING), "🔴 BREAKING", []),
        (Alert(_article(), updated=True, extra_sources=1), "Ether", ["updated", "+1 source"]),
        (Alert(_article(), retracted=True), "RETRACTED", []),
    ],
    ids=["breaking", "updated", "retracted"],
)
def test_markers(alert, title_prefix, footer_has):
    data = alert_embed(alert).to_dict()
    assert data["title"].startswith(title_prefix)
    assert all(marker in data["footer"]["text"] for marker in footer_has)
    if alert.retracted:
        assert "image" not in data and "retracted" in data["description"]


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.org/a", True),
        ("javascript:alert(1)", False),
        ("ftp://example.org/x", False),
        ("https://example.org/" + "a" * 3000, False),
        (None, False),
    ],
)
def test_only_web_urls_are_linked(url, kept):
    data = alert_embed(Alert(_article(url=url, image_url=url))).to_dict()
    assert ("url" in data) is kept
    assert ("image" in data) is kept


def test_naive_timestamps_are_taken_as_utc():
    data = alert_embed(Alert(_article())).to_dict()
    assert data["timestamp"].startswith("2026-11-20T12:00:00+00:00")


def test_digest_of_many_stories_fits_and_counts_the_rest():
    items = tuple(_article(title=f"Story {n} " + "x" * 150, id=n) for n in range(100))
    embed = alert_embed(Alert(items[0], DeliveryKind.DIGEST, digest_items=items))
    assert embed_size(embed) <= LIMITS.total
    assert "more" in (embed.description or "").splitlines()[-1]


def test_replies_fit_one_message():
    long_text = Reply("line\n" * 1000, articles=tuple(_article(id=n) for n in range(30)))
    content, embeds = reply_message(long_text)
    assert embeds[0].description.startswith("line")  # moved, not cut at 2000
    assert content is not None and "more not shown" in content
    assert len(embeds) <= LIMITS.embeds_per_message
    assert sum(embed_size(e) for e in embeds) <= LIMITS.total
    assert reply_message(Reply("")) == ("Nothing to show.", [])


@pytest.mark.parametrize(
    ("keywords", "tokens"),
    [
        ("etf", ["keyword:etf"]),
        ("etf -scam", ["keyword:etf", "-keyword:scam"]),
        ('"spot etf" -"rug pull"', ['keyword:"spot etf"', '-keyword:"rug pull"']),
        ('bad"quote', ["keyword:badquote"]),
        ("  ", []),
        (None, []),
    ],
)
def test_keyword_tokens(keywords, tokens):
    assert translate.keyword_tokens(keywords) == tokens


@pytest.mark.parametrize(
    ("current", "known", "expected"),
    [
        ("", ["BTC", "ETH"], ["BTC", "ETH"]),
        ("BTC E", ["ETH", "ETC"], ["BTC ETH", "BTC ETC"]),
        ("BTC ", ["BTC", "ETH"], ["BTC ETH"]),
        ("btc eth s", ["SOL", "BTC"], ["btc eth SOL"]),
    ],
)
def test_tag_suggestions_complete_the_last_word(current, known, expected):
    assert translate.tag_suggestions(current, known) == expected


def test_subscribe_text_orders_tokens_like_the_core_documents():
    text = translate.subscribe_text("BTC, ETH", "Positive", "etf", None, "<@&1>")
    assert text == "/subscribe BTC ETH positive keyword:etf mention:<@&1>"


def test_listed_articles_leave_the_text_and_become_embeds():
    articles = (_article(id=3, title="First"), _article(id=4, title="Second"))
    text = (
        "Welcome back: 1 subscription(s) are active again.\n"
        "Latest BTC news:\n"
        "[3] First\n  CoinDesk, 2026-11-20 12:00, neutral #ETH\n  https://example.org/eth\n"
        "[4] Second\n  CoinDesk, 2026-11-20 12:00, neutral #ETH\n"
        "Use /story ID for every source of a story."
    )
    content, embeds = reply_message(Reply(text, articles=articles))
    assert content == (
        "Welcome back: 1 subscription(s) are active again.\n"
        "Latest BTC news:\nUse /story ID for every source of a story."
    )
    assert [e.title for e in embeds] == ["First", "Second"]


def test_articles_beyond_ten_embeds_are_counted():
    articles = tuple(_article(id=n, title=f"Story {n}") for n in range(1, 13))
    content, embeds = reply_message(Reply("Search results:", articles=articles))
    assert len(embeds) == 10
    assert content is not None and "2 more not shown" in content


def test_plain_reply_text_is_not_read_as_markdown():
    content, _ = reply_message(Reply("#12 BTC keyword:some_word_here\n- item"))
    assert content == "\\#12 BTC keyword:some\\_word\\_here\n\\- item"


def test_escaping_kept_per_text_gives_discord_py_s_result_within_its_budget() -> None:
    """The escaped title and summary are kept for the next channel of a fan-out: the same
    text as discord.py gives, every time, and the memo never holds more than its budget
    however many long articles pass."""
    import discord

    from adapters.discord import escape

    text = "**Pump** _now_ @everyone see https://x.example/a_b ~~x~~ `c` > q " * 20
    for _ in range(2):
        assert escape.markdown(text) == discord.utils.escape_markdown(text)
        assert escape.markdown_and_mentions(text) == discord.utils.escape_mentions(
            discord.utils.escape_markdown(text)
        )
    embed = alert_embed(Alert(_article(title=text, summary=text)))
    assert embed.description == discord.utils.escape_markdown(text).strip()
    long = "_x_ " * 50_000
    for n in range(12):  # each about 0.5M characters kept
        escape.markdown(f"{n}{long}")
        assert escape.markdown._chars <= escape.MAX_CHARS
