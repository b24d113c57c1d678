"""Chats, subscriptions, routes and the change log, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import ChatKind, ChatRef, Sentiment, SubscriptionFilter
from storage.plugin import SqlStorage

BTC = SubscriptionFilter(tags=frozenset({"BTC"}))
RICH = SubscriptionFilter(
    tags=frozenset({"BTC", "ETH"}),
    sentiments=frozenset({Sentiment.POSITIVE}),
    sources=frozenset({"decrypt"}),
    keywords=("etf", "spot etf"),
    exclude_keywords=("scam",),
    lang="en",
)


async def test_a_chat_is_created_once_per_platform_and_id(storage: SqlStorage):
    chats = storage.chats
    first = await chats.get_or_create(ChatRef("telegram", "42"), kind=ChatKind.GROUP, title="G")
    again = await chats.get_or_create(ChatRef("telegram", "42", thread_id="7"), title="Renamed")
    other = await chats.get_or_create(ChatRef("discord", "42"))
    assert first.id == again.id != other.id
    assert again.kind == ChatKind.PRIVATE and again.title == "Renamed"
    assert again.ref == ChatRef("telegram", "42")
    assert (await chats.find(ChatRef("telegram", "42"))).id == first.id
    assert await chats.find(ChatRef("telegram", "nope")) is None
    assert set(await chats.get_many([first.id, other.id, 999])) == {first.id, other.id}


async def test_subscriptions_round_trip_with_every_filter_part(storage: SqlStorage):
    chats = storage.chats
    chat = await chats.get_or_create(ChatRef("telegram", "1"))
    plain = await chats.add_subscription(chat.id, BTC, created_by="u1")
    rich = await chats.add_subscription(chat.id, RICH, mention="@traders")
    listed = await chats.list_subscriptions(chat.id)
    assert [s.id for s in listed] == [plain.id, rich.id]
    assert listed[1].filter == RICH
    assert listed[1].mention == "@traders"
    assert listed[1].chat == ChatRef("telegram", "1")
    assert (await chats.get_subscription(rich.id)).filter == RICH
    assert await chats.count_subscriptions(chat.id) == 2


async def test_remove_by_id_tag_and_all_only_touches_that_chat(storage: SqlStorage):
    chats = storage.chats
    mine = await chats.get_or_create(ChatRef("telegram", "1"))
    theirs = await chats.get_or_create(ChatRef("telegram", "2"))
    a = await chats.add_subscription(mine.id, BTC)
    b = await chats.add_subscription(mine.id, RICH)
    c = await chats.add_subscription(mine.id, SubscriptionFilter(tags=frozenset({"SOL"})))
    other = await chats.add_subscription(theirs.id, BTC)
    assert not await chats.remove_subscription(mine.id, other.id)
    assert await chats.remove_subscription(mine.id, c.id)
    assert not await chats.remove_subscription(mine.id, c.id)
    removed = await chats.remove_subscriptions_by_tag(mine.id, "BTC")
    assert {s.id for s in removed} == {a.id, b.id}
    assert await chats.list_subscriptions(mine.id) == []
    assert [s.id for s in await chats.list_subscriptions(theirs.id)] == [other.id]
    assert await chats.remove_all_subscriptions(theirs.id) == [other.id]


async def test_settings_updates_and_deactivation_keep_history(storage: SqlStorage):
    chats = storage.chats
    chat = await chats.get_or_create(ChatRef("telegram", "1"))
    sub = await chats.add_subscription(chat.id, BTC)
    until = datetime(2026, 1, 1, 12, tzinfo=UTC)
    updated = await chats.update_settings(
        chat.id, timezone="Europe/Berlin", quiet_start="23:00", quiet_end="07:00", muted_until=until
    )
    assert (updated.timezone, updated.quiet_start, updated.quiet_end) == (
        "Europe/Berlin",
        "23:00",
        "07:00",
    )
    assert (await chats.get(chat.id)).muted_until == until
    assert await chats.deactivate(chat.id, "blocked by the user") == [sub.id]
    assert not (await chats.get(chat.id)).active
    assert await chats.list_subscriptions(chat.id) == []
    assert await chats.reactivate(chat.id) == [sub.id]
    assert await chats.reactivate(chat.id) == []
    assert [s.id for s in await chats.list_subscriptions(chat.id)] == [sub.id]


async def test_change_log_lets_another_process_catch_up(storage: SqlStorage):
    chats = storage.chats
    chat = await chats.get_or_create(ChatRef("telegram", "1"))
    start = await chats.last_change_id()
    a = await chats.add_subscription(chat.id, RICH)
    b = await chats.add_subscription(chat.id, BTC)
    await chats.remove_subscription(chat.id, b.id)
    changes = await chats.changes_since(start)
    assert [(c.op, c.subscription_id) for c in changes] == [
        ("add", a.id),
        ("add", b.id),
        ("remove", b.id),
    ]
    assert changes[0].filter == RICH
    assert changes[1].filter is None  # already gone: nothing to index
    assert await chats.changes_since(changes[-1].id) == []
    assert await chats.last_change_id() == changes[-1].id


async def test_streaming_all_active_subscriptions_in_batches(storage: SqlStorage):
    chats = storage.chats
    one = await chats.get_or_create(ChatRef("telegram", "1"))
    two = await chats.get_or_create(ChatRef("telegram", "2"))
    ids = [(await chats.add_subscription(one.id, BTC)).id for _ in range(5)]
    ids.append((await chats.add_subscription(two.id, RICH)).id)
    await chats.deactivate(one.id, "kicked")
    await chats.reactivate(one.id)
    gone = await chats.add_subscription(two.id, BTC)
    await chats.deactivate(two.id, "blocked")
    batches = [batch async for batch in chats.iter_active_subscriptions(batch_size=2)]
    assert [len(b) for b in batches] == [2, 2, 1]
    flat = [row for batch in batches for row in batch]
    assert [row[0] for row in flat] == ids[:5]
    assert all(row[1] == one.id and row[2] == BTC for row in flat)
    assert gone.id not in {row[0] for row in flat}


async def test_topic_routes_per_group(storage: SqlStorage):
    chats = storage.chats
    group = await chats.get_or_create(ChatRef("telegram", "-100"), kind=ChatKind.GROUP)
    await chats.set_route(group.id, "BTC", "11")
    await chats.set_route(group.id, "ETH", "12")
    await chats.set_route(group.id, "BTC", "13")
    assert await chats.routes([group.id, 999]) == {group.id: {"BTC": "13", "ETH": "12"}}
    assert await chats.remove_routes(group.id, thread_id="12") == 1
    assert await chats.remove_routes(group.id, tag="SOL") == 0
    assert await chats.remove_routes(group.id) == 1
    assert await chats.routes([group.id]) == {}
