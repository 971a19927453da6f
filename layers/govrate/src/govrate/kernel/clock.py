"""Time in the service's zone (China Standard Time, +08:00, by default)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone


def zone(utc_offset_hours: int = 8) -> timezone:
    return timezone(timedelta(hours=utc_offset_hours))


def now(utc_offset_hours: int = 8) -> datetime:
    return datetime.now(UTC).astimezone(zone(utc_offset_hours))


def rfc3339(moment: datetime) -> str:
    """RFC 3339 with an explicit offset and second precision, e.g. 2026-11-25T09:30:00+08:00."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not allowed")
    return moment.isoformat(timespec="seconds")


def local_day(moment: datetime, utc_offset_hours: int = 8) -> date:
    return moment.astimezone(zone(utc_offset_hours)).date()


def days(first: date, last: date) -> Iterator[date]:
    """Every day from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
