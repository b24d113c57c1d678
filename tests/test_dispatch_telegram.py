"""The dispatcher driving the real Telegram adapter against the fake Bot API's flood limits."""

from __future__ import annotations

import time

import pytest
from delivery_data import add_chats, add_story, deliveries

from bot.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from storage.plugin import SqlStorage
from storage.tables import ChatRow
from tests.fakes.telegram_harness import RecordingCore, running_adapter
from tests.fakes.telegram_state import RateLimits


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the outbox runs on both elsewhere; this is about the platform limits


async def test_fan_out_at_full_speed_without_a_single_429(storage: SqlStorage):
    chats = await add_chats(storage, 45, platform="telegram")
    async with storage.db.session() as session:  # Telegram chat ids are numbers
        for n, chat_id in enumerate(chats):
            row = await session.get(ChatRow, chat_id)
            assert row is not None
            row.chat_id = str(5000 + n)
    story, (article,) = await add_story(storage)
    other, (article2,) = await add_story(storage, "second story")
    await storage.outbox.enqueue_many(
        deliveries(chats, story, article) + deliveries(chats[:3], other, article2)
    )
    async with running_adapter(RecordingCore().services()) as (fake, adapter):
        limits = fake.enforce_limits(RateLimits())
        dispatcher = Dispatcher(storage.outbox, [adapter], DeliveryConfig())
        started = time.monotonic()
        await dispatcher.drain()
        elapsed = time.monotonic() - started
    assert limits.refused == 0
    assert limits.accepted == 48
    assert elapsed >= 47 / 30 - 0.05  # never faster than 30/s
    assert len(fake.messages_in(5000)) == 2  # a second story to the same chat, a second later
    sent = await storage.outbox.sent_messages_for_story(story)
    assert len(sent) == 45 and all(s.platform == "telegram" for s in sent)
    assert {s.message_id for s in sent} != {""}
