"""The bad-review loop of DESIGN §4 on the in-memory stores: opening a case once, its deadlines on
the working-day calendar, who may see and change it, the steps and the evaluator's notices, the
sweep, and the evaluator's rating of the handling."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from govrate.cases.model import (
    Action,
    AnswerRecord,
    CaseBoardQuery,
    ContactRecord,
    HandlingRatingInput,
    Resumption,
    StaffCommand,
    TriageDecision,
    VerificationRecord,
)
from govrate.cases.ports import NoticeKind
from govrate.cases.service import (
    CONTACT_SHOWN_FOR,
    ContactView,
    act_on_case,
    case_board,
    escalate_overdue,
    handling_of,
    list_cases,
    open_case,
    rate_handling,
    reassignable_agencies,
    view_case,
)
from govrate.evaluations.models import (
    CaseState,
    EvaluationAccepted,
    EvaluationSubmission,
    HandlingRating,
    NegativeReviewMessage,
)
from govrate.evaluations.service import submit_evaluation
from govrate.identity.model import Actor, Role
from govrate.kernel.errors import Conflict, Forbidden, NotFound
from govrate.windows.models import ServiceWindow

from tests.fakes.world import FakeWorld

CST = timezone(timedelta(hours=8))
# Tuesday 30 September 2025, the last working day before the National Day holiday (1-8 October).
GIVEN = datetime(2025, 9, 30, 10, 0, tzinfo=CST)
LI = Actor(role=Role.STAFF, subject="li.ming", agency_code="110105-GA", region_code="110105")
OTHER_AGENCY = Actor(role=Role.STAFF, subject="chen.jie", agency_code="110105-SJ", region_code="110105")
BEIJING = Actor(role=Role.SUPERVISOR, subject="wang.fang", region_code="110000")
HANGZHOU = Actor(role=Role.SUPERVISOR, subject="xu.lin", region_code="330100")
CONTACT = {"name": "王女士", "phone": "13800138000", "consent": True}


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


def review(world: FakeWorld, *, contact: bool = True) -> EvaluationAccepted:
    """A bad review given at GIVEN, and its case opened as the queue consumer opens it."""
    body = {
        "item_code": "110105-GA-002",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "channel": "window_qr",
        "level": 1,
        "reason_codes": ["attitude"],
        **({"evaluator": CONTACT} if contact else {}),
    }
    accepted = submit_evaluation(
        EvaluationSubmission.model_validate(body), stores=world.intake, now=GIVEN, tickets=None
    )
    assert open_case(message_of(world, accepted.evaluation_id), stores=world.case_stores(), now=GIVEN)
    return accepted


def message_of(world: FakeWorld, evaluation_id: str) -> NegativeReviewMessage:
    stored = world.evaluations.get(evaluation_id)
    return NegativeReviewMessage(
        evaluation_id=evaluation_id,
        item_code=stored.item_code,
        agency_code=stored.agency_code,
        region_code=stored.region_code,
        level=stored.level,
        created_at=stored.created_at,
    )


def step(world: FakeWorld, evaluation_id: str, command: StaffCommand, actor: Actor = LI) -> CaseState:
    return act_on_case(evaluation_id, command, actor=actor, stores=world.case_stores(), now=GIVEN).state


def answer(world: FakeWorld, evaluation_id: str, *, first: bool = True) -> None:
    if first:
        step(world, evaluation_id, ContactRecord(reached=True, channel="sms"))
        step(world, evaluation_id, VerificationRecord(substantiated=False, finding="按规定办理"))
    step(world, evaluation_id, TriageDecision(outcome="explain", note="政策规定需本人到场"))
    assert step(world, evaluation_id, AnswerRecord(message="依据规定须本人到场办理，敬请谅解。")) is CaseState.ANSWERED


def rate(world: FakeWorld, accepted: EvaluationAccepted, rating: str, *, escalate: bool = False) -> CaseState:
    assert accepted.receipt is not None
    given = HandlingRatingInput(receipt=accepted.receipt, rating=HandlingRating(rating), escalate=escalate)
    return rate_handling(accepted.evaluation_id, given, stores=world.case_stores(), now=GIVEN).state


def notices(world: FakeWorld) -> list[NoticeKind]:
    return [notice.kind for _, notice in sorted(world.cases.notices.items())]


def test_a_case_is_opened_once_with_deadlines_from_the_review_on_working_days(world: FakeWorld) -> None:
    evaluation_id = review(world).evaluation_id
    assert not open_case(message_of(world, evaluation_id), stores=world.case_stores(), now=GIVEN + timedelta(hours=1))
    case = world.cases.get(evaluation_id)
    assert (case.state, case.real_name, case.audit_count) == (CaseState.RECEIVED, True, 1)
    # One working day: the National Day holiday runs 1-8 October, so the end of Thursday 9 October.
    assert case.verify_due_at == datetime(2025, 10, 10, tzinfo=CST)
    assert case.answer_due_at > case.verify_due_at
    assert [entry.action for entry in world.cases.history(evaluation_id)] == ["open"]


def test_staff_of_the_agency_and_supervisors_of_the_division_see_a_case_nobody_else(world: FakeWorld) -> None:
    evaluation_id = review(world, contact=False).evaluation_id
    for allowed in (LI, BEIJING):
        assert view_case(evaluation_id, actor=allowed, stores=world.case_stores(), now=GIVEN).case.agency_code
        listed = list_cases(allowed, stores=world.case_stores(), now=GIVEN, limit=10, cursor=None)
        assert [item.evaluation_id for item in listed.items] == [evaluation_id]
    for refused in (OTHER_AGENCY, HANGZHOU):
        with pytest.raises(Forbidden):
            view_case(evaluation_id, actor=refused, stores=world.case_stores(), now=GIVEN)
        with pytest.raises(Forbidden):
            step(world, evaluation_id, ContactRecord(reached=True, channel="phone"), refused)
        assert list_cases(refused, stores=world.case_stores(), now=GIVEN, limit=10, cursor=None).items == []
    with pytest.raises(Forbidden):
        list_cases(Actor.evaluator(), stores=world.case_stores(), now=GIVEN, limit=10, cursor=None)


def test_the_contact_is_opened_only_with_an_audit_entry(world: FakeWorld) -> None:
    real_name = review(world).evaluation_id
    view = view_case(real_name, actor=LI, stores=world.case_stores(), now=GIVEN)
    assert view.contact is not None and view.contact.phone == "13800138000"
    assert [entry.action for entry in view.history] == ["open", "view_contact"]
    assert view.chain.intact
    anonymous = review(world, contact=False).evaluation_id
    view = view_case(anonymous, actor=LI, stores=world.case_stores(), now=GIVEN)
    assert view.contact is None
    assert [entry.action for entry in view.history] == ["open"]


def test_the_steps_follow_the_machine_and_an_answer_notifies_the_evaluator(world: FakeWorld) -> None:
    evaluation_id = review(world).evaluation_id
    with pytest.raises(Conflict):
        step(world, evaluation_id, AnswerRecord(message="太早了"))
    answer(world, evaluation_id)
    case = world.cases.get(evaluation_id)
    assert (case.visited, case.answered_within_deadline) == (True, True)
    assert [entry.action for entry in world.cases.history(evaluation_id)] == [
        "open",
        "contact",
        "verify",
        "triage",
        "answer",
    ]
    assert notices(world) == [NoticeKind.ANSWERED]


def test_the_sweep_escalates_once_past_the_deadline_and_a_supervisor_resumes(world: FakeWorld) -> None:
    evaluation_id = review(world, contact=False).evaluation_id
    stores = world.case_stores()
    assert escalate_overdue(stores=stores, now=datetime(2025, 10, 9, 23, 59, tzinfo=CST)).escalated == []
    late = datetime(2025, 10, 10, 0, 15, tzinfo=CST)
    assert escalate_overdue(stores=stores, now=late).escalated == [evaluation_id]
    assert escalate_overdue(stores=stores, now=late).escalated == []
    assert world.cases.get(evaluation_id).state is CaseState.ESCALATED
    with pytest.raises(Forbidden):
        step(world, evaluation_id, Resumption(reason="督促", working_days=2), LI)
    resumed = act_on_case(
        evaluation_id, Resumption(reason="督促当日回访", working_days=2), actor=BEIJING, stores=stores, now=late
    )
    # Friday 10 October + 2 working days: Saturday 11 October is worked, then Monday 13.
    assert (resumed.state, resumed.verify_due_at) == (CaseState.RECEIVED, datetime(2025, 10, 14, tzinfo=CST))


def test_a_dissatisfied_evaluator_reopens_once_then_the_case_escalates(world: FakeWorld) -> None:
    accepted = review(world)
    evaluation_id = accepted.evaluation_id
    answer(world, evaluation_id)
    assert rate(world, accepted, "dissatisfied") is CaseState.VERIFIED
    with pytest.raises(Conflict):
        rate(world, accepted, "satisfied")  # not answered again yet
    answer(world, evaluation_id, first=False)
    assert rate(world, accepted, "dissatisfied") is CaseState.ESCALATED
    case = world.cases.get(evaluation_id)
    assert (case.reopen_count, case.resume_state) == (1, CaseState.VERIFIED)
    assert notices(world) == [NoticeKind.ANSWERED, NoticeKind.REOPENED, NoticeKind.ANSWERED, NoticeKind.ESCALATED]


def test_an_evaluator_may_escalate_at_once_or_close_by_being_content(world: FakeWorld) -> None:
    at_once, content = review(world), review(world)
    for accepted in (at_once, content):
        answer(world, accepted.evaluation_id)
    assert rate(world, at_once, "dissatisfied", escalate=True) is CaseState.ESCALATED
    assert rate(world, content, "satisfied") is CaseState.CLOSED
    assert content.receipt is not None
    assert handling_of(content.evaluation_id, content.receipt, stores=world.case_stores()).state is CaseState.CLOSED


def test_only_the_receipt_lets_anyone_follow_or_rate_the_handling(world: FakeWorld) -> None:
    accepted = review(world)
    answer(world, accepted.evaluation_id)
    with pytest.raises(NotFound):
        handling_of(accepted.evaluation_id, "guessing1", stores=world.case_stores())
    with pytest.raises(NotFound):
        rate(world, accepted.model_copy(update={"receipt": "not-the-receipt"}), "dissatisfied")
    assert world.cases.get(accepted.evaluation_id).state is CaseState.ANSWERED


def test_the_standing_counts_working_days_left_then_the_days_overdue(world: FakeWorld) -> None:
    evaluation_id = review(world, contact=False).evaluation_id
    stores = world.case_stores()
    # Verify within 1 working day: by the end of Thursday 9 October (1-8 October is the holiday).
    before = view_case(evaluation_id, actor=LI, stores=stores, now=GIVEN).standing
    assert (before.last_day, before.working_days_left, before.due_today) == (date(2025, 10, 9), 1, False)
    eve = view_case(evaluation_id, actor=LI, stores=stores, now=datetime(2025, 10, 8, 23, 59, tzinfo=CST)).standing
    assert (eve.working_days_left, eve.due_today) == (1, False)
    today = view_case(evaluation_id, actor=LI, stores=stores, now=datetime(2025, 10, 9, 9, 0, tzinfo=CST)).standing
    assert (today.working_days_left, today.due_today, today.overdue_days) == (0, True, 0)
    late = view_case(evaluation_id, actor=LI, stores=stores, now=datetime(2025, 10, 12, 9, 0, tzinfo=CST)).standing
    assert (late.working_days_left, late.overdue_days) == (0, 3)


def test_the_case_shows_the_complaint_with_names(world: FakeWorld) -> None:
    evaluation_id = review(world, contact=False).evaluation_id
    complaint = view_case(evaluation_id, actor=LI, stores=world.case_stores(), now=GIVEN).complaint
    assert complaint is not None
    assert (complaint.level, complaint.reason_codes, complaint.channel) == (1, ["attitude"], "window_qr")
    assert complaint.item_name_zh and complaint.agency_name_zh
    assert complaint.follow_up is None


def test_the_board_puts_escalated_overdue_and_due_today_first_filters_and_pages(world: FakeWorld) -> None:
    first, second, third = (review(world, contact=False).evaluation_id for _ in range(3))
    stores = world.case_stores()
    late = datetime(2025, 10, 10, 0, 15, tzinfo=CST)
    escalate_overdue(stores=stores, now=late)  # all three are past verifying
    act_on_case(second, Resumption(reason="督促", working_days=1), actor=BEIJING, stores=stores, now=late)
    act_on_case(third, Resumption(reason="督促", working_days=3), actor=BEIJING, stores=stores, now=late)
    # second: due at the end of Saturday 11 October (a worked day); third: Tuesday 14 October.
    on_saturday = datetime(2025, 10, 11, 9, 0, tzinfo=CST)

    supervisor = case_board(BEIJING, CaseBoardQuery(), stores=stores, now=on_saturday)
    assert [item.evaluation_id for item in supervisor.items] == [first, second, third]
    assert supervisor.items[0].escalated_for == "escalate_overdue"
    # Sunday the 12th is a day off: Monday and Tuesday are left.
    assert (supervisor.items[1].standing.due_today, supervisor.items[2].standing.working_days_left) == (True, 2)
    # Just resumed with 3 working days (Saturday the 11th is worked): 3 are left.
    assert view_case(third, actor=BEIJING, stores=stores, now=late).standing.working_days_left == 3
    assert supervisor.items[1].item_name_zh and supervisor.items[1].agency_name_zh
    staff = case_board(LI, CaseBoardQuery(), stores=stores, now=on_saturday)
    # For staff, an escalated case waits on a supervisor: it comes after their own work.
    assert [item.evaluation_id for item in staff.items] == [second, third, first]

    filtered = case_board(LI, CaseBoardQuery(state="escalated"), stores=stores, now=on_saturday)
    assert [item.evaluation_id for item in filtered.items] == [first]
    searched = case_board(LI, CaseBoardQuery(q=third[-6:].lower()), stores=stores, now=on_saturday)
    assert [item.evaluation_id for item in searched.items] == [third]
    assert case_board(LI, CaseBoardQuery(level=2), stores=stores, now=on_saturday).total == 0
    assert case_board(LI, CaseBoardQuery(item="110105-GA-002", page=9), stores=stores, now=on_saturday).page == 1
    by_deadline = case_board(BEIJING, CaseBoardQuery(sort="deadline"), stores=stores, now=on_saturday)
    assert [item.evaluation_id for item in by_deadline.items] == [second, third, first]  # no deadline: last


def test_a_revealed_contact_is_shown_again_for_a_few_minutes_without_another_audited_view(world: FakeWorld) -> None:
    evaluation_id = review(world).evaluation_id
    stores = world.case_stores()
    assert view_case(evaluation_id, actor=LI, stores=stores, now=GIVEN, contact_view=ContactView.HIDDEN).contact is None
    # Nobody revealed it yet: a reload shows nothing.
    shown_again = ContactView.SHOWN_AGAIN
    assert view_case(evaluation_id, actor=LI, stores=stores, now=GIVEN, contact_view=shown_again).contact is None
    revealed = view_case(evaluation_id, actor=LI, stores=stores, now=GIVEN)
    assert revealed.contact is not None
    later = GIVEN + CONTACT_SHOWN_FOR
    again = view_case(evaluation_id, actor=LI, stores=stores, now=later, contact_view=shown_again)
    assert again.contact == revealed.contact
    assert [entry.action for entry in again.history].count(Action.VIEW_CONTACT) == 1
    # Someone else's reveal, or one too long ago, shows nothing.
    too_late = later + timedelta(seconds=1)
    assert view_case(evaluation_id, actor=LI, stores=stores, now=too_late, contact_view=shown_again).contact is None
    assert view_case(evaluation_id, actor=BEIJING, stores=stores, now=later, contact_view=shown_again).contact is None


def test_the_board_names_windows_searches_their_names_and_marks_reopened_cases(world: FakeWorld) -> None:
    accepted = review(world, contact=False)
    stores = world.case_stores()
    window = ServiceWindow(
        window_id="110105-GA-W01",
        name_zh="公安综合窗口1号",
        agency_code="110105-GA",
        region_code="110105",
        item_codes=("110105-GA-002",),
        rotation=1,
        revoked=False,
    )
    world.windows.add(window)
    case = world.cases.get(accepted.evaluation_id)
    world.cases.stored[case.evaluation_id] = case.model_copy(update={"window_id": window.window_id, "reopen_count": 2})
    [item] = case_board(LI, CaseBoardQuery(q=window.name_zh[:4]), stores=stores, now=GIVEN).items
    assert (item.window_name_zh, item.reopen_count) == (window.name_zh, 2)
    assert view_case(accepted.evaluation_id, actor=LI, stores=stores, now=GIVEN).window_name_zh == window.name_zh
    assert case_board(LI, CaseBoardQuery(q="没有这个窗口"), stores=stores, now=GIVEN).items == []


def test_a_supervisor_reassigns_among_the_agencies_of_the_division_by_name(world: FakeWorld) -> None:
    agencies = reassignable_agencies(BEIJING, stores=world.case_stores())
    assert agencies and all(agency.region_code.startswith("11") for agency in agencies)
    assert [agency.agency_name_zh for agency in agencies] == sorted(agency.agency_name_zh for agency in agencies)
    assert not any(agency.region_code.startswith("33") for agency in agencies)
    assert reassignable_agencies(LI, stores=world.case_stores()) == []
