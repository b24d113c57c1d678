"""Mute, quiet hours and digests with a fake clock, across midnight, DST and zone changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.schedule_rules import in_quiet_hours, next_digest_at, plan_delivery
from bot.models import ChatRef, ChatSettings, DeliveryKind

ALERT, DIGEST, BREAKING = DeliveryKind.ALERT, DeliveryKind.DIGEST, DeliveryKind.BREAKING
CHAT = ChatSettings(id=1, ref=ChatRef("telegram", "1"))


def at(text: str) -> datetime:
    """A UTC moment from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def test_instant_by_default():
    now = at("2026-01-07 12:00")
    assert plan_delivery(CHAT, now) == (ALERT, now)
    assert plan_delivery(CHAT, now, breaking=True) == (BREAKING, now)


def test_muted_alerts_are_dropped_until_the_mute_ends():
    now = at("2026-01-07 12:00")
    muted = replace(CHAT, muted_until=now + timedelta(hours=2))
    assert plan_delivery(muted, now) is None
    assert plan_delivery(muted, now + timedelta(hours=1, minutes=59), breaking=True) is None
    later = now + timedelta(hours=2)
    assert plan_delivery(muted, later) == (ALERT, later)


def test_inactive_chats_get_nothing():
    assert plan_delivery(replace(CHAT, active=False), at("2026-01-07 12:00")) is None


@pytest.mark.parametrize(
    ("moment", "held_until"),
    [
        ("2026-01-07 22:59", None),
        ("2026-01-07 23:00", "2026-01-08 07:00"),
        ("2026-01-07 23:59", "2026-01-08 07:00"),
        ("2026-01-08 00:00", "2026-01-08 07:00"),
        ("2026-01-08 06:59", "2026-01-08 07:00"),
        ("2026-01-08 07:00", None),
    ],
)
def test_quiet_hours_wrap_midnight_and_release_as_a_digest(moment: str, held_until: str | None):
    quiet = replace(CHAT, quiet_start="23:00", quiet_end="07:00")
    now = at(moment)
    expected = (ALERT, now) if held_until is None else (DIGEST, at(held_until))
    assert plan_delivery(quiet, now) == expected


def test_quiet_hours_are_in_the_chats_time_zone():
    # 23:00-07:00 in New York is 04:00-12:00 UTC in January (UTC-5).
    quiet = replace(CHAT, quiet_start="23:00", quiet_end="07:00", timezone="America/New_York")
    assert plan_delivery(quiet, at("2026-01-08 03:59")) == (ALERT, at("2026-01-08 03:59"))
    assert plan_delivery(quiet, at("2026-01-08 04:00")) == (DIGEST, at("2026-01-08 12:00"))
    assert plan_delivery(quiet, at("2026-01-08 11:30"), breaking=True) == (
        DIGEST,
        at("2026-01-08 12:00"),
    )


def test_same_day_quiet_window():
    lunch = replace(CHAT, quiet_start="12:00", quiet_end="13:30")
    assert in_quiet_hours(lunch, at("2026-01-07 12:45"))
    assert not in_quiet_hours(lunch, at("2026-01-07 13:30"))
    assert plan_delivery(lunch, at("2026-01-07 12:45")) == (DIGEST, at("2026-01-07 13:30"))


def test_hourly_digest_at_the_next_local_full_hour():
    hourly = replace(CHAT, mode="digest", digest_schedule="hourly")
    assert plan_delivery(hourly, at("2026-01-07 12:01")) == (DIGEST, at("2026-01-07 13:00"))
    assert plan_delivery(hourly, at("2026-01-07 12:00")) == (DIGEST, at("2026-01-07 13:00"))
    india = replace(hourly, timezone="Asia/Kolkata")  # UTC+05:30: local hours at :30 UTC
    assert plan_delivery(india, at("2026-01-07 12:01")) == (DIGEST, at("2026-01-07 12:30"))
    assert plan_delivery(hourly, at("2026-01-07 12:01"), breaking=True) == (
        BREAKING,
        at("2026-01-07 12:01"),
    )


def test_daily_digest_follows_the_zone_and_a_zone_change():
    daily = replace(CHAT, mode="digest", digest_schedule="daily", digest_time="08:00")
    berlin = replace(daily, timezone="Europe/Berlin")  # UTC+1 in winter
    assert plan_delivery(berlin, at("2026-01-07 06:00")) == (DIGEST, at("2026-01-07 07:00"))
    assert plan_delivery(berlin, at("2026-01-07 07:00")) == (DIGEST, at("2026-01-08 07:00"))
    tokyo = replace(berlin, timezone="Asia/Tokyo")  # the chat moved: 08:00 JST is 23:00 UTC
    assert plan_delivery(tokyo, at("2026-01-07 06:00")) == (DIGEST, at("2026-01-07 23:00"))


def test_daily_digest_across_dst_changes():
    daily = replace(
        CHAT, mode="digest", digest_schedule="daily", digest_time="08:00", timezone="Europe/Berlin"
    )
    # Spring forward on 2026-03-29: 08:00 is 07:00 UTC before, 06:00 UTC after.
    assert next_digest_at(daily, at("2026-03-28 12:00")) == at("2026-03-29 06:00")
    assert next_digest_at(daily, at("2026-03-27 12:00")) == at("2026-03-28 07:00")
    # Fall back on 2026-10-25.
    assert next_digest_at(daily, at("2026-10-24 12:00")) == at("2026-10-25 07:00")
    # A wall time skipped by the spring-forward jump still gets its digest that day.
    night = replace(daily, digest_time="02:30")
    assert next_digest_at(night, at("2026-03-28 12:00")) == at("2026-03-29 01:30")
    # A wall time that happens twice gets one digest, at its first occurrence.
    assert next_digest_at(night, at("2026-10-24 12:00")) == at("2026-10-25 00:30")
    assert next_digest_at(night, at("2026-10-25 00:45")) == at("2026-10-26 01:30")


def test_a_digest_due_inside_quiet_hours_waits_for_their_end():
    chat = replace(
        CHAT,
        mode="digest",
        digest_schedule="daily",
        digest_time="06:00",
        quiet_start="22:00",
        quiet_end="07:30",
    )
    assert plan_delivery(chat, at("2026-01-07 12:00")) == (DIGEST, at("2026-01-08 07:30"))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        plan_delivery(CHAT, datetime(2026, 1, 7, 12))
