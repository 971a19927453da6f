"""Working days on the mainland China calendar and the adjusted weekends (regional overlays: test_region_rules_unit)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from govrate.regions.calendar import WorkingCalendar
from govrate.regions.rules import YearOverlay

CST = timezone(timedelta(hours=8))
CALENDAR = WorkingCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # Sunday, adjusted working day before National Day
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),  # National Day and Mid-Autumn run together in 2025
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, adjusted working day after the holiday
        (date(2025, 10, 12), False),  # an ordinary Sunday
        (date(2026, 9, 20), True),  # Sunday, adjusted working day before National Day 2026
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday, adjusted working day after it
        (date(2026, 10, 14), True),  # an ordinary Wednesday
    ],
)
def test_holidays_and_adjusted_working_weekends(day: date, working: bool) -> None:
    assert CALENDAR.is_working_day(day) is working


def test_one_working_day_across_national_day_2025() -> None:
    # Reviewed on Tuesday 30 September: the next working day is Thursday 9 October.
    assert CALENDAR.deadline(at("2025-09-30T10:00:00"), 1, 8) == at("2025-10-10T00:00:00")


def test_fifteen_working_days_count_the_adjusted_sunday_and_saturday() -> None:
    # From Friday 26 September 2025: 28 Sep (Sunday, worked) is day 1; 29, 30 Sep; the holiday
    # 1-8 Oct; 9, 10 Oct; 11 Oct (Saturday, worked) is day 6; … day 15 is Thursday 23 October.
    assert CALENDAR.deadline(at("2025-09-26T16:00:00"), 15, 8) == at("2025-10-24T00:00:00")
    # Without the two adjusted working days the same count would run to Monday 27 October.
    rest = YearOverlay(holidays=frozenset({date(2025, 9, 28), date(2025, 10, 11)}))
    assert WorkingCalendar([{2025: rest}]).deadline(at("2025-09-26T16:00:00"), 15, 8) == at("2025-10-28T00:00:00")


def test_an_adjusted_sunday_is_the_next_working_day() -> None:
    # Friday 18 September 2026 + 1 working day is Sunday 20 September, an adjusted working day.
    assert CALENDAR.deadline(at("2026-09-18T09:00:00"), 1, 8) == at("2026-09-21T00:00:00")


def test_the_local_day_counts_not_the_utc_day() -> None:
    # 17:00 UTC on Saturday 27 September 2025 is already Sunday 28 September in Beijing, a working day;
    # the deadline is the end of the next working day, Monday 29 September.
    start = datetime(2025, 9, 27, 17, 0, tzinfo=UTC)
    assert CALENDAR.deadline(start, 1, 8) == at("2025-09-30T00:00:00")


def test_a_working_day_count_must_be_sensible() -> None:
    with pytest.raises(ValueError, match="count"):
        CALENDAR.working_day_after(date(2025, 1, 1), 0)


def test_the_package_years_are_covered_and_later_ones_are_not() -> None:
    assert CALENDAR.covers(2026)
    assert not CALENDAR.covers(2099)
    # An unknown year falls back to Monday-Friday: Friday 1 October 2099 + 1 is Monday 4 October.
    assert CALENDAR.working_day_after(date(2099, 10, 2), 1) == date(2099, 10, 5)


def test_the_first_year_the_package_lacks_falls_back_to_weekends_and_the_regions_own_calendar() -> None:
    assert not CALENDAR.covers(2027)
    # Friday 1 January 2027 (a State Council holiday every year) counts as working until someone says otherwise.
    assert CALENDAR.is_working_day(date(2027, 1, 1))
    assert CALENDAR.is_working_time(at("2027-02-10T10:00:00"))
    assert CALENDAR.deadline(datetime(2026, 12, 30, 9, tzinfo=UTC), 5, 8) == at("2027-01-07T00:00:00")
    province = WorkingCalendar(
        [{2027: YearOverlay(holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset({date(2027, 1, 2)}))}]
    )
    assert province.covers(2027)
    assert not province.is_working_day(date(2027, 1, 1))
    assert province.is_working_day(date(2027, 1, 2))
