"""Search on FTS5 (SQLite) and tsvector (PostgreSQL): filters, phrases, ranking, hostile text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.models import Sentiment
from storage.plugin import SqlStorage
from tests.archive_helpers import T0, make, save

CORPUS = [
    make(
        "SEC approves spot bitcoin ETF applications",
        summary="The regulator approved eleven spot ETF filings after a decade of rejections.",
        source="coindesk",
        at=T0 - timedelta(days=10),
        tags=("BTC", "ETF", "REGULATION"),
        sentiment=Sentiment.POSITIVE,
    ),
    make(
        "Ethereum developers schedule the Pectra upgrade",
        summary="Core developers agreed on a mainnet date for the upgrade.",
        source="decrypt",
        at=T0 - timedelta(days=2),
        tags=("ETH",),
    ),
    make(
        "Bitcoin ETF outflows deepen as price slips",
        summary="Spot funds saw outflows for a third day; bitcoin slipped below $90,000.",
        source="decrypt",
        at=T0 - timedelta(hours=5),
        tags=("BTC", "ETF", "MARKET"),
        sentiment=Sentiment.NEGATIVE,
    ),
    make(
        "Exchange hack drains hot wallet",
        summary="Attackers moved funds from an exchange hot wallet; bitcoin deposits paused.",
        source="theblock",
        at=T0 - timedelta(hours=1),
        tags=("HACK", "BTC"),
        sentiment=Sentiment.NEGATIVE,
    ),
    make(
        "Draft: bitcoin ETF scoop",
        summary="Unpublished bitcoin ETF piece.",
        at=T0,
        tags=("BTC", "ETF"),
        draft=True,
    ),
    make(
        "Café owners in Zürich accept bitcoin",
        summary="Über 40 cafés now take lightning payments.",
        source="decrypt",
        at=T0 - timedelta(days=1),
        tags=("BTC",),
    ),
]


@pytest.fixture
async def archive(storage: SqlStorage):  # type: ignore[no-untyped-def]
    for article in CORPUS:
        await save(storage.archive, article)
    storage.archive.clock = lambda: T0
    return storage.archive


async def titles(archive, query: str, limit: int = 10) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.title for a in await archive.search(query, limit)]


async def test_words_match_all_and_skip_drafts(archive):  # type: ignore[no-untyped-def]
    found = await titles(archive, "bitcoin etf")
    assert set(found) == {CORPUS[0].title, CORPUS[2].title}
    assert CORPUS[4].title not in await titles(archive, "scoop")


async def test_stemming_finds_other_word_forms(archive):  # type: ignore[no-untyped-def]
    assert await titles(archive, "approving") == [CORPUS[0].title]
    assert await titles(archive, "hacks") == [CORPUS[3].title]


async def test_phrase_requires_adjacent_words(archive):  # type: ignore[no-untyped-def]
    assert await titles(archive, '"spot bitcoin ETF"') == [CORPUS[0].title]
    assert await titles(archive, '"ETF bitcoin spot"') == []


async def test_relevance_blended_with_recency(archive):  # type: ignore[no-untyped-def]
    # both mention ETF in title and summary; the recent one wins
    assert (await titles(archive, "etf"))[0] == CORPUS[2].title
    # a title hit beats a summary-only mention of similar age
    assert (await titles(archive, "wallet"))[0] == CORPUS[3].title


FILTERS = [
    ("tag:HACK", {3}),
    ("bitcoin tag:eth", set()),
    ("tag:ETF tag:ETH", {0, 1, 2}),
    ("bitcoin sentiment:negative", {2, 3}),
    ("sentiment:bullish", {0}),
    ("source:decrypt bitcoin", {2, 5}),
    ("source:Decrypt", {1, 2, 5}),
    ("bitcoin since:20h", {2, 3}),
    ("since:2026-01-06", {2, 3, 5}),
    ("etf since:2026-01-06 sentiment:negative tag:market", {2}),
]


async def test_filters(archive):  # type: ignore[no-untyped-def]
    """Table-driven in one test: one database per backend keeps the suite fast."""
    for query, expected in FILTERS:
        found = set(await titles(archive, query))
        assert found == {CORPUS[i].title for i in expected}, query


async def test_unicode_and_diacritics(archive):  # type: ignore[no-untyped-def]
    assert await titles(archive, "zürich") == [CORPUS[5].title]
    assert await titles(archive, "über cafés") == [CORPUS[5].title]


async def test_limit(archive):  # type: ignore[no-untyped-def]
    assert len(await titles(archive, "bitcoin", limit=2)) == 2


HOSTILE = [
    '" OR ) NEAR(',
    "*",
    "AND",
    "NOT",
    "OR",
    "NEAR(bitcoin etf, 2)",
    "bitcoin OR etf",
    "-bitcoin",
    "bitcoin*",
    "title:bitcoin",
    "^bitcoin",
    "'; DROP TABLE articles; --",
    "1' OR '1'='1",
    "bitcoin\x00etf",
    "\\\\ %% _ ' \" ` ;",
    "&& || ! <-> :* ( ) |",
    "🚀🚀 to the moon 🌕",
    "比特币 ETF",
    "\u202e\u200b\ufeff",
    "a" * 10_000,
    " ".join(["bitcoin"] * 2_000),
    '"' * 101,
    "since:24h since:nonsense tag:%%% sentiment:'",
]


async def test_hostile_queries_return_results_or_nothing(archive):  # type: ignore[no-untyped-def]
    for query in HOSTILE:
        found = await archive.search(query)
        assert isinstance(found, list), query
        assert all(not a.draft for a in found), query
    assert len(await archive.latest()) == 5  # nothing was dropped or changed
    assert await titles(archive, '" OR ) NEAR(') == []
    both = {CORPUS[0].title, CORPUS[2].title}
    assert set(await titles(archive, "bitcoin OR etf")) == both  # "or" is a stopword
    assert await titles(archive, "the AND or") == []


async def test_sql_text_is_searched_as_words(archive):  # type: ignore[no-untyped-def]
    await save(archive, make("Drop table talk", summary="drop table articles, said nobody"))
    assert await titles(archive, "'; DROP TABLE articles; --") == ["Drop table talk"]


async def test_ranking_in_sql_matches_ranking_in_python(archive):  # type: ignore[no-untyped-def]
    """SQLite ranks inside one statement when it has pow(); without it (some builds),
    Python ranks the same candidates: both give the same articles in the same order."""
    if archive.db.is_postgres:
        pytest.skip("SQLite's one-statement search only")
    queries = ["bitcoin", "bitcoin etf", '"spot bitcoin"', "bitcoin tag:ETF", "wallet OR hack",
               "bitcoin sentiment:negative", "bitcoin since:30d", "tag:BTC"]  # fmt: skip
    for query in queries:
        archive._sql_math = True
        in_sql = [a.id for a in await archive.search(query, 10)]
        archive._sql_math = False
        in_python = [a.id for a in await archive.search(query, 10)]
        assert in_sql == in_python, query
    assert in_sql  # the last query found articles
