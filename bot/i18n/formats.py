"""Dates, numbers and durations written the way the call's language writes them (Babel)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_timedelta
from babel.numbers import format_decimal

from bot.i18n.catalog import DEFAULT, babel_locale, current


def when(moment: datetime, tz: ZoneInfo) -> str:
    """A date and time in ``tz``: ``2026-12-07 04:00`` in English (as before), the
    locale's own date elsewhere (``07.12.2026 04:00``, ``2026/12/07 04:00``)."""
    local = moment.astimezone(tz)
    if current() == DEFAULT:
        return local.strftime("%Y-%m-%d %H:%M")
    return stamp(local)


def stamp(local: datetime) -> str:
    """The date as the call's language writes it and the 24-hour time (no zone name):
    ``7 ene 2026 08:00``, ``07.01.2026 08:00``, ``2026年1月7日 08:00``."""
    return f"{format_date(local, 'medium', locale=babel_locale(current()))} {local:%H:%M}"


def number(value: float) -> str:
    return format_decimal(value, locale=babel_locale(current()))


def ago(delta: timedelta) -> str:
    """A relative time ("3 hours ago", "hace 3 horas")."""
    return format_timedelta(-delta, add_direction=True, locale=babel_locale(current()))


def duration(delta: timedelta) -> str:
    return format_timedelta(delta, locale=babel_locale(current()))
