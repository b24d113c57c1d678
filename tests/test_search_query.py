"""Parsing user search text: words, phrases, filters; never raises on anything."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.search_query import MAX_TERMS, SearchError, parse_search, require_valid
from bot.models import Sentiment

NOW = datetime(2026, 1, 8, 12, 0, tzinfo=UTC)


def test_words_phrases_and_every_filter():
    q = parse_search(
        'bitcoin "spot ETF" tag:btc sentiment:bearish source:Decrypt since:24h', now=NOW
    )
    assert q.words == ("bitcoin",)
    assert q.phrases == (("spot", "etf"),)
    assert q.tags == ("BTC",)
    assert q.sentiments == (Sentiment.NEGATIVE,)
    assert q.sources == ("decrypt",)
    assert q.since == NOW - timedelta(hours=24)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2026-01-05", datetime(2026, 1, 5, tzinfo=UTC)),
        ("2026-01-05T10:00:00+02:00", datetime(2026, 1, 5, 8, tzinfo=UTC)),
    ],
)
def test_since_forms(value: str, expected: datetime):
    assert parse_search(f"since:{value}", now=NOW).since == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("foo:bar", ("foo", "bar")),
        ("http://example.com", ("http", "example", "com")),
        ("price:100", ("price", "100")),
    ],
)
def test_unknown_keys_are_searched_as_words(text: str, words: tuple[str, ...]):
    q = parse_search(text, now=NOW)
    assert q.words == words
    assert not q.tags and not q.sentiments and q.since is None and not q.problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("etf since:banana", "'since:banana' is not a time; use since:24h"),
        ("since:yesterday", "'since:yesterday' is not a time"),
        ("sentiment:angry", "'sentiment:angry' is not a sentiment; use sentiment:positive"),
        ("etf tag:", "tag: needs a value, e.g. tag:BTC"),
        ('tag:""', "tag: needs a value"),
        ("tag:!!!", "'tag:!!!' is not a tag"),
        ("source:", "source: needs a value"),
        ("since:99999999d", "'since:99999999d' is not a time"),
        ("since:99999d", "'since:99999d' reaches before 1970"),
        ("since:0001-01-01", "'since:0001-01-01' reaches before 1970"),
        ("since:0001-01-01T00:00:00+05:00", "is not a possible date"),
        ("since:9999-12-31T23:59:59-05:00", "is not a possible date"),
        ("since:9999-12-31T23:59:59Z", "is in the future"),
    ],
)
def test_filters_that_cannot_be_applied_are_named(text: str, problem: str):
    """Issue 15 item 12: a bad filter is an error naming it, not "nothing found"."""
    q = parse_search(text, now=NOW)
    assert q.problems and problem in q.problems[0]
    assert q.since is None and not q.tags and not q.sentiments
    with pytest.raises(SearchError, match=re.escape(problem)):
        require_valid(q)


def test_a_long_bad_value_is_echoed_cut():
    q = parse_search("since:" + "x" * 5000, now=NOW)
    assert len(q.problems[0]) < 200


def test_quoted_filter_value_and_unbalanced_quote():
    q = parse_search('source:"The Block" "price crash', now=NOW)
    assert q.sources == ("the block",)
    assert q.phrases == (("price", "crash"),)


def test_syntax_characters_never_survive():
    q = parse_search('" OR ) NEAR( * AND NOT "" ^col:x', now=NOW)
    for word in q.words:
        assert word.isalnum() or "_" in word
    assert "(" not in "".join(q.words)


def test_stopwords_are_dropped():
    assert parse_search("the price of bitcoin AND OR NOT", now=NOW).words == ("price", "bitcoin")
    assert parse_search("the and", now=NOW).is_empty


def test_long_input_is_capped():
    q = parse_search(" ".join(f"w{i}" for i in range(5000)), now=NOW)
    assert len(q.words) == MAX_TERMS


def test_empty_query():
    assert parse_search("", now=NOW).is_empty
    assert parse_search('   ""  ', now=NOW).is_empty
    assert parse_search("tag:ETH", now=NOW).is_empty is False


@given(st.text(max_size=300))
def test_never_raises(text: str):
    q = parse_search(text, now=NOW)
    assert all(w and w == w.lower() for w in q.words)
