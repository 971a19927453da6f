"""A region's rules on the in-memory store: how the documents of a province, a prefecture and a county
combine, how the reader keeps them, how a rules file is refused (line and field), and who may change
them, always with an audit entry."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from govrate.identity.model import Actor, Role
from govrate.kernel.errors import Conflict, Forbidden, InvalidInput
from govrate.kernel.scale import Level
from govrate.regions.document import RulesRefused, parse_rules
from govrate.regions.rules import CasePolicy, EvaluationPolicy, RulesBook, divisions_of
from govrate.regions.service import change_rules, rules_report

from tests.fakes.reference import InMemoryRules

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=CST)
SICHUAN = Actor(role=Role.SUPERVISOR, subject="sub-1", name="wang.fang", region_code="510000")
PREFECTURE = Actor(role=Role.SUPERVISOR, subject="sub-2", name="a.mu", region_code="513200")
STAFF = Actor(role=Role.STAFF, subject="sub-3", name="li.ming", agency_code="513221-GA", region_code="513221")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def book_of(documents: dict[str, object]) -> RulesBook:
    rules = InMemoryRules()
    for division, document in documents.items():
        rules.set(division, json.dumps(document))
    return RulesBook(rules, 8, ttl_seconds=0)


def test_each_field_comes_from_the_most_local_document() -> None:
    book = book_of(
        {
            "510000": {"cases": {"answer_working_days": 10}, "evaluation": {"default_level": 4}},
            "513200": {"cases": {"max_reopens": 2}, "calendar": {"2026": {"holidays": ["2026-02-18"]}}},
            "513221": {"cases": {"answer_working_days": 12}, "evaluation": {"evaluation_days": 10}},
        }
    )
    county = book.for_region("513221")
    assert county.cases == CasePolicy(verify_working_days=1, answer_working_days=12, max_reopens=2)
    assert county.evaluation == EvaluationPolicy(evaluation_days=10, default_level=Level.SATISFIED)
    assert not county.calendar.is_working_day(date(2026, 2, 18))  # the prefecture's local holiday

    other_county = book.for_region("510104")
    assert other_county.cases == CasePolicy(answer_working_days=10)
    assert other_county.calendar.is_working_day(date(2026, 2, 27))

    assert book.for_region("110105").cases == CasePolicy()
    assert book.for_region("110105").evaluation == EvaluationPolicy()
    assert book.divisions() == {"510000", "513200", "513221"}


def test_a_county_may_set_the_default_rating_back_to_none() -> None:
    book = book_of({"510000": {"evaluation": {"default_level": 4}}, "513221": {"evaluation": {"default_level": None}}})
    assert book.for_region("513221").evaluation.default_level is None
    assert book.for_region("513222").evaluation.default_level is Level.SATISFIED


def test_an_overlay_supplies_a_year_the_package_lacks() -> None:
    book = book_of(
        {
            "110000": {
                "calendar": {
                    "2099": {
                        "holidays": [f"2099-10-0{day}" for day in range(1, 8)],
                        "workdays": ["2099-09-27", "2099-10-10"],  # a Sunday and a Saturday
                    }
                }
            }
        }
    )
    rules = book.for_region("110105")
    assert rules.calendar.covers(2099)
    assert rules.calendar.is_working_day(date(2099, 9, 27))
    assert not rules.calendar.is_working_day(date(2099, 10, 5))
    # Wednesday 30 September 2099 + 1 working day: the holiday ends on the 7th, the 8th is a Thursday.
    assert rules.due(at("2099-09-30T11:00:00"), 1) == at("2099-10-09T00:00:00")


def test_an_adjusted_workday_can_be_taken_back_locally() -> None:
    book = book_of({"110000": {"calendar": {"2025": {"holidays": ["2025-10-11"]}}}})
    assert not book.for_region("110105").calendar.is_working_day(date(2025, 10, 11))


def test_the_division_chain() -> None:
    assert divisions_of("513221") == ["510000", "513200", "513221"]
    assert divisions_of("110000") == ["110000"]
    assert divisions_of("440300") == ["440000", "440300"]


def test_the_reader_keeps_what_it_read_for_its_ttl() -> None:
    store = InMemoryRules()
    seconds = [0.0]
    book = RulesBook(store, 8, ttl_seconds=60, clock=lambda: seconds[0])
    assert book.for_region("513221").cases.answer_working_days == 15
    store.set("513221", '{"cases": {"answer_working_days": 9}}')
    seconds[0] = 59.9
    assert book.for_region("513221").cases.answer_working_days == 15
    seconds[0] = 60.0
    assert book.for_region("513221").cases.answer_working_days == 9


def test_a_bad_file_is_refused_with_the_line_and_field_of_each_fault() -> None:
    text = """{
  "evaluation": {
    "evaluation_days": 10,
    "default_level": 2
  },
  "cases": {
    "answer_working_days": 0,
    "verify_workdays": 1
  },
  "calendar": {"2027": {"holidays": ["2027-02-30"]}}
}
"""
    with pytest.raises(RulesRefused) as refused:
        parse_rules(text)
    assert [(error["line"], error["field"]) for error in refused.value.errors] == [
        ("4", "evaluation.default_level"),
        ("7", "cases.answer_working_days"),
        ("8", "cases.verify_workdays"),
        ("10", "calendar.2027.holidays.0"),
    ]
    assert "never a bad review" in refused.value.errors[0]["message"]


def test_a_file_that_is_not_json_is_refused_with_its_line() -> None:
    with pytest.raises(RulesRefused) as refused:
        parse_rules('{\n  "cases": {\n    "max_reopens": 2,\n  }\n}')
    assert refused.value.errors[0]["line"] == "4"


def test_a_supervisor_of_a_holding_division_changes_the_rules_with_an_audit_entry() -> None:
    store = InMemoryRules()
    first = change_rules(
        PREFECTURE, "513221", '{"cases": {"answer_working_days": 10}}', store=store, now=NOW, operator="arn:ops"
    )
    second = change_rules(
        SICHUAN, "513221", '{"cases": {"answer_working_days": 8}}', store=store, now=NOW, operator="arn:ops"
    )
    assert (first.version, first.before, first.after) == (1, None, {"cases": {"answer_working_days": 10}})
    assert (second.version, second.before, second.actor_name) == (2, first.after, "wang.fang")
    assert store.history("513221") == [first, second]
    report = rules_report("513221", store=store, utc_offset_hours=8)
    assert report["version"] == 2
    assert report["in_force"]["cases"] == {"verify_working_days": 1, "answer_working_days": 8, "max_reopens": 1}


@pytest.mark.parametrize(
    ("actor", "division"),
    [(PREFECTURE, "510000"), (PREFECTURE, "513100"), (SICHUAN, "110105"), (STAFF, "513221")],
)
def test_anyone_else_is_refused_and_nothing_changes(actor: Actor, division: str) -> None:
    store = InMemoryRules()
    with pytest.raises(Forbidden):
        change_rules(actor, division, '{"cases": {"max_reopens": 3}}', store=store, now=NOW, operator="arn:ops")
    assert store.stored == {} and store.changes == []


def test_a_refused_file_keeps_the_rules_in_force() -> None:
    store = InMemoryRules()
    change_rules(SICHUAN, "510000", '{"cases": {"max_reopens": 3}}', store=store, now=NOW, operator="arn:ops")
    with pytest.raises(RulesRefused):
        change_rules(SICHUAN, "510000", '{"cases": {"max_reopens": 9}}', store=store, now=NOW, operator="arn:ops")
    assert RulesBook(store, 8, ttl_seconds=0).for_region("510100").cases.max_reopens == 3
    assert len(store.changes) == 1


def test_the_national_rules_are_not_a_division_s() -> None:
    with pytest.raises(InvalidInput):
        change_rules(SICHUAN, "000000", "{}", store=InMemoryRules(), now=NOW, operator="arn:ops")


def test_a_change_made_meanwhile_is_not_overwritten() -> None:
    class Racing(InMemoryRules):
        def current(self, division: str):  # type: ignore[no-untyped-def]
            found = super().current(division)
            self.set(division, '{"cases": {"max_reopens": 4}}')  # another supervisor, between read and write
            return found

    store = Racing()
    with pytest.raises(Conflict):
        change_rules(SICHUAN, "510000", '{"cases": {"max_reopens": 3}}', store=store, now=NOW, operator="arn:ops")
    assert store.stored["510000"].document.cases.max_reopens == 4
