"""Matching semantics, table-driven, and the index agreeing with the reference on random data."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.subscription_filter import FilterError, matches, normalize_keyword, normalize_tag
from bot.models import Article, ChatRef, Sentiment, Subscription, SubscriptionFilter

POS, NEG, NEU = Sentiment.POSITIVE, Sentiment.NEGATIVE, Sentiment.NEUTRAL
STRATEGIES = (0, 1_000_000, 16)  # always sparse, always dense (bitmaps), the default switch


def article(**fields: object) -> Article:
    base: dict[str, object] = {
        "title": "Bitcoin spot ETF inflows hit a record",
        "summary": "Funds bought $1B of BTC on Tuesday.",
        "body": "The Securities and Exchange Commission approved the products last year.",
        "source_key": "decrypt",
        "source_name": "Decrypt",
        "published_at": datetime(2026, 1, 7, 8, tzinfo=UTC),
        "tags": ("BTC", "ETF"),
        "sentiment": POS,
        "lang": "en",
    }
    base.update(fields)
    return Article(**base)  # type: ignore[arg-type]


def f(**parts: object) -> SubscriptionFilter:
    for name in ("tags", "sentiments", "sources"):
        if name in parts:
            parts[name] = frozenset(parts[name])  # type: ignore[arg-type]
    return SubscriptionFilter(**parts)  # type: ignore[arg-type]


CASES = [
    # (case, filter, article changes, expected)
    ("empty filter wants everything", f(), {}, True),
    ("tag present", f(tags={"BTC"}), {}, True),
    ("any of the tags", f(tags={"SOL", "ETF"}), {}, True),
    ("tag absent", f(tags={"ETH"}), {}, False),
    ("tags compare upper-case", f(tags={"BTC"}), {"tags": ("btc",)}, True),
    ("untagged article fails a tag filter", f(tags={"BTC"}), {"tags": ()}, False),
    ("sentiment any-of", f(sentiments={NEG, POS}), {}, True),
    ("sentiment mismatch", f(sentiments={NEG}), {}, False),
    ("tag and sentiment both needed", f(tags={"BTC"}, sentiments={NEU}), {}, False),
    ("source any-of", f(sources={"coindesk", "decrypt"}), {}, True),
    ("source mismatch", f(sources={"coindesk"}), {}, False),
    ("source key case-insensitive", f(sources={"decrypt"}), {"source_key": "Decrypt"}, True),
    ("keyword whole word", f(keywords=("etf",)), {}, True),
    ("keyword case-insensitive", f(keywords=("inflows",)), {"title": "INFLOWS jump"}, True),
    ("keyword not a substring", f(keywords=("coin",)), {}, False),
    ("keyword found in the body", f(keywords=("commission",)), {}, True),
    ("all keywords needed", f(keywords=("etf", "solana")), {}, False),
    ("all keywords present", f(keywords=("etf", "record")), {}, True),
    ("phrase in order", f(keywords=("spot etf",)), {}, True),
    ("phrase words apart", f(keywords=("bitcoin etf",)), {}, False),
    ("phrase across punctuation", f(keywords=("1b of btc",)), {}, True),
    ("excluded word present", f(tags={"BTC"}, exclude_keywords=("record",)), {}, False),
    ("excluded word absent", f(tags={"BTC"}, exclude_keywords=("scam",)), {}, True),
    ("excluded phrase", f(exclude_keywords=("spot etf",)), {}, False),
    ("language equal", f(lang="en"), {"lang": "en-US"}, True),
    ("language differs", f(lang="de"), {}, False),
    ("draft never matches", f(), {"draft": True}, False),
    ("retracted never matches", f(tags={"BTC"}), {"retracted": True}, False),
    (
        "everything at once",
        f(
            tags={"BTC"},
            sentiments={POS},
            sources={"decrypt"},
            keywords=("etf",),
            exclude_keywords=("scam",),
            lang="en",
        ),
        {},
        True,
    ),
]


@pytest.mark.parametrize(
    ("flt", "changes", "expected"),
    [pytest.param(flt, ch, exp, id=name) for name, flt, ch, exp in CASES],
)
def test_semantics_of_one_filter(flt: SubscriptionFilter, changes: dict, expected: bool):
    item = article(**changes)
    assert matches(flt, item) is expected
    for dense_share in STRATEGIES:
        index = SubscriptionIndex(dense_share=dense_share)
        index.add(7, 1, flt)
        assert index.match(item) == ({7} if expected else set())


@pytest.mark.parametrize("dense_share", STRATEGIES, ids=["sparse", "dense", "mixed"])
def test_index_agrees_with_the_reference_on_random_subscriptions(dense_share: int):
    rng = random.Random(5)
    tags = ["BTC", "ETH", "SOL", "XRP", "DEFI"]
    sources = ["decrypt", "coindesk"]
    words = ["etf", "spot etf", "hack", "price", "sec"]
    index = SubscriptionIndex(dense_share=dense_share)
    wanted: dict[int, SubscriptionFilter] = {}
    for sid in range(1, 1500):
        flt = f(
            tags=set(rng.sample(tags, rng.randint(0, 2))),
            sentiments=set(rng.sample(list(Sentiment), rng.randint(0, 3))),
            sources=set(rng.sample(sources, rng.choice([0, 0, 0, 1]))),
            keywords=tuple(rng.sample(words, rng.choice([0, 0, 1, 2]))),
            exclude_keywords=tuple(rng.sample(words, rng.choice([0, 0, 0, 1]))),
            lang=rng.choice([None, None, "en", "de"]),
        )
        wanted[sid] = flt
        index.add(sid, sid % 50, flt)
    for sid in range(1, 1500, 3):  # removals, then re-adds out of id order
        assert index.remove(sid)
        del wanted[sid]
    for sid in range(1, 1500, 6):
        wanted[sid] = f(tags={"BTC"})
        assert index.add(sid, 9, wanted[sid])
    assert len(index) == len(wanted)
    vocabulary = "the spot etf price hack sec bitcoin rally etf".split()
    for _ in range(120):
        item = article(
            title=" ".join(rng.sample(vocabulary, 4)),
            summary="",
            body="",
            source_key=rng.choice([*sources, "other"]),
            tags=tuple(rng.sample(tags, rng.randint(0, 3))),
            sentiment=rng.choice(list(Sentiment)),
            lang=rng.choice(["en", "de", "en-GB"]),
        )
        expected = {sid for sid, flt in wanted.items() if matches(flt, item)}
        assert index.match(item) == expected


@pytest.mark.parametrize("dense_share", STRATEGIES, ids=["sparse", "dense", "mixed"])
def test_many_removals_compact_and_keep_answers(dense_share: int):
    index = SubscriptionIndex(dense_share=dense_share)
    for sid in range(1, 5001):
        index.add(sid, sid, f(tags={"BTC"} if sid % 2 else {"ETH"}))
    for sid in range(1, 1001):
        index.remove(sid)
    assert index.match(article(tags=("ETH",))) == set(range(1002, 5001, 2))
    for sid in range(1001, 4001):
        index.remove(sid)
    assert len(index) == 1000
    assert index.match(article(tags=("BTC",))) == set(range(4001, 5001, 2))
    assert 4001 in index and 10 not in index
    assert index.max_id == 5000


def test_one_entry_per_chat_however_many_subscriptions_match():
    index = SubscriptionIndex()
    index.add(3, 100, f(tags={"BTC"}))
    index.add(4, 100, f(keywords=("etf",)))
    index.add(5, 200, f(sentiments={POS}))
    index.add(6, 300, f(tags={"SOL"}))
    chosen = index.match_chats(article())
    assert set(chosen) == {100, 200}
    assert chosen[100] in {3, 4} and chosen[200] == 5
    assert index.remove_chat(100) == 2
    assert index.match_chats(article()) == {200: 5}


def test_adding_twice_is_ignored_and_removing_unknown_is_false():
    index = SubscriptionIndex()
    assert index.add(1, 1, f(tags={"BTC"}))
    assert not index.add(1, 1, f(tags={"ETH"}))
    assert not index.remove(2)
    assert index.match(article()) == {1}
    assert index.chat_of(1) == 1 and index.chat_of(2) is None


def test_explain_names_what_differs():
    sub = Subscription(3, ChatRef("telegram", "1"), f(tags={"BTC"}))
    eth = article(tags=("ETH", "SOL"))
    assert SubscriptionIndex.explain(eth, sub) == (
        "subscription #3 wants BTC, article is tagged ETH, SOL"
    )
    assert SubscriptionIndex.explain(article(), sub) == "subscription #3 matches"
    picky = Subscription(
        4,
        ChatRef("telegram", "1"),
        f(sentiments={NEG, NEU}, keywords=("hack",), exclude_keywords=("record",), lang="de"),
    )
    assert SubscriptionIndex.explain(article(), picky) == (
        "subscription #4 wants negative or neutral news, article is positive; "
        "wants language de, article is in en; "
        'wants the keyword "hack", not in the article; '
        'excludes "record", which the article contains'
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("btc", "BTC"), ("#eth", "ETH"), ("$sol", "SOL"), ("layer-2", "LAYER-2")],
)
def test_tags_are_normalised(raw: str, expected: str):
    assert normalize_tag(raw) == expected


@pytest.mark.parametrize("raw", ["", "b t c", "<script>", "x" * 41])
def test_bad_tags_are_refused(raw: str):
    with pytest.raises(FilterError):
        normalize_tag(raw)


def test_keywords_are_words_not_patterns():
    assert normalize_keyword('  "Spot   ETF" ') == "spot etf"
    assert normalize_keyword("S&P") == "s p"
    with pytest.raises(FilterError):
        normalize_keyword(".*")


def test_bitmap_and_posting_strategies_agree_on_a_large_index():
    rng = random.Random(9)
    tags = ["BTC", "ETH", "SOL"]
    words = ["etf", "hack", "spot etf"]
    sparse, dense = SubscriptionIndex(dense_share=0), SubscriptionIndex(dense_share=1_000_000)
    for sid in range(1, 20_001):
        flt = f(
            tags=set(rng.sample(tags, rng.randint(0, 2))),
            sentiments=set(rng.sample(list(Sentiment), rng.choice([0, 0, 1]))),
            keywords=tuple(rng.sample(words, rng.choice([0, 0, 0, 1]))),
            exclude_keywords=tuple(rng.sample(words, rng.choice([0] * 9 + [1]))),
        )
        for index in (sparse, dense):
            index.add(sid, sid % 700, flt)
    for sid in range(3, 20_001, 7):
        sparse.remove(sid)
        dense.remove(sid)
    for _ in range(60):
        item = article(
            title=" ".join(rng.sample(["spot", "etf", "hack", "news", "today"], 3)),
            tags=tuple(rng.sample(tags, rng.randint(0, 3))),
            sentiment=rng.choice(list(Sentiment)),
        )
        expected = sparse.match(item)
        assert dense.match(item) == expected
        per_chat = dense.match_chats(item)
        assert per_chat.keys() == sparse.match_chats(item).keys() == {s % 700 for s in expected}
        assert all(sid in expected and sid % 700 == chat for chat, sid in per_chat.items())
        assert len(expected) > 0


def test_subscriptions_arriving_out_of_id_order_are_found_and_removable():
    index = SubscriptionIndex()
    for sid in range(6000, 0, -1):  # descending: every add after the first is "late"
        index.add(sid, sid % 10, f(tags={"BTC"} if sid % 3 else {"ETH"}))
    assert len(index) == 6000
    assert all(sid in index for sid in (1, 2999, 6000))
    assert index.remove(3) and not index.remove(3)
    expected = {sid for sid in range(1, 6001) if sid % 3 == 0 and sid != 3}
    assert index.match(article(tags=("ETH",))) == expected
    assert index.chat_of(5999) == 9


@pytest.mark.parametrize("dense_share", STRATEGIES[1:], ids=["dense", "mixed"])
def test_a_large_index_with_bitmaps_agrees_with_a_brute_force_scan(dense_share: int):
    """Big enough for the bitmap paths (postings >= 1/64 of all slots), with chats first
    seen out of order (renumbered), removals, and multi-tag subscriptions whose tags fall
    in both a big and a small posting: every answer equals matching each filter alone."""
    rng = random.Random(28)
    tags = ["BTC"] * 12 + ["ETH"] * 6 + ["SOL"] * 3 + ["XRP", "DEFI", "RARE"]
    words = ["etf", "spot etf", "hack", "price", "sec", "rally"]
    index = SubscriptionIndex(dense_share=dense_share)
    wanted: dict[int, tuple[int, SubscriptionFilter]] = {}
    chats = list(range(1, 6_001))
    rng.shuffle(chats)
    for sid in range(1, 12_001):
        counted = rng.random() < 0.3
        flt = f(
            tags=set(rng.sample(tags, rng.choice([0, 1, 1, 2, 3]))),
            sentiments=set(rng.sample(list(Sentiment), rng.choice([0, 0, 0, 1, 2]))),
            sources=set(rng.sample(["decrypt", "coindesk"], rng.choice([0, 1])) if counted else ()),
            keywords=tuple(rng.sample(words, rng.choice([0, 1, 2]))) if counted else (),
            exclude_keywords=tuple(rng.sample(words, rng.choice([0] * 9 + [1]))),
            lang=rng.choice([None, "en", "de"]) if counted else None,
        )
        wanted[sid] = (chats[sid % len(chats)], flt)
        index.add(sid, *wanted[sid])
    for sid in rng.sample(sorted(wanted), 800):
        assert index.remove(sid)
        del wanted[sid]
    vocabulary = "the spot etf price hack sec bitcoin rally news".split()
    for _ in range(12):
        item = article(
            title=" ".join(rng.sample(vocabulary, 4)),
            summary="",
            body="",
            source_key=rng.choice(["decrypt", "coindesk", "other"]),
            tags=tuple(rng.sample(["BTC", "ETH", "SOL", "RARE"], rng.randint(0, 3))),
            sentiment=rng.choice(list(Sentiment)),
            lang=rng.choice(["en", "de"]),
        )
        expected = {sid for sid, (_chat, flt) in wanted.items() if matches(flt, item)}
        assert index.match(item) == expected
        per_chat = index.match_chats(item)
        assert per_chat.keys() == {wanted[sid][0] for sid in expected}
        assert all(sid in expected and wanted[sid][0] == chat for chat, sid in per_chat.items())
    assert all(index.chat_of(sid) == chat for sid, (chat, _flt) in list(wanted.items())[:500])


def test_ids_beyond_32_bits_widen_the_index_and_keep_their_answers():
    """Ids are held in 4 bytes while they fit (decision 034); a wider id widens them."""
    index = SubscriptionIndex()
    assert index.add(5, 1, f(tags={"BTC"})) and 2**40 not in index
    assert index.add(2**40, 2, f(tags={"BTC"}))
    assert index.add(2**31 - 1 + 2**33, 3, f(tags={"ETF"}))
    assert index.match(article()) == {5, 2**40, 2**31 - 1 + 2**33}
    assert index.match_chats(article()) == {1: 5, 2: 2**40, 3: 2**31 - 1 + 2**33}
    assert index.max_id == 2**40
    assert index.chat_of(2**40) == 2 and index.remove(2**40) and 2**40 not in index
    assert index.match(article()) == {5, 2**31 - 1 + 2**33}
