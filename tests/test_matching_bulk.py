"""The start-up bulk load builds the same index as adding subscriptions one by one."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np

from bot.alerts.index_bulk import BulkLoad, SubscriptionBatch
from bot.alerts.matching import SubscriptionIndex
from bot.alerts.planner import IndexSync
from bot.models import Article, ChatRef, Sentiment, SubscriptionFilter
from storage import subscription_rows
from storage.plugin import SqlStorage

TAGS = ["BTC", "ETH", "SOL", "ETF", "DEFI"]
WORDS = ["etf", "hack", "spot etf", "price", "spot", "approval", "etf etf"]
SOURCES = ["decrypt", "coindesk", "the block"]


def _filter(rng: random.Random) -> SubscriptionFilter:
    return SubscriptionFilter(
        tags=frozenset(rng.sample(TAGS, rng.choice([0, 1, 1, 2, 3]))),
        sentiments=frozenset(rng.sample(list(Sentiment), rng.choice([0, 0, 1, 2, 3]))),
        sources=frozenset(rng.sample(SOURCES, rng.choice([0, 0, 0, 1]))),
        keywords=tuple(rng.choice(WORDS) for _ in range(rng.choice([0, 0, 1, 2]))),
        exclude_keywords=tuple(rng.sample(WORDS, rng.choice([0, 0, 0, 1]))),
        lang=rng.choice([None, None, None, "en", "de"]),
    )


def _articles(rng: random.Random) -> list[Article]:
    texts = ["Spot ETF approval lifts price", "Exchange hack", "ETF etf flows", "Quiet day"]
    return [
        Article(
            id=n,
            title=rng.choice(texts),
            summary=rng.choice(texts),
            source_key=rng.choice(SOURCES),
            source_name="X",
            published_at=datetime(2026, 12, 7, tzinfo=UTC),
            tags=tuple(rng.sample(TAGS, rng.randint(0, 3))),
            sentiment=rng.choice(list(Sentiment)),
            lang=rng.choice(["en", "de"]),
        )
        for n in range(1, 120)
    ]


async def test_bulk_load_matches_what_adding_one_by_one_builds(storage: SqlStorage):
    rng = random.Random(20)
    chats = [await storage.chats.get_or_create(ChatRef("telegram", str(n))) for n in range(40)]
    removed = []
    for n in range(450):
        chat = rng.choice(chats)
        sub = await storage.chats.add_subscription(chat.id, _filter(rng))
        if n % 9 == 0:
            removed.append((chat.id, sub.id))
    for chat_id, sid in removed:  # inactive rows stay in the table and must not be loaded
        assert await storage.chats.remove_subscription(chat_id, sid)
    one_by_one = SubscriptionIndex()
    async for batch in storage.chats.iter_active_subscriptions():
        one_by_one.add_many(batch)
    bulk = SubscriptionIndex()
    assert await IndexSync(storage.chats, bulk).load() == len(one_by_one) == 400
    for article in _articles(rng):
        assert np.array_equal(
            np.sort(bulk.match_ids(article)), np.sort(one_by_one.match_ids(article))
        )
        assert set(bulk.match_chats(article)) == set(one_by_one.match_chats(article))
    # The bulk-built index keeps working one by one afterwards.
    extra = await storage.chats.add_subscription(chats[0].id, SubscriptionFilter())
    assert bulk.add(extra.id, chats[0].id, SubscriptionFilter())
    assert extra.id in bulk.match(_articles(rng)[0])
    assert bulk.remove(extra.id) and extra.id not in bulk


async def test_bulk_load_starting_its_filter_numbering_over_builds_the_same_index(
    storage: SqlStorage, monkeypatch
):
    """Storage numbers at most SHAPES_LIMIT distinct filters before starting over (decision
    034): the index must not mix a filter numbered before with one numbered after."""
    monkeypatch.setattr(subscription_rows, "SHAPES_LIMIT", 5)
    rng = random.Random(34)
    chats = [await storage.chats.get_or_create(ChatRef("telegram", str(n))) for n in range(9)]
    for _ in range(300):
        await storage.chats.add_subscription(rng.choice(chats).id, _filter(rng))
    batches = [b async for b in storage.chats.subscription_batches(size=40)]
    assert sum(b.fresh for b in batches) >= 3
    assert all(max(b.shapes) < len(b.filters) for b in batches if b.fresh)
    one_by_one = SubscriptionIndex()
    async for rows in storage.chats.iter_active_subscriptions():
        one_by_one.add_many(rows)
    bulk = SubscriptionIndex()
    load = BulkLoad(bulk)
    for batch in batches:
        load.add(batch)
    assert load.build() == len(one_by_one) == 300
    for article in _articles(rng):
        assert np.array_equal(
            np.sort(bulk.match_ids(article)), np.sort(one_by_one.match_ids(article))
        )
        assert bulk.match_chats(article).keys() == one_by_one.match_chats(article).keys()


async def test_bulk_load_skips_inactive_subscriptions_and_pages_in_id_order(storage: SqlStorage):
    chat = await storage.chats.get_or_create(ChatRef("telegram", "1"))
    btc = SubscriptionFilter(tags=frozenset({"BTC"}))
    subs = [await storage.chats.add_subscription(chat.id, btc) for _ in range(7)]
    assert await storage.chats.remove_subscription(chat.id, subs[3].id)
    batches = [b async for b in storage.chats.subscription_batches(size=2)]
    assert [list(b.ids) for b in batches] == [
        [subs[0].id, subs[1].id],
        [subs[2].id, subs[4].id],
        [subs[5].id, subs[6].id],
    ]
    assert sum(len(b.filters) for b in batches) == 1  # one distinct filter, decoded once
    assert batches[0].filters == [btc]
    index = SubscriptionIndex()
    await IndexSync(storage.chats, index).load()
    article = Article(
        id=1, title="t", source_key="s", source_name="S",
        published_at=datetime(2026, 12, 7, tzinfo=UTC), tags=("BTC",),
    )  # fmt: skip
    assert index.match(article) == {s.id for s in subs} - {subs[3].id}
    assert index.chat_of(subs[6].id) == chat.id and index.chat_of(subs[3].id) is None


def test_bulk_load_refuses_out_of_order_batches_and_a_filled_index():
    load = BulkLoad(SubscriptionIndex())
    first = SubscriptionBatch()
    first.ids.extend([5, 6])
    first.chats.extend([1, 1])
    first.shapes.extend([0, 0])
    first.filters.append(SubscriptionFilter())
    load.add(first)
    late = SubscriptionBatch()
    late.ids.append(4)
    try:
        load.add(late)
    except ValueError as error:
        assert "ascending" in str(error)
    else:
        raise AssertionError("an out-of-order batch was accepted")
    index = SubscriptionIndex()
    index.add(1, 1, SubscriptionFilter())
    try:
        BulkLoad(index)
    except ValueError as error:
        assert "empty" in str(error)
    else:
        raise AssertionError("a filled index was overwritten")
