"""When and how an alert reaches a chat, given its settings and the current moment.

Pure functions: the clock is an argument, times are aware datetimes, local rules are
applied in the chat's time zone with zoneinfo (so DST and time zone changes are exact).

* muted (``/mute 2h``): dropped, nothing is sent later;
* quiet hours (``/quiet 23:00-07:00``, may wrap midnight): held, sent as a digest when
  they end;
* digest mode (``/digest hourly`` or ``/digest daily 08:00``): held until the next digest
  time (pushed to the end of quiet hours when it falls inside them);
* otherwise instant. Breaking news skips digest mode, never mute or quiet hours.

A wall time that does not exist on a DST spring-forward day (02:30 in Berlin) resolves
to the same instant zoneinfo gives it with ``fold=0`` (03:30 that day); one that occurs
twice on a fall-back day resolves to its first occurrence, so a daily digest runs once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import ChatSettings, DeliveryKind


def zone(name: str | None) -> ZoneInfo:
    """The chat's zone; an unknown name (never stored by /timezone) falls back to UTC."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def clock_time(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def next_local_time(now: datetime, hhmm: str, tz: ZoneInfo) -> datetime:
    """The first moment strictly after ``now`` whose wall clock in ``tz`` reads ``hhmm``."""
    wall = clock_time(hhmm)
    local_day = now.astimezone(tz).date()
    for offset in range(3):
        candidate = datetime.combine(local_day + timedelta(days=offset), wall, tzinfo=tz)
        moment = candidate.astimezone(UTC)
        if moment > now:
            return moment
    raise AssertionError("a wall time recurs within three days")  # pragma: no cover


def next_hour(now: datetime, tz: ZoneInfo) -> datetime:
    """The next full hour of the local clock (zones with :30 offsets included)."""
    local = now.astimezone(tz)
    floor = local.replace(minute=0, second=0, microsecond=0)
    return floor.astimezone(UTC) + timedelta(hours=1)


def in_quiet_hours(chat: ChatSettings, now: datetime) -> bool:
    if not chat.quiet_start or not chat.quiet_end or chat.quiet_start == chat.quiet_end:
        return False
    local = now.astimezone(zone(chat.timezone)).time().replace(second=0, microsecond=0)
    start, end = clock_time(chat.quiet_start), clock_time(chat.quiet_end)
    if start < end:
        return start <= local < end
    return local >= start or local < end  # wraps midnight


def quiet_ends_at(chat: ChatSettings, now: datetime) -> datetime:
    assert chat.quiet_end is not None
    return next_local_time(now, chat.quiet_end, zone(chat.timezone))


def next_digest_at(chat: ChatSettings, now: datetime) -> datetime:
    """When the chat's next digest goes out (hourly, or daily at its local time)."""
    tz = zone(chat.timezone)
    if chat.digest_schedule == "daily" and chat.digest_time:
        due = next_local_time(now, chat.digest_time, tz)
    else:
        due = next_hour(now, tz)
    if in_quiet_hours(chat, due):
        due = quiet_ends_at(chat, due)
    return due


def held_due_at(chat: ChatSettings, now: datetime) -> datetime:
    """When alerts already held for a digest go out under the chat's current settings:
    the end of quiet hours, the next digest, or now once digests and quiet hours are off."""
    if in_quiet_hours(chat, now):
        return quiet_ends_at(chat, now)
    if chat.mode == "digest":
        return next_digest_at(chat, now)
    return now


def is_muted(chat: ChatSettings, now: datetime) -> bool:
    return chat.muted_until is not None and now < chat.muted_until


def plan_delivery(
    chat: ChatSettings, now: datetime, *, breaking: bool = False
) -> tuple[DeliveryKind, datetime] | None:
    """(kind, due at) for an alert to this chat now, or None when it must be dropped."""
    if now.tzinfo is None:
        raise ValueError("plan_delivery needs an aware datetime")
    if not chat.active or is_muted(chat, now):
        return None
    if in_quiet_hours(chat, now):
        return DeliveryKind.DIGEST, quiet_ends_at(chat, now)
    if chat.mode == "digest" and not breaking:
        return DeliveryKind.DIGEST, next_digest_at(chat, now)
    return (DeliveryKind.BREAKING if breaking else DeliveryKind.ALERT), now
