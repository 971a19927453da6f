"""The case of a bad review: what is stored, who acts on it, what they send and what they are shown."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from govrate.cases.kinds import SUPERVISION_KINDS, CaseKind
from govrate.evaluations.models import (
    CaseProgress,
    CaseState,
    CaseSummary,
    Channel,
    EvaluatorContact,
    FollowUp,
    HandlingRating,
    NegativeReviewMessage,
    ReasonCode,
    Stage,
)
from govrate.identity.model import Actor
from govrate.kernel.contracts import AgencyCode, Contract
from govrate.kernel.divisions import DivisionLevel, enclosing
from govrate.kernel.ids import id_of
from govrate.kernel.scale import Level

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

GENESIS_HASH = "0" * 64
# The kind of error of a triage that appeals without evidence (its field: `evidence`).
APPEAL_WITHOUT_EVIDENCE = "appeal_without_evidence"


class Triage(StrEnum):
    FIX_NOW = "fix_now"  # 立行立改
    RECTIFY_BY_DEADLINE = "rectify_by_deadline"  # 限期整改
    EXPLAIN = "explain"  # 解释说明
    APPEAL = "appeal"  # 申诉复核


class BurstOutcome(StrEnum):
    GENUINE = "genuine"
    """Every bad review of the burst got its own case."""
    FLOOD = "flood"
    """The bad reviews stay as evaluations (counted in the rates), flagged by the burst; no case each."""


class BurstPolicy(Contract):
    """When bad reviews come too fast to be one case each: more than `per_window` bad reviews of one
    window (or `per_item` of one item of an agency, for reviews without a window) given within
    `minutes`. Those beyond the threshold wait in a burst case for a supervisor's decision."""

    per_window: int = Field(default=10, ge=1)
    per_item: int = Field(default=30, ge=1)
    minutes: int = Field(default=10, ge=1, le=24 * 60)

    @property
    def period(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    def subject(self, review: NegativeReviewMessage, window_id: str | None) -> tuple[str, int]:
        """What a bad review is counted against, and the most that may come within the period."""
        if window_id:
            return f"window#{window_id}", self.per_window
        return f"item#{review.agency_code}#{review.item_code or '-'}", self.per_item


class Action(StrEnum):
    """Everything that is written to a case's audit trail: the transitions, opening and contact views."""

    OPEN = "open"
    CONTACT = "contact"
    VERIFY = "verify"
    TRIAGE = "triage"
    RECTIFY = "rectify"
    ANSWER = "answer"
    UPHOLD_APPEAL = "uphold_appeal"
    REJECT_APPEAL = "reject_appeal"
    RATE = "rate"
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    ESCALATE_OVERDUE = "escalate_overdue"
    RESUME = "resume"
    REASSIGN = "reassign"
    VIEW_CONTACT = "view_contact"
    RELEASE_BURST = "release_burst"
    DISMISS_FLOOD = "dismiss_flood"
    CONCLUDE = "conclude"


# What the staff do to a case that changes nothing the evaluator is shown (the view is audited only).
INTERNAL_ACTIONS = frozenset({Action.VIEW_CONTACT})


class Case(Contract):
    """A case as stored. `audit_count` and `audit_head` are the length and the last hash of its audit
    chain: every change of the case is written together with its audit entry, conditioned on them.

    A bad review's case is keyed by its evaluation id; a supervision case (`kind`) by an id of its own."""

    evaluation_id: str = Field(description="The evaluation of a bad review; the case's own id for other kinds.")
    kind: CaseKind = CaseKind.BAD_REVIEW
    item_code: str | None
    agency_code: str
    region_code: str
    applied_region_code: str | None = Field(
        default=None, description="Where a trans-regional service was applied for; the case is the handling agency's."
    )
    window_id: str | None = None
    level: Level | None = Field(description="The bad review's level; none for a supervision case.")
    state: CaseState
    opened_at: datetime
    evaluated_at: datetime
    real_name: bool = Field(description="The evaluator left a contact, so a return visit is possible.")
    verify_due_at: datetime
    answer_due_at: datetime
    triage: Triage | None = None
    resume_state: CaseState | None = Field(default=None, description="Where an escalated case resumes.")
    escalated_for: Action | None = Field(
        default=None,
        description="Why an escalated case is with the supervisors: `escalate` (the evaluator was dissatisfied) or "
        "`escalate_overdue` (past its deadline).",
    )
    reopen_count: int = 0
    visited: bool = Field(default=False, description="The evaluator was reached on a return visit.")
    rectified: bool = False
    answer: str | None = None
    answered_at: datetime | None = None
    answered_within_deadline: bool | None = Field(
        default=None, description="Whether the first answer came before the answer deadline."
    )
    handling_rating: HandlingRating | None = None
    excluded_from_rates: bool = Field(default=False, description="An upheld appeal: kept, never counted.")
    note: str | None = Field(default=None, description="A pressure report's comment, as the citizen wrote it.")
    burst_outcome: BurstOutcome | None = None
    changed_at: datetime | None = Field(
        default=None, description="When the evaluator's view of it last changed (its latest public entry)."
    )
    audit_count: int = 0
    audit_head: str = GENESIS_HASH

    @model_validator(mode="after")
    def _bad_review_has_level(self) -> Case:
        if self.kind is CaseKind.BAD_REVIEW and self.level is None:
            raise ValueError("the case of a bad review has the review's level")
        return self

    @property
    def supervision(self) -> bool:
        """Worked by the region's supervisors alone."""
        return self.kind in SUPERVISION_KINDS

    @property
    def is_open(self) -> bool:
        return self.state is not CaseState.CLOSED

    @property
    def pending_due_at(self) -> datetime | None:
        """The deadline the agency works to now; None while the case waits on the evaluator or a supervisor."""
        if self.state in (CaseState.RECEIVED, CaseState.CONTACTED):
            return self.verify_due_at
        if self.state in (CaseState.VERIFIED, CaseState.RECTIFIED):
            return self.answer_due_at
        if self.state is CaseState.TRIAGED and self.triage is not Triage.APPEAL:
            return self.answer_due_at
        return None

    @property
    def visited_and_rectified(self) -> bool:
        """For the return-visit rectification rate: visited, and rectified or lawfully explained."""
        return self.visited and (self.rectified or (self.triage is Triage.EXPLAIN and self.answered_at is not None))

    @property
    def feed_provinces(self) -> set[str]:
        """The provinces whose change feeds publish a bad review's case: the handling region's and the
        applied-for region's (none for a supervision case)."""
        if self.kind is not CaseKind.BAD_REVIEW:
            return set()
        regions = {self.region_code, *([self.applied_region_code] if self.applied_region_code else [])}
        return {enclosing(region, DivisionLevel.PROVINCE) for region in regions}

    def overdue(self, now: datetime) -> bool:
        due = self.pending_due_at
        return due is not None and now >= due

    @property
    def last_public_change_at(self) -> datetime:
        """When the evaluator's view last changed: when it was opened, before any other public entry."""
        return self.changed_at or self.opened_at

    def summary(self) -> CaseSummary:
        """What the evaluator sees through the status link."""
        return CaseSummary(
            state=self.state,
            opened_at=self.opened_at,
            answer=self.answer,
            answered_at=self.answered_at,
            awaiting_rating=self.state is CaseState.ANSWERED,
            handling_rating=self.handling_rating,
            reopened=self.reopen_count > 0,
            reopen_count=self.reopen_count,
            due_at=self.pending_due_at,
        )

    def progress(self) -> CaseProgress:
        """What the platform that posted the bad review may follow."""
        return CaseProgress(
            **self.summary().model_dump(),
            agency_code=self.agency_code,
            verify_due_at=self.verify_due_at,
            answer_due_at=self.answer_due_at,
            answered_within_deadline=self.answered_within_deadline,
            escalated=self.state is CaseState.ESCALATED,
            changed_at=self.last_public_change_at,
        )


class AuditEntry(Contract):
    """One link of a case's audit chain. `hash` covers every other field, `prev_hash` included."""

    evaluation_id: str
    seq: int = Field(ge=1)
    at: datetime
    actor: Actor
    action: Action
    from_state: CaseState | None
    to_state: CaseState
    detail: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str
    hash: str

    @property
    def public(self) -> bool:
        """The entry changes what the evaluator (and the platform that posted the review) is shown."""
        return self.action not in INTERNAL_ACTIONS


class CaseChange(Contract):
    """One published change of a bad review's case, numbered in the change feed of a province (the
    handling region's, and the applied-for region's when that is another province)."""

    seq: int = Field(ge=1)
    evaluation_id: str
    region_code: str
    applied_region_code: str | None
    case: CaseProgress


# --- what staff and supervisors send -------------------------------------------------------------


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    VISIT = "visit"


class ContactRecord(Contract):
    """The return visit (回访): whether the evaluator was reached, and how."""

    reached: bool
    channel: ContactChannel
    note: ShortText | None = None


class VerificationRecord(Contract):
    substantiated: bool = Field(description="Whether the facts of the bad review were confirmed.")
    finding: Text


class TriageDecision(Contract):
    outcome: Triage
    note: Text
    evidence: list[ShortText] = Field(
        default_factory=list,
        max_length=20,
        validate_default=True,
        description="Required for an appeal: what shows the review mistaken.",
    )

    @field_validator("evidence")
    @classmethod
    def _appeal_has_evidence(cls, evidence: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("outcome") is Triage.APPEAL and not evidence:
            raise PydanticCustomError(APPEAL_WITHOUT_EVIDENCE, "an appeal needs at least one piece of evidence")
        return evidence


class RectificationRecord(Contract):
    summary: Text


class AnswerRecord(Contract):
    message: Text = Field(description="What the evaluator reads.")


class AppealDecision(Contract):
    upheld: bool = Field(description="True: the review is excluded from the rates (never deleted).")
    reason: Text


class Reassignment(Contract):
    agency_code: AgencyCode
    reason: Text


class Resumption(Contract):
    reason: Text
    working_days: int = Field(ge=1, le=30, description="New deadline for the step the case resumes at.")


class BurstDecision(Contract):
    """A supervisor's decision on a burst of bad reviews."""

    genuine: bool = Field(
        description="True: open a case for each bad review of the burst (deadlines from now). False: a flood; "
        "the evaluations stay and count in the rates, flagged by this burst, and no case is opened for them."
    )
    reason: Text


class PressureReport(Contract):
    """A citizen's report that someone pressed them to rate, from a rating page: no personal data."""

    report_id: str = Field(description="Derived from the page's form token: the same form reports once.")

    @staticmethod
    def id_for(form_token: str) -> str:
        """The report's case id (a ULID, like every case id) from the served form's token: a second post
        of one form is the same report."""
        return id_of(hashlib.sha256(f"pressure-report#{form_token}".encode()).digest())

    agency_code: AgencyCode
    region_code: str
    window_id: str | None
    item_code: str | None
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    page: str = Field(description="Where it was reported: window_qr, ticket or web_module.")


class Conclusion(Contract):
    """A supervisor's finding on a pressure report, which closes it."""

    finding: Text


StaffCommand = (
    ContactRecord
    | VerificationRecord
    | TriageDecision
    | RectificationRecord
    | AnswerRecord
    | AppealDecision
    | Reassignment
    | Resumption
    | BurstDecision
    | Conclusion
)


class HandlingRatingInput(Contract):
    """The evaluator's rating of the handling, authenticated by the receipt of the evaluation."""

    receipt: Annotated[str, StringConstraints(min_length=8, max_length=64)]
    rating: HandlingRating
    comment: ShortText | None = None
    escalate: bool = Field(
        default=False, description="When dissatisfied: go to the supervisor at once instead of reopening."
    )


# --- what they are shown --------------------------------------------------------------------------


class CaseListQuery(Contract):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="From the previous page."
    )


class Standing(Contract):
    """Where a case stands against its pending deadline, in the working days of its region."""

    last_day: date | None = Field(default=None, description="The local day the deadline closes (its last day).")
    working_days_left: int | None = Field(
        default=None,
        description="Working days left after today, the last day included (0 on the last day); null when none is "
        "pending.",
    )
    overdue_days: int = Field(default=0, description="Natural days past the last day; 0 when not overdue.")
    due_today: bool = False


class CaseListItem(Contract):
    evaluation_id: str
    kind: CaseKind
    item_code: str | None
    agency_code: str
    region_code: str
    window_id: str | None
    level: Level | None
    state: CaseState
    triage: Triage | None
    opened_at: datetime
    due_at: datetime | None = Field(description="The deadline pending now, if any.")
    overdue: bool
    standing: Standing = Field(default_factory=Standing)
    escalated_for: Action | None = None
    item_name_zh: str | None = None
    item_name_en: str | None = None
    agency_name_zh: str | None = None
    window_name_zh: str | None = Field(default=None, description="The window's name in its registry.")
    reopen_count: int = Field(
        default=0, ge=0, description="How many times the evaluator's dissatisfaction reopened it."
    )


class BoardOrder(StrEnum):
    URGENCY = "urgency"  # escalated (for supervisors), overdue, due today, then by deadline
    DEADLINE = "deadline"
    LEVEL = "level"  # very dissatisfied first
    ITEM = "item"
    OPENED = "opened"  # newest first


class CaseBoardQuery(Contract):
    """The console's list: filters, a search over the case number, item and agency, an order and a page."""

    sort: BoardOrder = BoardOrder.URGENCY
    state: CaseState | None = None
    level: Level | None = None
    item: Annotated[str, StringConstraints(max_length=64)] | None = None
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    page: int = Field(default=1, ge=1, le=1000)

    @field_validator("sort", "state", "level", "item", "q", mode="before")
    @classmethod
    def _all_when_empty(cls, value: object, info: ValidationInfo) -> object:
        """A filter form's "all" sends the field empty."""
        if value != "":
            return value
        return BoardOrder.URGENCY if info.field_name == "sort" else None


class CaseBoard(Contract):
    """One page of the console's list, in the order asked for (most urgent first by default)."""

    items: list[CaseListItem]
    total: int = Field(description="Cases that match the filters.")
    page: int
    pages: int
    items_to_filter: list[tuple[str, str]] = Field(description="Service items of the open cases: code and name.")
    incomplete: bool = Field(description="More open cases exist than the list reads at once.")


class Complaint(Contract):
    """What the evaluator said, for the staff who handle it (no personal data)."""

    channel: Channel
    stage: Stage
    level: Level
    reason_codes: list[ReasonCode]
    indicators: dict[str, Level]
    comment: str | None
    created_at: datetime
    window_id: str | None
    item_name_zh: str | None
    item_name_en: str | None
    agency_name_zh: str | None
    follow_up: FollowUp | None


class CasePage(Contract):
    items: list[CaseListItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class ChainProblem(Contract):
    seq: int
    kind: str = Field(description="edited | missing | out_of_order | broken_link | foreign | head_mismatch")
    message: str


class ChainReport(Contract):
    intact: bool
    entries: int
    problems: list[ChainProblem]


class HeldReview(NegativeReviewMessage):
    """A bad review held in a burst, with its item's names from the catalogue."""

    item_name_zh: str | None = None
    item_name_en: str | None = None


# The audit details of a reassignment that name agencies.
AGENCY_DETAILS = ("from_agency", "to_agency")


class CaseView(Contract):
    """One case for its handlers: the case, the decrypted contact (this view is audited), the history."""

    case: Case
    due_at: datetime | None
    overdue: bool
    standing: Standing = Field(default_factory=Standing)
    complaint: Complaint | None = Field(default=None, description="A bad review's case: what the evaluator said.")
    item_name_zh: str | None = None
    item_name_en: str | None = None
    agency_name_zh: str | None = None
    window_name_zh: str | None = Field(default=None, description="The window's name in its registry.")
    contact: EvaluatorContact | None
    history: list[AuditEntry]
    history_agency_names: dict[str, str] = Field(
        default_factory=dict, description="The catalogue names of the agencies the history names (reassignments)."
    )
    chain: ChainReport
    burst: list[HeldReview] = Field(
        default_factory=list, description="A burst case: its bad reviews, oldest first (none for other kinds)."
    )


class SweepReport(Contract):
    escalated: list[str]
    skipped: list[str] = Field(description="Changed by someone else meanwhile, or no longer overdue.")
