"""/digest, /quiet, /timezone, /mute and /route change how alerts arrive, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import ChatKind, ChatRef, ChatSettings, DeliveryKind, NewDelivery
from storage.plugin import SqlStorage
from storage.tables import DeliveryRow
from tests.command_helpers import T0, Bot
from tests.delivery_data import add_story


@pytest.fixture
def bot(storage: SqlStorage) -> Bot:
    return Bot(storage)


async def settings(bot: Bot, chat: str = "100") -> ChatSettings:
    found = await bot.storage.chats.find(ChatRef("telegram", chat))
    assert found is not None
    return found


async def test_digest_modes(bot: Bot):
    assert await bot.ok("/digest") == ("This chat gets instant alerts. Change: /digest daily 08:00")
    assert await bot.ok("/digest hourly") == (
        "You now get an hourly digest; the next one is at 2026-01-07 13:00."
    )
    assert (await settings(bot)).digest_schedule == "hourly"
    await bot.ok("/timezone Europe/Berlin")
    assert await bot.ok("/digest daily 8:00") == (
        "You now get a daily digest at 08:00 (Europe/Berlin); the next one is at 2026-01-08 08:00."
    )
    chat = await settings(bot)
    assert (chat.mode, chat.digest_schedule, chat.digest_time) == ("digest", "daily", "08:00")
    assert await bot.ok("/digest off") == "Digest off: alerts arrive as they happen."
    assert (await settings(bot)).mode == "instant"


BAD_SETTINGS = [
    ("/digest weekly", "'weekly' is not a digest setting; use off, hourly or daily HH:MM"),
    ("/digest daily", "is not a digest setting"),
    ("/digest daily 25:00", "'25:00' is not a time of day (HH:MM, 24-hour)"),
    ("/quiet 23:00", "'23:00' is not a time range; example: /quiet 23:00-07:00"),
    ("/quiet 23:00-23:00", "must not start and end at 23:00"),
    ("/quiet 22:61-07:00", "'22:61' is not a time of day"),
    ("/timezone Europe/Berln", "did you mean Europe/Berlin"),
    ("/timezone Europe Berlin", "one zone name please"),
    ("/mute forever", "'forever' is not a duration; examples: /mute 2h"),
    ("/mute 400d", "a mute lasts from 1 minute to 365 days"),
    ("/mute 0m", "a mute lasts from 1 minute to 365 days"),
    ("/route BTC", "use /route inside a forum topic of a group"),
]


async def test_bad_settings_say_what_is_wrong(bot: Bot):
    for command, expected in BAD_SETTINGS:  # one database for the whole table
        assert expected.lower() in (await bot.fails(command)).lower(), command
    chat = await settings(bot)
    assert (chat.mode, chat.quiet_start, chat.timezone, chat.muted_until) == (
        "instant",
        None,
        "UTC",
        None,
    )


async def test_quiet_hours_and_timezone(bot: Bot):
    assert "Quiet hours: off (UTC)" in await bot.ok("/quiet")
    reply = await bot.ok("/quiet 23:00 - 7:00")
    assert reply.startswith("Quiet hours 23:00-07:00 (UTC): alerts are held")
    assert await bot.ok("/timezone america/new_york") == (
        "Time zone set to America/New_York. Delivery: instant alerts; time zone "
        "America/New_York; quiet 23:00-07:00."
    )
    chat = await settings(bot)
    assert (chat.quiet_start, chat.quiet_end, chat.timezone) == (
        "23:00",
        "07:00",
        "America/New_York",
    )
    assert await bot.ok("/quiet off") == "Quiet hours off."
    assert (await settings(bot)).quiet_start is None


async def test_mute_for_a_while_and_unmute(bot: Bot):
    await bot.ok("/timezone Asia/Tokyo")
    assert await bot.ok("/mute 2h 30m") == (
        "Muted until 2026-01-07 23:30 (Asia/Tokyo); alerts until then are dropped. "
        "/mute off ends it early."
    )
    assert (await settings(bot)).muted_until == T0 + timedelta(hours=2, minutes=30)
    assert "muted until 2026-01-07 23:30" in await bot.ok("/subscriptions")
    bot.clock.advance(hours=3)
    assert "muted" not in await bot.ok("/subscriptions")
    await bot.ok("/mute 1d")
    assert await bot.ok("/mute off") == "Unmuted: alerts are on again."
    assert (await settings(bot)).muted_until is None


async def test_forum_topic_routes(bot: Bot):
    topic = {"chat": "-100", "kind": ChatKind.GROUP, "thread": "77"}
    assert await bot.ok("/route btc eth", **topic) == "Alerts tagged BTC, ETH now go to this topic."
    await bot.ok("/route SOL", chat="-100", kind=ChatKind.GROUP, thread="78")
    group = await settings(bot, "-100")
    assert await bot.storage.chats.routes([group.id]) == {
        group.id: {"BTC": "77", "ETH": "77", "SOL": "78"}
    }
    listing = await bot.ok("/route", chat="-100", kind=ChatKind.GROUP)
    assert listing == "Topic routes: BTC -> topic 77, ETH -> topic 77, SOL -> topic 78."
    assert await bot.ok("/route off", **topic) == "Removed 2 route(s) to this topic."
    assert "Topic routes: SOL -> topic 78." in await bot.ok("/subscriptions", **topic)
    refused = await bot.fails("/route BTC", can_manage=False, **topic)
    assert refused.startswith("Only admins")


async def held_due(bot: Bot) -> list[datetime]:
    async with bot.storage.db.session() as session:
        rows = await session.scalars(select(DeliveryRow.due_at).order_by(DeliveryRow.id))
        return [due.astimezone(UTC) for due in rows]


async def test_alerts_already_held_follow_a_new_zone_or_schedule(bot: Bot):
    await bot.ok("/digest daily 08:00")  # UTC: the next digest is 2026-01-08 08:00 UTC
    chat = await settings(bot)
    story, (article,) = await add_story(bot.storage, "Held for the digest")
    story2, (article2,) = await add_story(bot.storage, "Also held")
    tomorrow_8_utc = datetime(2026, 1, 8, 8, 0, tzinfo=UTC)
    await bot.storage.outbox.enqueue_many(
        [
            NewDelivery(chat.id, DeliveryKind.DIGEST, tomorrow_8_utc, story, article),
            NewDelivery(chat.id, DeliveryKind.DIGEST, tomorrow_8_utc, story2, article2),
        ]
    )
    moved = await bot.ok("/timezone Asia/Tokyo")  # it is 21:00 in Tokyo
    assert moved.endswith("2 held alert(s) go out at 2026-01-08 08:00.")
    assert await held_due(bot) == [datetime(2026, 1, 7, 23, 0, tzinfo=UTC)] * 2
    assert await bot.ok("/digest off") == (
        "Digest off: alerts arrive as they happen. 2 held alert(s) go out now."
    )
    assert await held_due(bot) == [T0, T0]
    assert await bot.ok("/quiet 23:00-07:00") == (  # not quiet yet in Tokyo (21:00)
        "Quiet hours 23:00-07:00 (Asia/Tokyo): alerts are held and sent as one digest when "
        "they end. 2 held alert(s) go out now."
    )
