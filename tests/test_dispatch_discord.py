"""The dispatcher driving the real Discord adapter within Discord's posting limits."""

from __future__ import annotations

import time

import pytest
from delivery_data import add_chats, add_story, deliveries

from bot.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from storage.plugin import SqlStorage
from storage.tables import ChatRow
from tests.fakes.discord_api import RateLimits
from tests.fakes.discord_world import DiscordWorld, RecordingCore

CHANNELS = 30


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the outbox runs on both elsewhere; this is about Discord's limits


async def test_fan_out_stays_under_discord_limits_without_a_single_429(storage: SqlStorage):
    world = DiscordWorld(RecordingCore().services())
    channels = [world.fake.add_channel(world.guild, f"feed-{n}") for n in range(CHANNELS)]
    chats = await add_chats(storage, CHANNELS, platform="discord", kind="channel")
    async with storage.db.session() as session:
        for chat_id, channel in zip(chats, channels, strict=True):
            row = await session.get(ChatRow, chat_id)
            assert row is not None
            row.chat_id = channel
    story, (article,) = await add_story(storage)
    other, (article2,) = await add_story(storage, "Ether ETF approved")
    await storage.outbox.enqueue_many(
        deliveries(chats, story, article) + deliveries(chats, other, article2)
    )
    async with world:
        limits = world.fake.limits = RateLimits(global_per_s=50, channel_per_5s=5)
        dispatcher = Dispatcher(storage.outbox, [world.adapter], DeliveryConfig())
        started = time.monotonic()
        await dispatcher.drain()
        elapsed = time.monotonic() - started
    assert limits.refused == 0 and limits.accepted == 2 * CHANNELS
    assert elapsed >= (2 * CHANNELS - 1) / 25 - 0.05  # never faster than the 25/s budget
    for channel in channels:
        first, second = world.fake.messages[channel]
        assert first["embeds"][0]["title"] != second["embeds"][0]["title"]
    sent = await storage.outbox.sent_messages_for_story(story)
    assert len(sent) == CHANNELS and all(s.platform == "discord" for s in sent)
