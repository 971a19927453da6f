"""Working days on the mainland China calendar, adjusted weekends and regional rules files."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from govrate.regions.calendar import WorkingCalendar, YearOverlay
from govrate.regions.case_rules import CasePolicy, RulesBook, RulesFileInvalid, divisions_of

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


def write_rules(directory: Path, division: str, document: dict[str, object]) -> None:
    (directory / f"{division}.json").write_text(json.dumps(document), encoding="utf-8")


def test_a_rules_file_supplies_a_year_the_package_lacks(tmp_path: Path) -> None:
    write_rules(
        tmp_path,
        "000000",
        {
            "calendar": {
                "2099": {
                    "holidays": [f"2099-10-0{day}" for day in range(1, 8)],
                    "workdays": ["2099-09-27", "2099-10-10"],  # a Sunday and a Saturday
                }
            }
        },
    )
    rules = RulesBook(tmp_path, 8).for_region("110105")
    assert rules.calendar.covers(2099)
    assert rules.calendar.is_working_day(date(2099, 9, 27))
    assert not rules.calendar.is_working_day(date(2099, 10, 5))
    # Wednesday 30 September 2099 + 1 working day: the holiday ends on the 7th, the 8th is a Thursday.
    assert rules.due(at("2099-09-30T11:00:00"), 1) == at("2099-10-09T00:00:00")


def test_rules_apply_from_the_country_down_to_the_county(tmp_path: Path) -> None:
    write_rules(tmp_path, "510000", {"policy": {"answer_working_days": 10}})
    write_rules(
        tmp_path,
        "513200",
        {"policy": {"max_reopens": 2}, "calendar": {"2026": {"holidays": ["2026-02-18"]}}},  # a local holiday
    )
    write_rules(tmp_path, "513221", {"policy": {"answer_working_days": 12}})
    book = RulesBook(tmp_path, 8)

    county = book.for_region("513221")
    assert county.policy == CasePolicy(verify_working_days=1, answer_working_days=12, max_reopens=2)
    assert not county.calendar.is_working_day(date(2026, 2, 18))

    other_county = book.for_region("510104")
    assert other_county.policy == CasePolicy(answer_working_days=10)
    assert other_county.calendar.is_working_day(date(2026, 2, 27))  # untouched by the prefecture's file

    elsewhere = book.for_region("110105")
    assert elsewhere.policy == CasePolicy()


def test_an_adjusted_workday_can_be_taken_back_locally(tmp_path: Path) -> None:
    write_rules(tmp_path, "110000", {"calendar": {"2025": {"holidays": ["2025-10-11"]}}})
    rules = RulesBook(tmp_path, 8).for_region("110105")
    assert not rules.calendar.is_working_day(date(2025, 10, 11))


def test_a_malformed_rules_file_is_refused(tmp_path: Path) -> None:
    write_rules(tmp_path, "110000", {"policy": {"answer_working_days": 0}})
    with pytest.raises(RulesFileInvalid, match=r"(?s)110000\.json.*answer_working_days"):
        RulesBook(tmp_path, 8).for_region("110105")


def test_the_division_chain() -> None:
    assert divisions_of("513221") == ["000000", "510000", "513200", "513221"]
    assert divisions_of("110000") == ["000000", "110000"]
    assert divisions_of("440300") == ["000000", "440000", "440300"]
