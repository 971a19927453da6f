"""Working days on the mainland China calendar, with the adjusted working weekends (调休).

The `chinese-calendar` package holds the State Council's holiday schedule for the years it knows.
A region may add to its rules (see `govrate.regions.rules`) its own holidays and adjusted
working days per year: for a year the package lacks, or for local holidays. A year that neither
knows falls back to Monday-Friday working weeks; `covers` tells the caller so it can warn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import chinese_calendar  # type: ignore[import-untyped]

from govrate.kernel.clock import zone

if TYPE_CHECKING:
    from govrate.regions.rules import YearOverlay

_PACKAGE_HOLIDAYS: frozenset[date] = frozenset(chinese_calendar.holidays)
_PACKAGE_WORKDAYS: frozenset[date] = frozenset(chinese_calendar.workdays)
_PACKAGE_YEARS: frozenset[int] = frozenset(day.year for day in _PACKAGE_HOLIDAYS)
# When service halls are open, for "no evaluations in working time" (the alarm, docs/operations.md).
OFFICE_HOURS = (time(9), time(17))
# A deadline is never more than a year of working days away; this bounds the search.
_MAX_WORKING_DAYS = 250


class WorkingCalendar:
    """The package's calendar with the overlays applied in order (province → prefecture → county)."""

    def __init__(self, overlays: Iterable[Mapping[int, YearOverlay]] = ()) -> None:
        holidays = set(_PACKAGE_HOLIDAYS)
        workdays = set(_PACKAGE_WORKDAYS)
        years = set(_PACKAGE_YEARS)
        for overlay in overlays:
            for year, days in overlay.items():
                years.add(year)
                holidays -= days.workdays
                workdays -= days.holidays
                holidays |= days.holidays
                workdays |= days.workdays
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        self._years = frozenset(years)

    def covers(self, year: int) -> bool:
        """True when the package or a region's rules state the holidays of `year`."""
        return year in self._years

    def is_working_day(self, day: date) -> bool:
        if day in self._workdays:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def is_working_time(self, at: datetime) -> bool:
        """Office hours (OFFICE_HOURS, local time of `at`) of a working day."""
        return self.is_working_day(at.date()) and OFFICE_HOURS[0] <= at.time() < OFFICE_HOURS[1]

    def working_day_after(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (`day` itself does not count)."""
        if not 1 <= count <= _MAX_WORKING_DAYS:
            raise ValueError(f"count must be 1..{_MAX_WORKING_DAYS}")
        current = day
        remaining = count
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def deadline(self, start: datetime, working_days: int, utc_offset_hours: int) -> datetime:
        """End of the `working_days`-th working day after the local day of `start`: the local midnight
        that closes that day. Something done before this moment is on time."""
        local = start.astimezone(zone(utc_offset_hours))
        last_day = self.working_day_after(local.date(), working_days)
        return datetime.combine(last_day + timedelta(days=1), time(), tzinfo=zone(utc_offset_hours))
