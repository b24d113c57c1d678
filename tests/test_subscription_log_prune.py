"""The subscription change log is pruned, and a process that fell behind the prune
still ends with the right index (it reloads instead of silently missing changes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.planner import IndexSync
from bot.config import RetentionConfig
from bot.models import ChatRef, SubscriptionFilter
from bot.ops.housekeeping import Housekeeper
from storage.plugin import SqlStorage, open_storage
from storage.tables import SubscriptionChangeRow

LATER = datetime.now(UTC) + timedelta(days=2)  # every entry written now is a day old then


def wants(*tags: str) -> SubscriptionFilter:
    return SubscriptionFilter(tags=frozenset(tags))


async def log_ids(storage: SqlStorage) -> list[int]:
    async with storage.db.reading() as session:
        return list(await session.scalars(select(SubscriptionChangeRow.id).order_by("id")))


async def active_ids(storage: SqlStorage) -> set[int]:
    found: set[int] = set()
    async for batch in storage.chats.iter_active_subscriptions():
        found.update(sid for sid, _chat, _flt in batch)
    return found


async def test_subscribe_unsubscribe_cycles_leave_one_entry_after_pruning(storage: SqlStorage):
    chat = await storage.chats.get_or_create(ChatRef("telegram", "cycler"))
    for _ in range(300):
        added = await storage.chats.add_subscription(chat.id, wants("BTC"))
        assert await storage.chats.remove_subscription(chat.id, added.id)
    assert len(await log_ids(storage)) == 600

    keeper = Housekeeper(storage.retention, RetentionConfig(), lambda: LATER)
    removed = await keeper.run_once()

    assert removed["subscription_changes"] == 600
    ids = await log_ids(storage)
    assert len(ids) == 1  # the marker: it tells processes how far the log was pruned
    assert await storage.chats.pruned_through() == ids[0] - 1


async def test_pruning_keeps_recent_entries_and_zero_hours_keeps_everything(storage):
    chat = await storage.chats.get_or_create(ChatRef("telegram", "keeper"))
    for tag in ("BTC", "ETH", "SOL"):
        await storage.chats.add_subscription(chat.id, wants(tag))
    keep_all = Housekeeper(
        storage.retention, RetentionConfig(subscription_changes_hours=0), lambda: LATER
    )
    assert "subscription_changes" not in await keep_all.run_once()
    recent = Housekeeper(storage.retention, RetentionConfig(), lambda: datetime.now(UTC))
    assert "subscription_changes" not in await recent.run_once()
    assert len(await log_ids(storage)) == 3


async def test_a_process_behind_the_prune_reloads_its_index(storage: SqlStorage, settings):
    chats = storage.chats
    first = await chats.get_or_create(ChatRef("telegram", "1"))
    old = await chats.add_subscription(first.id, wants("BTC"))
    index = SubscriptionIndex()
    behind = IndexSync(chats, index)  # this process loads, then sleeps through changes
    assert await behind.load() == 1

    other = open_storage(settings)  # another process changes subscriptions meanwhile
    try:
        second = await other.chats.get_or_create(ChatRef("discord", "2"))
        added = [
            (await other.chats.add_subscription(second.id, wants(tag))).id
            for tag in ("ETH", "SOL", "XRP")
        ]
        await other.chats.remove_subscription(first.id, old.id)
        await other.chats.remove_subscription(second.id, added[1])
        pruned = await other.retention.prune_changes(LATER)  # the leader prunes
    finally:
        await other.close()
    assert pruned == 6 and len(await log_ids(storage)) == 1

    await behind.sync()

    assert set(index.subscription_ids()) == await active_ids(storage) == {added[0], added[2]}
    assert behind.cursor == await chats.last_change_id()
    third = await chats.get_or_create(ChatRef("telegram", "3"))
    late = await chats.add_subscription(third.id, wants("DOGE"))
    await behind.sync()  # back to replaying the log
    assert late.id in index


async def test_a_process_that_kept_up_does_not_reload(storage: SqlStorage):
    chats = storage.chats
    chat = await chats.get_or_create(ChatRef("telegram", "1"))
    index = SubscriptionIndex()
    sync = IndexSync(chats, index)
    await sync.load()
    for tag in ("BTC", "ETH"):
        await chats.add_subscription(chat.id, wants(tag))
    await sync.sync()
    scans = 0
    real_scan = sync._scan

    async def counted() -> None:
        nonlocal scans
        scans += 1
        await real_scan()

    sync._scan = counted  # type: ignore[method-assign]
    await storage.retention.prune_changes(LATER)
    await chats.add_subscription(chat.id, wants("SOL"))
    await sync.sync()
    assert scans == 0 and len(index) == 3
    async with storage.db.reading() as session:
        assert await session.scalar(select(func.count(SubscriptionChangeRow.id))) == 2
    assert await storage.chats.pruned_through() > 0


async def test_a_late_entry_below_the_cursor_is_not_mistaken_for_a_prune(storage: SqlStorage):
    chats = storage.chats
    chat = await chats.get_or_create(ChatRef("telegram", "1"))
    sync = IndexSync(chats, SubscriptionIndex())
    await sync.load()
    await chats.add_subscription(chat.id, wants("BTC"))
    async with storage.db.session() as session:  # the first entry is "not yet committed"
        row = await session.scalar(select(SubscriptionChangeRow))
        await session.delete(row)
    await chats.add_subscription(chat.id, wants("ETH"))
    assert not await sync._fell_behind(await chats.changes_since(sync.cursor))
