"""The in-memory index follows the database, also when another process changes it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerting import IndexSync
from bot.matching import SubscriptionIndex
from bot.models import Article, ChatRef, Sentiment, SubscriptionFilter
from storage.plugin import SqlStorage, open_storage

NOW = datetime(2026, 1, 7, 12, tzinfo=UTC)


def btc_article() -> Article:
    return Article(
        id=1,
        story_id=1,
        title="Bitcoin spot ETF inflows hit a record",
        source_key="decrypt",
        source_name="Decrypt",
        published_at=NOW,
        tags=("BTC",),
        sentiment=Sentiment.POSITIVE,
    )


def wants(*tags: str) -> SubscriptionFilter:
    return SubscriptionFilter(tags=frozenset(tags))


async def test_load_then_replay_changes_made_by_another_process(storage: SqlStorage, settings):
    chats = storage.chats
    one = await chats.get_or_create(ChatRef("telegram", "1"))
    two = await chats.get_or_create(ChatRef("telegram", "2"))
    kept = await chats.add_subscription(one.id, wants("BTC"))
    dropped = await chats.add_subscription(two.id, wants("BTC"))
    await chats.add_subscription(two.id, wants("ETH"))
    index = SubscriptionIndex()
    sync = IndexSync(chats, index)
    assert await sync.load() == 3
    assert index.match(btc_article()) == {kept.id, dropped.id}

    other = open_storage(settings)  # a second process sharing the database
    try:
        three = await other.chats.get_or_create(ChatRef("discord", "3"))
        added = await other.chats.add_subscription(three.id, wants("BTC"))
        await other.chats.remove_subscription(two.id, dropped.id)
        await other.chats.deactivate(one.id, "bot was blocked")
    finally:
        await other.close()
    assert index.match(btc_article()) == {kept.id, dropped.id}  # not seen yet
    assert await sync.sync() == 3
    assert index.match(btc_article()) == {added.id}
    assert await sync.sync() == 0

    await chats.reactivate(one.id)
    await sync.sync()
    assert index.match(btc_article()) == {added.id, kept.id}


async def test_changes_already_applied_by_the_command_handler_are_not_doubled(
    storage: SqlStorage,
):
    chats = storage.chats
    chat = await chats.get_or_create(ChatRef("telegram", "1"))
    index = SubscriptionIndex()
    sync = IndexSync(chats, index)
    await sync.load()
    subscription = await chats.add_subscription(chat.id, wants("BTC"))
    index.add_subscription(subscription, chat.id)  # what /subscribe does at once
    await sync.sync()
    assert len(index) == 1
    await chats.remove_subscription(chat.id, subscription.id)
    index.remove(subscription.id)
    await sync.sync()
    assert len(index) == 0
    assert index.match(btc_article()) == set()
