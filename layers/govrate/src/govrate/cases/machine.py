"""The allowed transitions of a case, and nothing else.

    received → contacted → verified → triaged ─┬─ fix_now / rectify_by_deadline → rectified → answered
                                                ├─ explain ─────────────────────────────────→ answered
                                                └─ appeal → (supervisor) upheld → closed · rejected → verified
    answered → rated ─┬─ satisfied / basically satisfied → closed
                      └─ dissatisfied → reopened (verified) or escalated
    any working state past its deadline → escalated (sweep) → resumed by a supervisor
    a supervisor may reassign a working or escalated case to another agency → received

Supervision cases have their own short paths, taken by supervisors only:

    burst:           received → release_burst (a case for each bad review) or dismiss_flood → closed
    pressure report: received → conclude (with the finding) → closed

Who may act is part of the transition; whether this particular person may act on this particular
case (their agency, their region) is `govrate.identity.auth`.
"""

from __future__ import annotations

from dataclasses import dataclass

from govrate.cases.kinds import CaseKind
from govrate.cases.model import Action, Case, Triage
from govrate.evaluations.models import CaseState, HandlingRating
from govrate.identity.model import Role
from govrate.kernel.errors import Conflict, Forbidden

_S = CaseState
_WORKING = frozenset({_S.RECEIVED, _S.CONTACTED, _S.VERIFIED, _S.TRIAGED, _S.RECTIFIED})
_RECTIFYING = frozenset({Triage.FIX_NOW, Triage.RECTIFY_BY_DEADLINE})
_EXPLAINING = frozenset({Triage.EXPLAIN})
_APPEALING = frozenset({Triage.APPEAL})
CONTENT = frozenset({HandlingRating.SATISFIED, HandlingRating.BASICALLY_SATISFIED})
"""The handling ratings that close a case."""
_DISCONTENT = frozenset({HandlingRating.DISSATISFIED})


class TransitionRefused(Conflict):
    """The action is not allowed in the state the case is in."""


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[CaseState]
    target: CaseState | None
    """None: back to the state the case was escalated from."""
    roles: frozenset[Role]
    triage: frozenset[Triage] | None = None
    """When leaving `triaged`: the triage outcomes that allow this transition."""
    ratings: frozenset[HandlingRating] | None = None
    """When leaving `rated`: the handling ratings that allow this transition."""
    kinds: frozenset[CaseKind] = frozenset({CaseKind.BAD_REVIEW})

    def allows(self, case: Case) -> bool:
        if case.kind not in self.kinds or case.state not in self.sources:
            return False
        if case.state is _S.TRIAGED and self.triage is not None and case.triage not in self.triage:
            return False
        return not (case.state is _S.RATED and self.ratings is not None and case.handling_rating not in self.ratings)


def _transition(
    action: Action,
    sources: frozenset[CaseState],
    target: CaseState | None,
    role: Role,
    *,
    triage: frozenset[Triage] | None = None,
    ratings: frozenset[HandlingRating] | None = None,
    kind: CaseKind = CaseKind.BAD_REVIEW,
) -> tuple[Action, Transition]:
    return action, Transition(action, sources, target, frozenset({role}), triage, ratings, frozenset({kind}))


TRANSITIONS: dict[Action, Transition] = dict(
    (
        _transition(Action.CONTACT, frozenset({_S.RECEIVED}), _S.CONTACTED, Role.STAFF),
        _transition(Action.VERIFY, frozenset({_S.CONTACTED}), _S.VERIFIED, Role.STAFF),
        _transition(Action.TRIAGE, frozenset({_S.VERIFIED}), _S.TRIAGED, Role.STAFF),
        _transition(Action.RECTIFY, frozenset({_S.TRIAGED}), _S.RECTIFIED, Role.STAFF, triage=_RECTIFYING),
        _transition(Action.ANSWER, frozenset({_S.TRIAGED, _S.RECTIFIED}), _S.ANSWERED, Role.STAFF, triage=_EXPLAINING),
        _transition(Action.UPHOLD_APPEAL, frozenset({_S.TRIAGED}), _S.CLOSED, Role.SUPERVISOR, triage=_APPEALING),
        _transition(Action.REJECT_APPEAL, frozenset({_S.TRIAGED}), _S.VERIFIED, Role.SUPERVISOR, triage=_APPEALING),
        _transition(Action.RATE, frozenset({_S.ANSWERED}), _S.RATED, Role.EVALUATOR),
        _transition(Action.CLOSE, frozenset({_S.RATED}), _S.CLOSED, Role.EVALUATOR, ratings=CONTENT),
        _transition(Action.REOPEN, frozenset({_S.RATED}), _S.VERIFIED, Role.EVALUATOR, ratings=_DISCONTENT),
        _transition(Action.ESCALATE, frozenset({_S.RATED}), _S.ESCALATED, Role.EVALUATOR, ratings=_DISCONTENT),
        _transition(
            Action.ESCALATE_OVERDUE, _WORKING, _S.ESCALATED, Role.SYSTEM, triage=frozenset(Triage) - _APPEALING
        ),
        _transition(Action.RESUME, frozenset({_S.ESCALATED}), None, Role.SUPERVISOR),
        _transition(Action.REASSIGN, _WORKING | {_S.ESCALATED}, _S.RECEIVED, Role.SUPERVISOR),
        _transition(Action.RELEASE_BURST, frozenset({_S.RECEIVED}), _S.CLOSED, Role.SUPERVISOR, kind=CaseKind.BURST),
        _transition(Action.DISMISS_FLOOD, frozenset({_S.RECEIVED}), _S.CLOSED, Role.SUPERVISOR, kind=CaseKind.BURST),
        _transition(
            Action.CONCLUDE, frozenset({_S.RECEIVED}), _S.CLOSED, Role.SUPERVISOR, kind=CaseKind.PRESSURE_REPORT
        ),
    )
)


def target_of(case: Case, action: Action, role: Role) -> CaseState:
    """The state `action` by someone of `role` takes `case` to; Forbidden or TransitionRefused otherwise."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(f"{action} is not a transition")
    if role not in transition.roles:
        raise Forbidden(f"a {role} may not {action} a case")
    if not transition.allows(case):
        raise TransitionRefused(f"a case that is {_describe(case)} does not allow {action}")
    if transition.target is not None:
        return transition.target
    if case.resume_state is None:
        raise TransitionRefused("the case has no state to resume")
    return case.resume_state


def _describe(case: Case) -> str:
    if case.supervision:
        return f"a {case.kind} case, {case.state}"
    if case.state is _S.TRIAGED and case.triage is not None:
        return f"triaged ({case.triage})"
    if case.state is _S.RATED and case.handling_rating is not None:
        return f"rated ({case.handling_rating})"
    return str(case.state)
