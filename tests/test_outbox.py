"""The outbox on real SQLite and PostgreSQL: idempotent enqueue, claim order, results."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from delivery_data import T0, add_chats, add_story, deliveries
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from bot.models import DeliveryKind, NewDelivery
from storage.plugin import SqlStorage
from storage.tables import ChatRow, DeliveryRow, SentMessageRow, SubscriptionRow


async def _statuses(storage: SqlStorage) -> dict[int, str]:
    async with storage.db.session() as session:
        return dict((await session.execute(select(DeliveryRow.id, DeliveryRow.status))).all())


async def test_enqueue_ignores_known_idempotency_keys(storage: SqlStorage):
    chats = await add_chats(storage, 4)
    story, (article,) = await add_story(storage)
    outbox = storage.outbox
    assert await outbox.enqueue_many(deliveries(chats[:3], story, article)) == 3
    again = deliveries(chats, story, article) + deliveries(chats[:1], story, article)
    assert await outbox.enqueue_many(again) == 1
    assert await outbox.enqueue_many([]) == 0
    # same chat and story but another kind is another delivery
    breaking = deliveries(chats[:1], story, article, kind=DeliveryKind.BREAKING)
    assert await outbox.enqueue_many(breaking) == 1
    assert len(await _statuses(storage)) == 5


async def test_claim_order_breaking_then_alert_then_digest_then_due_time(storage: SqlStorage):
    chats = await add_chats(storage, 3)
    story, (article,) = await add_story(storage)
    outbox = storage.outbox
    await outbox.enqueue_many(
        [
            NewDelivery(chats[0], DeliveryKind.DIGEST, T0 - timedelta(hours=2), story, article),
            NewDelivery(chats[1], DeliveryKind.ALERT, T0 - timedelta(minutes=1), story, article),
            NewDelivery(chats[2], DeliveryKind.ALERT, T0 - timedelta(minutes=5), story, article),
            NewDelivery(chats[2], DeliveryKind.BREAKING, T0, story, article),
            NewDelivery(chats[0], DeliveryKind.ALERT, T0 + timedelta(seconds=1), story, article),
        ]
    )
    claimed = await outbox.claim_due("w1", now=T0, limit=10)
    assert [(c.kind, c.chat.id) for c in claimed] == [
        (DeliveryKind.BREAKING, chats[2]),
        (DeliveryKind.ALERT, chats[2]),
        (DeliveryKind.ALERT, chats[1]),
        (DeliveryKind.DIGEST, chats[0]),
    ]
    # claimed rows are not claimed twice; the future row waits for its time
    assert await outbox.claim_due("w2", now=T0, limit=10) == []
    later = await outbox.claim_due("w2", now=T0 + timedelta(seconds=1), limit=10)
    assert [(c.kind, c.chat.id) for c in later] == [(DeliveryKind.ALERT, chats[0])]


async def test_claim_respects_limit_platforms_and_inactive_chats(storage: SqlStorage):
    console = await add_chats(storage, 3)
    other = await add_chats(storage, 2, platform="telegram")
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(console + other, story, article))
    async with storage.db.session() as session:
        chat = await session.get(ChatRow, console[0])
        assert chat is not None
        chat.active = False
    first = await storage.outbox.claim_due("w", now=T0, limit=1, platforms=["console"])
    rest = await storage.outbox.claim_due("w", now=T0, limit=10, platforms=["console"])
    assert [c.chat.id for c in first + rest] == console[1:]
    tg = await storage.outbox.claim_due("w", now=T0, limit=10, platforms=["telegram"])
    assert {c.to.platform for c in tg} == {"telegram"} and len(tg) == 2


async def test_claimed_delivery_carries_article_story_and_chat(storage: SqlStorage):
    chats = await add_chats(storage, 1, kind="group")
    story, articles = await add_story(storage, sources=("decrypt", "coindesk", "theblock"))
    await storage.outbox.enqueue_many(
        [NewDelivery(chats[0], DeliveryKind.ALERT, T0, story, articles[1], payload={"x": 1})]
    )
    (claimed,) = await storage.outbox.claim_due("w", now=T0, limit=5)
    assert claimed.article is not None and claimed.article.source_key == "coindesk"
    assert claimed.article.tags == ("BTC", "MARKET") and claimed.article.url
    assert claimed.story is not None
    assert claimed.story.source_keys == ("coindesk", "decrypt", "theblock")
    assert claimed.extra_sources == 2
    assert claimed.to.platform == "console" and claimed.to.chat_id == "c00000"
    assert claimed.chat.kind.value == "group" and claimed.payload == {"x": 1}


async def test_claim_loads_a_batch_in_a_fixed_number_of_queries(storage: SqlStorage):
    chats = await add_chats(storage, 60)
    for n in range(3):
        story, (article,) = await add_story(storage, f"story {n}")
        await storage.outbox.enqueue_many(deliveries(chats[n * 20 : n * 20 + 20], story, article))
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(storage.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        claimed = await storage.outbox.claim_due("w", now=T0, limit=60)
    finally:
        event.remove(storage.db.engine.sync_engine, "before_cursor_execute", count)
    assert len(claimed) == 60
    assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]) <= 5


async def test_a_chats_due_digest_rows_are_claimed_together(storage: SqlStorage):
    chats = await add_chats(storage, 2)
    stories = [await add_story(storage, f"digest story {n}") for n in range(4)]
    rows = [
        NewDelivery(chats[0], DeliveryKind.DIGEST, T0, s, a[0], payload={"n": n})
        for n, (s, a) in enumerate(stories)
    ]
    rows.append(NewDelivery(chats[1], DeliveryKind.ALERT, T0, stories[0][0], stories[0][1][0]))
    await storage.outbox.enqueue_many(rows)
    claimed = await storage.outbox.claim_due("w", now=T0, limit=2)
    digest = [c for c in claimed if c.kind is DeliveryKind.DIGEST]
    assert len(digest) == 4 and {c.chat.id for c in digest} == {chats[0]}


async def test_mark_sent_records_the_platform_message_for_later_edits(storage: SqlStorage):
    chats = await add_chats(storage, 2)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    claimed = await storage.outbox.claim_due("w", now=T0, limit=5)
    for n, c in enumerate(claimed):
        await storage.outbox.mark_sent(c.id, f"m{n}", now=T0, has_image=n == 1)
    sent = await storage.outbox.sent_messages_for_story(story)
    assert [(s.chat_db_id, s.message_id, s.platform, s.has_image) for s in sent] == [
        (chats[0], "m0", "console", False),
        (chats[1], "m1", "console", True),
    ]
    assert sent[0].to.chat_id == "c00000" and sent[0].article_id == article
    assert sent[0].kind is DeliveryKind.ALERT and sent[0].delivery_id == claimed[0].id
    assert set((await _statuses(storage)).values()) == {"sent"}
    assert await storage.outbox.claim_due("w", now=T0 + timedelta(days=1), limit=5) == []


async def test_retry_after_counts_no_attempt_failures_do(storage: SqlStorage):
    chats = await add_chats(storage, 1)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    (c,) = await storage.outbox.claim_due("w", now=T0, limit=1)
    await storage.outbox.retry_at(c.id, T0 + timedelta(seconds=7), "429", failed_attempt=False)
    assert await storage.outbox.claim_due("w", now=T0 + timedelta(seconds=6), limit=1) == []
    (c,) = await storage.outbox.claim_due("w", now=T0 + timedelta(seconds=7), limit=1)
    assert c.attempts == 0
    await storage.outbox.retry_at(c.id, T0 + timedelta(seconds=9), "timeout")
    (c,) = await storage.outbox.claim_due("w", now=T0 + timedelta(seconds=9), limit=1)
    assert c.attempts == 1
    await storage.outbox.mark_failed(c.id, "HTTP 400: bad request", now=T0)
    async with storage.db.session() as session:
        row = await session.get(DeliveryRow, c.id)
        assert row is not None
        assert (row.status, row.attempts, row.last_error) == ("failed", 2, "HTTP 400: bad request")


async def test_chat_gone_deactivates_and_cancels_but_keeps_history(storage: SqlStorage):
    chats = await add_chats(storage, 2)
    s1, (a1,) = await add_story(storage, "one")
    s2, (a2,) = await add_story(storage, "two")
    await storage.outbox.enqueue_many(deliveries(chats, s1, a1))
    (first, _) = await storage.outbox.claim_due("w", now=T0, limit=2)
    await storage.outbox.mark_sent(first.id, "m1", now=T0)
    await storage.outbox.enqueue_many(deliveries(chats, s2, a2))
    cancelled = await storage.outbox.chat_gone(chats[0], "bot was blocked by the user", now=T0)
    assert cancelled == 1
    async with storage.db.session() as session:
        chat = await session.get(ChatRow, chats[0])
        assert chat is not None and not chat.active
        assert chat.deactivated_reason == "bot was blocked by the user"
        active = await session.scalars(
            select(SubscriptionRow.active).where(SubscriptionRow.chat_id == chats[0])
        )
        assert list(active) == [False]
        kept = await session.scalar(select(func.count()).select_from(SentMessageRow))
        assert kept == 1
    left = await storage.outbox.claim_due("w", now=T0, limit=10)
    assert [c.chat.id for c in left] == [chats[1]]


async def test_release_stale_returns_rows_of_workers_whose_lease_expired(storage: SqlStorage):
    chats = await add_chats(storage, 4)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    await storage.outbox.heartbeat("dead", now=T0)
    await storage.outbox.claim_due("dead", now=T0, limit=2)
    await storage.outbox.claim_due("alive", now=T0, limit=1)
    await storage.outbox.heartbeat("alive", now=T0 + timedelta(seconds=50))
    assert await storage.outbox.claimants() == ["alive", "dead"]
    now = T0 + timedelta(seconds=61)
    assert await storage.outbox.release_stale(timedelta(seconds=60), now=now) == 2
    again = await storage.outbox.claim_due("new", now=now, limit=5)
    assert sorted(c.chat.id for c in again) == [chats[0], chats[1], chats[3]]
    assert all(c.attempts == 0 for c in again)
    # a worker known to be dead gives its rows back at once; 0 releases every claim
    assert await storage.outbox.release_worker("new") == 3
    assert await storage.outbox.release_stale(timedelta(0), now=now) == 1
    assert await storage.outbox.claimants() == []


async def test_depth_and_next_due(storage: SqlStorage):
    chats = await add_chats(storage, 3)
    story, (article,) = await add_story(storage)
    assert (await storage.outbox.depth(now=T0)).pending == 0
    assert await storage.outbox.next_due_at() is None
    await storage.outbox.enqueue_many(
        deliveries(chats[:2], story, article, due_at=T0 - timedelta(seconds=30))
        + deliveries(chats[2:], story, article, due_at=T0 + timedelta(hours=1))
    )
    await storage.outbox.claim_due("w", now=T0, limit=1)
    depth = await storage.outbox.depth(now=T0)
    assert (depth.pending, depth.due, depth.sending) == (2, 1, 1)
    assert depth.oldest_due_age_s == 30.0
    assert await storage.outbox.next_due_at(["console"]) == T0 - timedelta(seconds=30)
    assert await storage.outbox.next_due_at(["telegram"]) is None


async def test_enqueue_refuses_a_delivery_to_an_unknown_chat(storage: SqlStorage):
    chats = await add_chats(storage, 2)
    story, (article,) = await add_story(storage)
    unknown = max(chats) + 1000
    with pytest.raises(IntegrityError):
        await storage.outbox.enqueue_many(deliveries([*chats, unknown], story, article))
    assert await _statuses(storage) == {}  # all or nothing
    assert await storage.outbox.claim_due("w", now=T0, limit=10) == []


async def test_enqueued_rows_keep_due_time_and_payload_exactly(storage: SqlStorage):
    chats = await add_chats(storage, 2)
    story, (article,) = await add_story(storage)
    on_the_second = T0.replace(microsecond=0) - timedelta(minutes=1)
    paris = timezone(timedelta(hours=1))
    await storage.outbox.enqueue_many(
        [
            NewDelivery(chats[0], DeliveryKind.ALERT, on_the_second, story, article),
            NewDelivery(
                chats[1],
                DeliveryKind.ALERT,
                (on_the_second + timedelta(microseconds=7)).astimezone(paris),
                story,
                article,
                payload={"thread_id": "42", "note": "café"},
            ),
        ]
    )
    claimed = await storage.outbox.claim_due("w", now=T0, limit=10)
    assert [(c.due_at, c.payload) for c in claimed] == [
        (on_the_second, {}),
        (on_the_second + timedelta(microseconds=7), {"thread_id": "42", "note": "café"}),
    ]
    assert claimed[1].to.thread_id == "42"
