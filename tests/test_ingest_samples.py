"""The five shared real articles, parsed as a user would see them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.identity import identity_key
from bot.ingest.parse import DocumentFormat, SourceHint, detect_format, parse_document
from bot.models import Article, Sentiment

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def load(samples_dir: Path, prefix: str, **kwargs: object) -> Article:
    path = next(samples_dir.glob(f"{prefix}_*.txt"))
    return parse_document(path.read_bytes(), origin=str(path), now=NOW, **kwargs)  # type: ignore[arg-type]


def text_of(samples_dir: Path, prefix: str) -> str:
    return next(samples_dir.glob(f"{prefix}_*.txt")).read_text("utf-8")


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("000", DocumentFormat.FRONTMATTER),
        ("001", DocumentFormat.SCRAPED),
        ("002", DocumentFormat.FRONTMATTER),
        ("003", DocumentFormat.FRONTMATTER),
        ("004", DocumentFormat.PLAINTEXT),
    ],
)
def test_format_is_detected_from_content(samples_dir: Path, prefix: str, expected: str) -> None:
    assert detect_format(text_of(samples_dir, prefix)) == expected


def test_000_front_matter_fields(samples_dir: Path) -> None:
    article = load(samples_dir, "000")
    assert article.title == "Bitcoin Dips to $92K as Liquidations Top $440M"
    assert article.summary.endswith("which has revealed the fragile nature…")
    assert "â€" not in article.summary
    assert article.published_at == datetime(2026, 1, 7, 3, 54, 43, tzinfo=UTC)
    assert article.updated_at == datetime(2026, 1, 7, 6, 30, 12, 914000, tzinfo=UTC)
    assert article.source_key == "decrypt"
    assert article.source_name == "Decrypt"
    assert article.external_id == "56918749"
    assert article.lang == "en"
    assert article.tags == ("BTC", "MARKET", "TRADING", "MARKETS")
    assert article.sentiment is Sentiment.NEGATIVE
    assert article.draft is False
    assert article.sticky_weight == 0
    # The "regular" size (1080 px): sharp in a chat, unlike thumb/small, and not the raw file.
    assert article.image_url == (
        "https://images.unsplash.com/photo-1629449709347-7ccff04fef03?crop=entropy&cs=tinysrgb"
        "&fit=max&fm=jpg&ixid=M3w4MjQzNjB8MHwxfHJhbmRvbXx8fHx8fHx8fDE3Njc3NjczMzh8"
        "&ixlib=rb-4.1.0&q=80&w=1080"
    )
    assert article.inferred == ()
    assert article.id is None and article.story_id is None
    assert len(article.content_hash) == 64
    # Markdown headings become plain paragraphs; no "##" left for readers.
    assert article.body.startswith("Overview\n\nBitcoin has recently experienced a decline")
    assert "##" not in article.body


def test_001_scraped_page(samples_dir: Path) -> None:
    article = load(samples_dir, "001")
    assert article.title == "Bitcoin Price Tests $92K Support: Liquidations Spark Recovery Signals"
    assert article.summary.startswith("Bitcoin recently experienced a significant sell-off")
    assert article.summary.endswith("positive momentum for BTC.")
    assert article.published_at == datetime(2026, 1, 7, 8, 34, tzinfo=UTC)
    assert article.sentiment is Sentiment.POSITIVE  # the "Bullish" label line
    assert "sentiment" not in article.inferred
    assert article.source_key == "unknown"
    assert "source_key" in article.inferred
    assert (article.draft, article.sticky_weight, article.image_url, article.url) == (
        False,
        0,
        None,
        None,
    )
    assert article.updated_at is None
    assert article.tags == ("BTC", "MARKET")
    assert "tags" in article.inferred
    body = article.body
    assert body.startswith("Bitcoin faced intense pressure on Monday")
    assert body.endswith("provided the key support levels hold.")
    for chrome in ("Topics:", "Related Articles", "Latest News", "Key Takeaways", "MarketsBitcoin"):
        assert chrome not in body
    assert "1#" not in body and "•" not in body  # takeaways repeat the body: dropped
    assert "market function—clearing out" in body


def test_001_uses_source_hint(samples_dir: Path) -> None:
    article = load(samples_dir, "001", source=SourceHint(key="CryptoDaily", name="Crypto Daily"))
    assert (article.source_key, article.source_name) == ("cryptodaily", "Crypto Daily")
    assert "source_key" not in article.inferred


def test_002_given_tags_win(samples_dir: Path) -> None:
    article = load(samples_dir, "002")
    assert article.tags == ("BTC", "MARKET", "TRADING", "BONK", "PEPE", "MARKETS")
    assert article.sentiment is Sentiment.NEGATIVE
    assert article.published_at == datetime(2026, 1, 8, 13, 19, 40, tzinfo=UTC)
    assert article.summary.endswith("attributed to diminishing…")
    assert (article.draft, article.sticky_weight, article.external_id) == (False, 0, "56976786")
    assert article.updated_at == datetime(2026, 1, 8, 15, 23, 51, 66000, tzinfo=UTC)
    assert article.image_url is not None and article.image_url.endswith("&q=80&w=1080")


def test_003_quoted_title_positive_and_mojibake(samples_dir: Path) -> None:
    article = load(samples_dir, "003")
    assert article.title.startswith("Bitcoin briefly hits $93,000 as crypto market")
    assert not article.title.startswith("'")
    assert article.sentiment is Sentiment.POSITIVE
    assert article.source_key == "coindesk"
    assert article.summary.endswith("also saw significant…")
    assert article.tags == ("BTC", "MARKET", "TRADING", "MARKETS", "NEWS")
    assert article.published_at == datetime(2026, 1, 5, 4, 45, 31, tzinfo=UTC)
    assert article.updated_at == datetime(2026, 1, 5, 6, 35, 16, 307000, tzinfo=UTC)
    assert (article.draft, article.sticky_weight, article.lang) == (False, 0, "en")
    assert "â€" not in article.summary + article.body


def test_004_plain_text_defaults_and_inference(samples_dir: Path) -> None:
    article = load(samples_dir, "004")
    assert article.title == (
        "Bitcoin Dips Below $90K as Leverage Unwinds—Dip Buyers Eye Key Support Levels for Entry"
    )
    assert article.body.startswith("Bitcoin just sliced through the $90,000 mark")
    assert article.summary.startswith("Bitcoin just sliced through")
    assert article.published_at == NOW.replace(microsecond=0)
    assert {"published_at", "tags", "sentiment", "lang", "source_key"} <= set(article.inferred)
    assert article.tags[:2] == ("BTC", "MARKET")
    assert "NEAR" not in article.tags  # "Gold traded NEAR record highs"
    assert "MOVE" not in article.tags  # "the MOVE looks more like a pause"
    assert article.sentiment is Sentiment.NEGATIVE
    assert "Related Reading" not in article.body
    assert "Cover image from" not in article.body
    assert article.body.endswith("or if the recent slide has further to run.")
    assert (article.draft, article.sticky_weight, article.image_url, article.lang) == (
        False,
        0,
        None,
        "en",
    )


def test_same_event_from_two_sources_has_distinct_identities(samples_dir: Path) -> None:
    keys = {identity_key(load(samples_dir, p)) for p in ("000", "001", "002", "003", "004")}
    assert len(keys) == 5


def test_parsing_twice_gives_the_same_hash(samples_dir: Path) -> None:
    for prefix in ("000", "001", "004"):
        first = load(samples_dir, prefix)
        path = next(samples_dir.glob(f"{prefix}_*.txt"))
        later = parse_document(
            path.read_bytes(), origin="again", now=datetime(2026, 2, 1, tzinfo=UTC)
        )
        assert first.content_hash == later.content_hash
