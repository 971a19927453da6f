"""The case state machine: the allowed transitions, and every other one refused."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from govrate.cases.kinds import CaseKind
from govrate.cases.machine import TRANSITIONS, TransitionRefused, target_of
from govrate.cases.model import Action, Case, Triage
from govrate.evaluations.models import CaseState, HandlingRating
from govrate.identity.model import Role
from govrate.kernel.errors import Forbidden
from govrate.kernel.scale import Level

S = CaseState
T = Triage
R = HandlingRating
NOW = datetime(2025, 9, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))
ANY = None

# Written out independently of the machine: (action, from state, triage or rating required, role, target).
ALLOWED: list[tuple[Action, CaseState, T | R | None, Role, CaseState]] = [
    (Action.CONTACT, S.RECEIVED, ANY, Role.STAFF, S.CONTACTED),
    (Action.VERIFY, S.CONTACTED, ANY, Role.STAFF, S.VERIFIED),
    (Action.TRIAGE, S.VERIFIED, ANY, Role.STAFF, S.TRIAGED),
    (Action.RECTIFY, S.TRIAGED, T.FIX_NOW, Role.STAFF, S.RECTIFIED),
    (Action.RECTIFY, S.TRIAGED, T.RECTIFY_BY_DEADLINE, Role.STAFF, S.RECTIFIED),
    (Action.ANSWER, S.TRIAGED, T.EXPLAIN, Role.STAFF, S.ANSWERED),
    (Action.ANSWER, S.RECTIFIED, ANY, Role.STAFF, S.ANSWERED),
    (Action.UPHOLD_APPEAL, S.TRIAGED, T.APPEAL, Role.SUPERVISOR, S.CLOSED),
    (Action.REJECT_APPEAL, S.TRIAGED, T.APPEAL, Role.SUPERVISOR, S.VERIFIED),
    (Action.RATE, S.ANSWERED, ANY, Role.EVALUATOR, S.RATED),
    (Action.CLOSE, S.RATED, R.SATISFIED, Role.EVALUATOR, S.CLOSED),
    (Action.CLOSE, S.RATED, R.BASICALLY_SATISFIED, Role.EVALUATOR, S.CLOSED),
    (Action.REOPEN, S.RATED, R.DISSATISFIED, Role.EVALUATOR, S.VERIFIED),
    (Action.ESCALATE, S.RATED, R.DISSATISFIED, Role.EVALUATOR, S.ESCALATED),
    *(
        (Action.ESCALATE_OVERDUE, state, ANY, Role.SYSTEM, S.ESCALATED)
        for state in (S.RECEIVED, S.CONTACTED, S.VERIFIED, S.RECTIFIED)
    ),
    *((Action.ESCALATE_OVERDUE, S.TRIAGED, triage, Role.SYSTEM, S.ESCALATED) for triage in T if triage is not T.APPEAL),
    (Action.RESUME, S.ESCALATED, ANY, Role.SUPERVISOR, S.CONTACTED),  # the resume state of `case_in`
    *(
        (Action.REASSIGN, state, ANY, Role.SUPERVISOR, S.RECEIVED)
        for state in (S.RECEIVED, S.CONTACTED, S.VERIFIED, S.TRIAGED, S.RECTIFIED, S.ESCALATED)
    ),
]

# The supervision cases' own paths: (kind, action, from state, role, target); nothing else applies to them.
ALLOWED_SUPERVISION: list[tuple[CaseKind, Action, CaseState, Role, CaseState]] = [
    (CaseKind.BURST, Action.RELEASE_BURST, S.RECEIVED, Role.SUPERVISOR, S.CLOSED),
    (CaseKind.BURST, Action.DISMISS_FLOOD, S.RECEIVED, Role.SUPERVISOR, S.CLOSED),
    (CaseKind.PRESSURE_REPORT, Action.CONCLUDE, S.RECEIVED, Role.SUPERVISOR, S.CLOSED),
]


def case_in(state: CaseState, triage: Triage | None = None, rating: HandlingRating | None = None) -> Case:
    return Case(
        evaluation_id="01K6B3S8Z0000000000000000A",
        item_code="110105-GA-001",
        agency_code="110105-GA",
        region_code="110105",
        level=Level.DISSATISFIED,
        state=state,
        opened_at=NOW,
        evaluated_at=NOW,
        real_name=True,
        verify_due_at=NOW,
        answer_due_at=NOW,
        triage=triage,
        handling_rating=rating,
        resume_state=S.CONTACTED,
    )


def expected(action: Action, case: Case) -> tuple[Role, CaseState] | None:
    for allowed_action, state, condition, role, target in ALLOWED:
        if allowed_action is not action or state is not case.state:
            continue
        if condition is None or condition in (case.triage, case.handling_rating):
            return role, target
    return None


def test_every_transition_allowed_or_refused_as_written() -> None:
    checked = 0
    variants = [None, *Triage, *HandlingRating]
    for action, state, variant, role in itertools.product(TRANSITIONS, CaseState, variants, Role):
        case = case_in(
            state,
            triage=variant if isinstance(variant, Triage) else None,
            rating=variant if isinstance(variant, HandlingRating) else None,
        )
        allowed = expected(action, case)
        if allowed is None:
            with pytest.raises((TransitionRefused, Forbidden)):
                target_of(case, action, role)
        elif role is not allowed[0]:
            with pytest.raises(Forbidden):
                target_of(case, action, role)
        else:
            assert target_of(case, action, role) is allowed[1], (action, state, variant)
        checked += 1
    assert checked == len(TRANSITIONS) * len(CaseState) * len(variants) * len(Role)


def test_the_machine_has_exactly_the_written_transitions() -> None:
    written = {action for action, *_ in ALLOWED} | {action for _, action, *_ in ALLOWED_SUPERVISION}
    assert set(TRANSITIONS) == written


@pytest.mark.parametrize("kind", [CaseKind.BURST, CaseKind.PRESSURE_REPORT])
def test_a_supervision_case_takes_only_its_own_path(kind: CaseKind) -> None:
    for action, state, role in itertools.product(TRANSITIONS, CaseState, Role):
        case = case_in(state).model_copy(update={"kind": kind, "level": None})
        allowed = [(r, t) for k, a, s, r, t in ALLOWED_SUPERVISION if (k, a, s) == (kind, action, state)]
        if allowed and role is allowed[0][0]:
            assert target_of(case, action, role) is allowed[0][1]
        else:
            with pytest.raises((TransitionRefused, Forbidden)):
                target_of(case, action, role)


@pytest.mark.parametrize("state", [s for s in CaseState if s is not S.RECEIVED])
def test_contact_is_refused_out_of_order(state: CaseState) -> None:
    with pytest.raises(TransitionRefused, match="does not allow contact"):
        target_of(case_in(state), Action.CONTACT, Role.STAFF)


def test_a_closed_case_allows_nothing() -> None:
    closed = case_in(S.CLOSED)
    for action, role in itertools.product(TRANSITIONS, Role):
        with pytest.raises((TransitionRefused, Forbidden)):
            target_of(closed, action, role)


def test_staff_cannot_decide_their_own_appeal() -> None:
    with pytest.raises(Forbidden):
        target_of(case_in(S.TRIAGED, Triage.APPEAL), Action.UPHOLD_APPEAL, Role.STAFF)


def test_a_case_under_appeal_is_not_swept() -> None:
    with pytest.raises(TransitionRefused):
        target_of(case_in(S.TRIAGED, Triage.APPEAL), Action.ESCALATE_OVERDUE, Role.SYSTEM)


def test_views_and_opening_are_not_transitions() -> None:
    for action in (Action.OPEN, Action.VIEW_CONTACT):
        with pytest.raises(TransitionRefused, match="not a transition"):
            target_of(case_in(S.RECEIVED), action, Role.STAFF)


def test_resume_needs_a_state_to_resume() -> None:
    escalated = case_in(S.ESCALATED).model_copy(update={"resume_state": None})
    with pytest.raises(TransitionRefused, match="no state to resume"):
        target_of(escalated, Action.RESUME, Role.SUPERVISOR)


@pytest.mark.parametrize(
    ("state", "triage", "due"),
    [
        (S.RECEIVED, None, "verify"),
        (S.CONTACTED, None, "verify"),
        (S.VERIFIED, None, "answer"),
        (S.TRIAGED, Triage.EXPLAIN, "answer"),
        (S.TRIAGED, Triage.APPEAL, None),
        (S.RECTIFIED, None, "answer"),
        (S.ANSWERED, None, None),
        (S.ESCALATED, None, None),
        (S.CLOSED, None, None),
    ],
)
def test_the_pending_deadline_follows_the_state(state: CaseState, triage: Triage | None, due: str | None) -> None:
    case = case_in(state, triage).model_copy(
        update={"verify_due_at": NOW + timedelta(days=1), "answer_due_at": NOW + timedelta(days=20)}
    )
    expected_due = {"verify": case.verify_due_at, "answer": case.answer_due_at, None: None}[due]
    assert case.pending_due_at == expected_due
    assert case.overdue(NOW + timedelta(days=30)) is (due is not None)
