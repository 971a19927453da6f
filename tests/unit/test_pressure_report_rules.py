"""A citizen's report of being pressed to rate, on the in-memory stores: one supervision case per served
form, for the region's supervisors only, concluded with a finding."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from govrate.cases.kinds import CaseKind
from govrate.cases.model import Conclusion, PressureReport, VerificationRecord
from govrate.cases.service import act_on_case, list_cases, report_pressure, view_case
from govrate.evaluations.models import CaseState
from govrate.identity.model import Actor, Role
from govrate.kernel.errors import Forbidden

from tests.fakes.world import FakeWorld

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 9, 29, 10, 0, tzinfo=CST)  # a Monday
LI = Actor(role=Role.STAFF, subject="li.ming", agency_code="110105-GA", region_code="110105")
BEIJING = Actor(role=Role.SUPERVISOR, subject="wang.fang", region_code="110000")
HANGZHOU = Actor(role=Role.SUPERVISOR, subject="xu.lin", region_code="330100")


def a_report(
    form_token: str = "abc.1759111200.tag", comment: str | None = "窗口人员要求必须评非常满意"
) -> PressureReport:
    return PressureReport(
        report_id=PressureReport.id_for(form_token),
        agency_code="110105-GA",
        region_code="110105",
        window_id="110105-GA-W01",
        item_code=None,
        comment=comment,
        page="window_qr",
    )


def test_one_form_reports_once_and_the_id_is_a_ulid_of_its_token() -> None:
    world = FakeWorld()
    assert report_pressure(a_report(), stores=world.case_stores(), now=NOW)
    assert not report_pressure(a_report(), stores=world.case_stores(), now=NOW + timedelta(minutes=1))
    assert report_pressure(a_report("other.1759111200.tag"), stores=world.case_stores(), now=NOW)
    assert len(world.cases.stored) == 2
    assert len(PressureReport.id_for("abc")) == 26 and PressureReport.id_for("abc") != PressureReport.id_for("abd")


def test_the_report_is_the_supervisors_and_is_concluded_with_a_finding() -> None:
    world = FakeWorld()
    report = a_report()
    report_pressure(report, stores=world.case_stores(), now=NOW)
    case = world.cases.get(report.report_id)
    assert (case.kind, case.state, case.window_id, case.level, case.note) == (
        CaseKind.PRESSURE_REPORT,
        CaseState.RECEIVED,
        "110105-GA-W01",
        None,
        "窗口人员要求必须评非常满意",
    )
    assert case.verify_due_at == datetime(2025, 10, 1, tzinfo=CST)  # the end of the next working day
    stores = world.case_stores()
    listed = list_cases(BEIJING, stores=stores, now=NOW, limit=10, cursor=None).items
    assert [(item.kind, item.window_id) for item in listed] == [(CaseKind.PRESSURE_REPORT, "110105-GA-W01")]
    assert list_cases(LI, stores=stores, now=NOW, limit=10, cursor=None).items == []
    for outsider in (LI, HANGZHOU):
        with pytest.raises(Forbidden):
            view_case(report.report_id, actor=outsider, stores=stores, now=NOW)
    with pytest.raises(Forbidden):  # a report is not worked like a bad review
        act_on_case(
            report.report_id, VerificationRecord(substantiated=True, finding="x"), actor=BEIJING, stores=stores, now=NOW
        )
    closed = act_on_case(
        report.report_id, Conclusion(finding="已约谈窗口负责人"), actor=BEIJING, stores=stores, now=NOW
    )
    assert closed.state is CaseState.CLOSED
    history = world.cases.history(report.report_id)
    assert [(entry.action, entry.actor.role) for entry in history] == [
        ("open", "evaluator"),
        ("conclude", "supervisor"),
    ]
    assert history[0].detail["channel"] == "supervision_platform"
