"""The console's pages of the supervision cases, rendered on the in-memory stores as a supervisor sees
them (no tests here): a burst of one window's bad reviews and a citizen's report of being pressed to rate."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from case_console import case_page, list_page
from govrate.cases.kinds import CaseKind
from govrate.cases.model import BurstPolicy, CaseBoardQuery, PressureReport
from govrate.cases.service import CaseStores, case_board, report_pressure, take_bad_review, view_case
from govrate.evaluations.models import EvaluationSubmission, NegativeReviewMessage
from govrate.evaluations.service import submit_evaluation
from govrate.identity.model import Actor, Role
from govrate.identity.sessions import StaffSession
from govrate.windows.models import ServiceWindow

from tests.fakes.world import FakeWorld

CST = timezone(timedelta(hours=8))
START = datetime(2025, 9, 29, 10, 0, tzinfo=CST)  # a Monday
WINDOW = ServiceWindow(
    window_id="110105-GA-W01",
    name_zh="公安综合窗口1号",
    name_en="Police counter 1",
    agency_code="110105-GA",
    region_code="110105",
    item_codes=("110105-GA-002",),
    rotation=1,
    revoked=False,
)
SUPERVISOR = Actor(role=Role.SUPERVISOR, subject="wang.fang", name="王芳", region_code="110000")
REPORT_COMMENT = "工作人员要求当面点满意"


@dataclass(frozen=True)
class SupervisionPages:
    burst_id: str
    report_id: str
    held: list[str]
    listing: str
    burst: str
    report: str


def signed_in(actor: Actor, now: datetime) -> StaffSession:
    return StaffSession(
        username=actor.subject,
        actor=actor,
        refresh_token="refresh",
        form_token="form-token",
        created_at=now,
        last_seen_at=now,
        checked_at=now,
    )


def _bad_review(world: FakeWorld, at: datetime) -> NegativeReviewMessage:
    body = {
        "item_code": "110105-GA-002",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "channel": "window_qr",
        "window_id": WINDOW.window_id,
        "level": 1,
        "reason_codes": ["attitude"],
    }
    accepted = submit_evaluation(EvaluationSubmission.model_validate(body), stores=world.intake, now=at, tickets=None)
    stored = world.evaluations.get(accepted.evaluation_id)
    return NegativeReviewMessage(
        evaluation_id=stored.evaluation_id,
        item_code=stored.item_code,
        agency_code=stored.agency_code,
        region_code=stored.region_code,
        level=stored.level,
        created_at=stored.created_at,
    )


def planted(world: FakeWorld) -> CaseStores:
    """Twelve bad reviews of one window within a minute (two held in a burst), and a pressure report."""
    world.windows.add(WINDOW)
    stores = replace(world.case_stores(), burst_policy=BurstPolicy(per_window=10, per_item=30, minutes=10))
    for n in range(12):
        review = _bad_review(world, START + timedelta(seconds=n))
        take_bad_review(review, stores=stores, now=review.created_at + timedelta(seconds=5))
    report = PressureReport(
        report_id=PressureReport.id_for("a served form"),
        agency_code=WINDOW.agency_code,
        region_code=WINDOW.region_code,
        window_id=WINDOW.window_id,
        item_code="110105-GA-002",
        comment=REPORT_COMMENT,
        page="window_qr",
    )
    report_pressure(report, stores=stores, now=START + timedelta(minutes=5))
    return stores


def supervision_pages(world: FakeWorld, base: str = "") -> SupervisionPages:
    stores = planted(world)
    now = START + timedelta(minutes=10)
    (burst_id,) = [case.evaluation_id for case in world.cases.stored.values() if case.kind is CaseKind.BURST]
    report_id = PressureReport.id_for("a served form")
    session = signed_in(SUPERVISOR, now)
    burst = view_case(burst_id, actor=SUPERVISOR, stores=stores, now=now)
    report = view_case(report_id, actor=SUPERVISOR, stores=stores, now=now)
    board = case_board(SUPERVISOR, CaseBoardQuery(), stores=stores, now=now)
    return SupervisionPages(
        burst_id=burst_id,
        report_id=report_id,
        held=[review.evaluation_id for review in burst.burst],
        listing=list_page(session, board, CaseBoardQuery(), base),
        burst=case_page(session, burst, base),
        report=case_page(session, report, base),
    )
