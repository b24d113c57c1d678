"""The dispatcher against a real outbox, a recording adapter and a fake clock."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import timedelta

import pytest
from delivery_data import T0, add_chats, add_story, deliveries
from fakes.clock import FakeClock
from fakes.recording_adapter import RecordingAdapter
from sqlalchemy import select
from test_pacing import max_in_window

from bot.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.formatting import render_alert
from bot.models import ChatRef, DeliveryKind, DeliveryResult, NewDelivery, ResultKind
from storage.plugin import SqlStorage
from storage.tables import ChatRow, DeliveryRow, SubscriptionRow


def setup(storage: SqlStorage, **config: object) -> tuple[Dispatcher, RecordingAdapter, FakeClock]:
    clock = FakeClock(T0)
    adapter = RecordingAdapter(clock=clock.monotonic)
    dispatcher = Dispatcher(
        storage.outbox,
        [adapter],
        DeliveryConfig(**config),  # type: ignore[arg-type]
        clock=clock,
        worker="test",
        rng=random.Random(5),
    )
    return dispatcher, adapter, clock


async def rows(storage: SqlStorage) -> list[DeliveryRow]:
    async with storage.db.session() as session:
        return list(await session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))


async def test_fan_out_goes_at_the_declared_rate_and_records_every_message(storage):
    chats = await add_chats(storage, 75)
    story, (article, _) = await add_story(storage, sources=("decrypt", "coindesk"))
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, _ = setup(storage)
    claims = 0
    claim_due = storage.outbox.claim_due

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal claims
        claims += 1
        return await claim_due(*args, **kwargs)

    storage.outbox.claim_due = counting  # type: ignore[method-assign]
    await dispatcher.drain()
    times = [a.at for a in adapter.attempts]
    assert len(adapter.sent) == 75 and len({a.to.chat_id for a in adapter.sent}) == 75
    assert claims <= 12, claims  # about one claim per second of sending, not one per send
    assert max_in_window(times, 1.0) <= 30
    assert times[-1] == pytest.approx(74 / 30, abs=0.3)  # and close to the full rate
    assert adapter.sent[0].alert.extra_sources == 1
    assert {r.status for r in await rows(storage)} == {"sent"}
    assert len(await storage.outbox.sent_messages_for_story(story)) == 75


async def test_a_group_gets_twenty_a_minute_and_nothing_is_dropped(storage):
    (group,) = await add_chats(storage, 1, kind="group")
    for n in range(24):
        story, (article,) = await add_story(storage, f"story {n}")
        await storage.outbox.enqueue_many(deliveries([group], story, article))
    dispatcher, adapter, _ = setup(storage)
    await dispatcher.drain(horizon_s=120)
    times = [a.at for a in adapter.sent]
    assert len(times) == 24
    assert max_in_window(times, 60.0) <= 20 and max_in_window(times, 1.0) <= 1


async def test_breaking_goes_before_queued_alerts(storage):
    chats = await add_chats(storage, 40)
    s1, (a1,) = await add_story(storage, "routine")
    s2, (a2,) = await add_story(storage, "exchange hacked")
    await storage.outbox.enqueue_many(deliveries(chats, s1, a1))
    later = T0 + timedelta(seconds=1)
    await storage.outbox.enqueue_many(
        deliveries(chats[:2], s2, a2, kind=DeliveryKind.BREAKING, due_at=later)
    )
    dispatcher, adapter, clock = setup(storage)
    clock.advance(1)
    await dispatcher.drain()
    kinds = [a.alert.kind for a in adapter.sent]
    assert kinds[:2] == [DeliveryKind.BREAKING] * 2 and len(kinds) == 42


async def test_retry_after_waits_exactly_for_that_chat_and_loses_nothing(storage):
    chats = await add_chats(storage, 3)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, _ = setup(storage)
    adapter.plan("c00000", DeliveryResult.retry(7))
    await dispatcher.drain()
    first, *others, again = adapter.attempts
    assert first.to.chat_id == again.to.chat_id == "c00000"
    assert again.at - first.at == pytest.approx(7.0, abs=0.25)
    assert [a.at for a in others] == pytest.approx([1 / 30, 2 / 30], abs=0.05)
    assert [r.attempts for r in await rows(storage)] == [0, 0, 0]
    assert {r.status for r in await rows(storage)} == {"sent"}


async def test_whole_adapter_retry_after_pauses_everyone(storage):
    chats = await add_chats(storage, 4)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, _ = setup(storage)
    adapter.plan("c00000", DeliveryResult.retry(4, whole_adapter=True))
    await dispatcher.drain()
    first, *rest = adapter.attempts
    assert all(a.at - first.at >= 4.0 - 1e-6 for a in rest) and len(adapter.sent) == 4


async def test_chat_gone_deactivates_and_stops_sending(storage):
    chats = await add_chats(storage, 2)
    s1, (a1,) = await add_story(storage, "one")
    s2, (a2,) = await add_story(storage, "two")
    await storage.outbox.enqueue_many(deliveries(chats, s1, a1) + deliveries(chats, s2, a2))
    dispatcher, adapter, _ = setup(storage)
    adapter.plan("c00000", DeliveryResult.gone("Forbidden: bot was blocked by the user"))
    await dispatcher.drain()
    assert [a.to.chat_id for a in adapter.attempts].count("c00000") == 1
    assert [a.to.chat_id for a in adapter.sent] == ["c00001", "c00001"]
    async with storage.db.session() as session:
        chat = await session.get(ChatRow, chats[0])
        assert chat is not None and not chat.active
        subs = await session.scalars(
            select(SubscriptionRow.active).where(SubscriptionRow.chat_id == chats[0])
        )
        assert not any(subs)
    statuses = sorted(r.status for r in await rows(storage) if r.chat_id == chats[0])
    assert statuses == ["cancelled", "cancelled"]


async def test_failures_back_off_then_succeed(storage):
    chats = await add_chats(storage, 1)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, _ = setup(storage, backoff_base_s=2.0)
    adapter.plan("c00000", DeliveryResult.failed("timeout"), DeliveryResult.failed("timeout"))
    await dispatcher.drain(horizon_s=60)
    gaps = [b.at - a.at for a, b in zip(adapter.attempts, adapter.attempts[1:], strict=False)]
    assert 1.0 <= gaps[0] <= 2.0 + 0.25 and 2.0 <= gaps[1] <= 4.0 + 0.25
    (row,) = await rows(storage)
    assert (row.status, row.attempts, row.platform_message_id) == ("sent", 2, "m3")


async def test_failures_give_up_after_max_attempts_with_the_reason(storage):
    chats = await add_chats(storage, 1)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, _ = setup(storage, max_attempts=3, backoff_base_s=1.0)
    adapter.plan("c00000", *[DeliveryResult.failed("HTTP 500: upstream")] * 5)
    await dispatcher.drain(horizon_s=60)
    assert len(adapter.attempts) == 3
    (row,) = await rows(storage)
    assert row.status == "failed" and row.attempts == 3
    assert row.last_error == "HTTP 500: upstream (after 3 attempts)"


async def test_a_chats_digest_is_one_message(storage):
    chats = await add_chats(storage, 1)
    batch = []
    for n in range(3):
        story, (article,) = await add_story(storage, f"digest item {n}")
        batch.append(NewDelivery(chats[0], DeliveryKind.DIGEST, T0, story, article))
    await storage.outbox.enqueue_many(batch)
    dispatcher, adapter, _ = setup(storage)
    await dispatcher.drain()
    (only,) = adapter.attempts
    assert only.alert.kind is DeliveryKind.DIGEST
    assert [a.title for a in only.alert.digest_items] == [f"digest item {n}" for n in range(3)]
    assert {r.platform_message_id for r in await rows(storage)} == {"m1"}


async def test_an_adapter_that_raises_is_a_failure_not_a_crash(storage):
    chats = await add_chats(storage, 2)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, _ = setup(storage, max_attempts=1)
    original = adapter.send

    async def flaky(to, alert):  # type: ignore[no-untyped-def]
        if to.chat_id == "c00000":
            raise RuntimeError("boom")
        return await original(to, alert)

    adapter.send = flaky  # type: ignore[method-assign]
    await dispatcher.drain()
    first, second = await rows(storage)
    assert (first.status, first.last_error) == (
        "failed",
        "adapter error: RuntimeError (after 1 attempts)",
    )
    assert second.status == "sent"


async def test_stop_lets_the_send_in_flight_finish_and_gives_back_the_rest(storage):
    chats = await add_chats(storage, 20)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    adapter = RecordingAdapter()
    started, release = asyncio.Event(), asyncio.Event()
    original = adapter.send

    async def slow(to, alert):  # type: ignore[no-untyped-def]
        started.set()
        await release.wait()
        return await original(to, alert)

    adapter.send = slow  # type: ignore[method-assign]
    results: list[tuple[str, str]] = []
    dispatcher = Dispatcher(
        storage.outbox,
        [adapter],
        DeliveryConfig(),
        max_in_flight=1,
        on_result=lambda platform, kind, _s: results.append((platform, kind)),
    )
    await dispatcher.start()
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(dispatcher.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the send in flight
    release.set()
    await asyncio.wait_for(stopping, 5)
    statuses = [r.status for r in await rows(storage)]
    assert statuses.count("sent") == 1 and statuses.count("pending") == 19
    assert all(r.attempts == 0 and r.claimed_by is None for r in await rows(storage))
    assert results == [("console", "SENT")]


async def test_edits_are_paced_like_sends_and_recorded(storage):
    chats = await add_chats(storage, 1)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, clock = setup(storage)
    await dispatcher.drain()
    (sent,) = await storage.outbox.sent_messages_for_story(story)
    updated = replace(adapter.sent[0].alert, updated=True)
    result = await dispatcher.edit(sent.to, sent.message_id, updated)
    assert result.kind is ResultKind.SENT
    assert clock.monotonic() >= adapter.sent[0].at + 1.0  # one message a second per chat
    await storage.outbox.mark_edited(sent.id, now=clock.now())
    (again,) = await storage.outbox.sent_messages_for_story(story)
    assert again.edited_at == clock.now() and adapter.edits[0][1] == sent.message_id
    missing = await dispatcher.edit(ChatRef("nowhere", "1"), "5", updated)
    assert missing.kind is ResultKind.FAILED


async def test_a_database_hiccup_does_not_stop_the_lane(storage):
    chats = await add_chats(storage, 2)
    story, (article,) = await add_story(storage)
    await storage.outbox.enqueue_many(deliveries(chats, story, article))
    dispatcher, adapter, _ = setup(storage)
    claim_due, failures = storage.outbox.claim_due, [ConnectionError("database went away")]

    async def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return await claim_due(*args, **kwargs)

    storage.outbox.claim_due = flaky  # type: ignore[method-assign]
    await dispatcher.drain()
    assert len(adapter.sent) == 2 and dispatcher.lanes[0].errors == 1


async def test_alerts_carry_the_chats_time_zone_and_show_its_local_time(storage):
    berlin, tokyo, plain = await add_chats(storage, 3)
    await storage.chats.update_settings(berlin, timezone="Europe/Berlin")
    await storage.chats.update_settings(tokyo, timezone="Asia/Tokyo")
    story, (article,) = await add_story(storage, "Zones")  # published 2026-01-07 12:00 UTC
    await storage.outbox.enqueue_many(deliveries([berlin, tokyo, plain], story, article))
    dispatcher, adapter, _ = setup(storage)
    await dispatcher.drain()
    zones = {a.to.chat_id: a.alert.timezone for a in adapter.sent}
    assert sorted(zones.values()) == ["Asia/Tokyo", "Europe/Berlin", "UTC"]
    bylines = sorted(render_alert(a.alert).splitlines()[1] for a in adapter.sent)
    assert [line.split(" · ")[1] for line in bylines] == [
        "2026-01-07 12:00 UTC",
        "2026-01-07 13:00 CET",
        "2026-01-07 21:00 JST",
    ]
