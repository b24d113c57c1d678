"""The in-memory index follows the database, also when another process changes it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.planner import IndexSync
from bot.models import Article, ChatRef, Sentiment, SubscriptionFilter
from storage.plugin import SqlStorage, open_storage
from storage.tables import SubscriptionChangeRow

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


async def test_an_entry_committed_late_with_a_lower_id_is_still_applied(storage: SqlStorage):
    """On PostgreSQL a transaction may commit log id 3 after id 4 was read."""
    chats = storage.chats
    chat = await chats.get_or_create(ChatRef("telegram", "1"))
    index = SubscriptionIndex()
    moments = [1000.0]
    sync = IndexSync(chats, index, gap_seconds=60, monotonic=lambda: moments[0])
    await sync.load()
    early = await chats.add_subscription(chat.id, wants("BTC"))
    late = await chats.add_subscription(chat.id, wants("BTC"))
    async with storage.db.session() as session:  # make the first entry "not yet committed"
        row = await session.scalar(
            select(SubscriptionChangeRow).where(SubscriptionChangeRow.subscription_id == early.id)
        )
        first_id = row.id
        await session.delete(row)
    await sync.sync()
    assert index.match(btc_article()) == {late.id}
    assert first_id in sync.gaps
    async with storage.db.session() as session:  # ...and now it commits
        session.add(
            SubscriptionChangeRow(
                id=first_id, subscription_id=early.id, chat_id=chat.id, op="add", at=NOW
            )
        )
    await sync.sync()
    assert index.match(btc_article()) == {early.id, late.id}
    assert first_id not in sync.gaps
    moments[0] += 61  # gaps are given up after a while (rolled-back transactions)
    await sync.sync()
    assert sync.gaps == {}
