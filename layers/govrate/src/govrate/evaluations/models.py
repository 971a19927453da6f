"""Pydantic models for every input and output of the public contracts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from govrate.kernel.contracts import AgencyCode, Contract, ItemCode, RegionCode
from govrate.kernel.indicators import INDICATOR_SET_VERSION, INDICATORS, ServiceMode
from govrate.kernel.scale import Level


class Channel(StrEnum):
    WINDOW_DEVICE = "window_device"
    WINDOW_QR = "window_qr"
    WEB_MODULE = "web_module"
    MOBILE_APP = "mobile_app"
    PAPER = "paper"
    HOTLINE = "hotline"
    SUGGESTION_BOX = "suggestion_box"
    EMAIL = "email"
    SUPERVISION_PLATFORM = "supervision_platform"
    SURVEY = "survey"
    PLATFORM_API = "platform_api"
    # Only the default-rating sweep gives this channel, for a region's system-given rating.
    SYSTEM = "system"


class Stage(StrEnum):
    ACCEPT = "accept"
    APPROVE = "approve"
    DELIVER = "deliver"
    OVERALL = "overall"


class ReasonCode(StrEnum):
    """Why a bad review is bad; at least one is required for levels 1 and 2."""

    ATTITUDE = "attitude"
    SLOW = "slow"
    UNCLEAR_REQUIREMENTS = "unclear_requirements"
    REPEATED_TRIPS = "repeated_trips"
    SYSTEM_FAULT = "system_fault"
    POLICY = "policy"
    OTHER = "other"


# Channels where the evaluator is at a window, so the on-site indicators apply unless stated otherwise.
ONSITE_CHANNELS = frozenset({Channel.WINDOW_DEVICE, Channel.WINDOW_QR, Channel.PAPER})
ONLINE_CHANNELS = frozenset({Channel.WEB_MODULE, Channel.MOBILE_APP})
# Channels that carry no service record: their evaluations are of a service item or of an agency.
UNRECORDED_CHANNELS = frozenset(
    {Channel.HOTLINE, Channel.SUGGESTION_BOX, Channel.EMAIL, Channel.SUPERVISION_PLATFORM, Channel.SURVEY}
)


class EvaluatorKind(StrEnum):
    """Who evaluated: the circular grants the right to citizens and enterprises alike."""

    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"
    UNKNOWN = "unknown"


class CaseState(StrEnum):
    RECEIVED = "received"
    CONTACTED = "contacted"
    VERIFIED = "verified"
    TRIAGED = "triaged"
    RECTIFIED = "rectified"
    ANSWERED = "answered"
    RATED = "rated"
    CLOSED = "closed"
    ESCALATED = "escalated"


RecordId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{3,63}$")]
WindowId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{1,63}$")]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class EvaluatorContact(Contract):
    """A real-name evaluator's contact, given only by choice; stored encrypted, shown only to case handlers."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")] | None = Field(
        default=None, description="Mainland mobile number, 11 digits."
    )
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")] | None = None
    consent: Literal[True] = Field(
        description="The evaluator agrees to be contacted about this evaluation and its handling."
    )

    @model_validator(mode="after")
    def _reachable(self) -> EvaluatorContact:
        if self.phone is None and self.email is None:
            raise ValueError("give a phone number or an e-mail address, or evaluate anonymously")
        return self


class EvaluationBody(Contract):
    """What an evaluation says, whoever submits it; the channel is added by the path it arrives on."""

    item_code: ItemCode | None = Field(
        default=None,
        description="Catalogue code of the service item; may be omitted only by channels without a "
        "service record (hotline, suggestion box, e-mail, supervision platform, survey).",
    )
    item_version: int | None = Field(default=None, ge=1, description="Catalogue version; default current.")
    agency_code: AgencyCode = Field(description="Code of the agency that delivered the service.")
    region_code: RegionCode = Field(
        description="GB/T 2260 division code of the region that handled the service (its agency's region)."
    )
    applied_region_code: RegionCode | None = Field(
        default=None,
        description="Trans-regional service (跨省通办 / 异地办理): the division where it was applied for, when another "
        "than `region_code`. The case of a bad review goes to the handling agency; both regions see the evaluation. "
        "The same code as `region_code` is the same as none.",
    )
    level: Level = Field(description="Overall level: 5 very satisfied … 1 very dissatisfied.")
    stage: Stage = Field(default=Stage.OVERALL, description="The stage of a multi-stage service rated.")
    record_id: RecordId | None = Field(
        default=None, description="Service record (办件编号); at most one evaluation per record and stage."
    )
    ticket: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None,
        description="The evaluation ticket of the service record (from its QR code or SMS link); required "
        "with record_id on the public endpoint, where it proves the evaluator was served.",
    )
    window_id: WindowId | None = Field(
        default=None,
        description="The service window; it must be in the window register, of the agency and offer the item.",
    )
    external_id: RecordId | None = Field(
        default=None,
        description="The submitter's own id for this evaluation; a repeat with the same id is recognised "
        "as a replay. Required from platforms for evaluations without a service record.",
    )
    mode: ServiceMode | None = Field(
        default=None, description="online or onsite; chooses the indicator set. Default from the channel."
    )
    indicators: dict[str, Level] = Field(
        default_factory=dict, description="Per-indicator levels from the indicator set of the mode."
    )
    reason_codes: list[ReasonCode] = Field(
        default_factory=list, max_length=7, description="Required for a bad review (level 1 or 2)."
    )
    comment: Comment | None = None
    evaluator: EvaluatorContact | None = Field(default=None, description="Absent: anonymous evaluation.")
    evaluator_kind: EvaluatorKind = Field(
        default=EvaluatorKind.UNKNOWN, description="A citizen or an enterprise, if the evaluator says so."
    )

    @model_validator(mode="before")
    @classmethod
    def _applied_elsewhere_only(cls, data: Any) -> Any:
        """Applied for where it was handled is no trans-regional service: one form of it, for replays."""
        applied = data.get("applied_region_code") if isinstance(data, dict) else None
        if applied is not None and applied == data.get("region_code"):
            return {**data, "applied_region_code": None}
        return data


class PublicEvaluationSubmission(EvaluationBody):
    """An evaluation posted to the public endpoint, where the server decides the channel."""

    applied_region_code: None = Field(
        default=None,
        description="Not on the public endpoint: who may state a trans-regional service is a platform or staff, "
        "never an anonymous page (it would count in another region's results).",
    )

    channel: Channel | None = Field(
        default=None,
        description="Decided by the server: `window_qr` for a record served at a window (rated with its ticket), "
        "`mobile_app` otherwise. May be omitted; any other channel is refused, since this endpoint cannot vouch "
        "for it (kiosks, web modules, platforms and staff uploads have their own paths).",
    )

    def in_channel(self, channel: Channel) -> EvaluationSubmission:
        return EvaluationSubmission.model_validate({**self.model_dump(exclude={"channel"}), "channel": channel})


class EvaluationSubmission(EvaluationBody):
    """An evaluation in the channel it arrived through: as a kiosk, a page, a platform or staff submit it."""

    channel: Channel

    @property
    def effective_mode(self) -> ServiceMode | None:
        if self.mode is not None:
            return self.mode
        if self.channel in ONSITE_CHANNELS:
            return ServiceMode.ONSITE
        if self.channel in ONLINE_CHANNELS:
            return ServiceMode.ONLINE
        return None

    def inconsistencies(self) -> list[dict[str, str]]:
        """Rules that span fields, as `{"field", "message"}` errors (empty when consistent)."""
        errors: list[dict[str, str]] = []
        if self.channel is Channel.SYSTEM:
            errors.append({"field": "channel", "message": "system ratings are given only by the system"})
        if self.level.is_bad_review and not self.reason_codes:
            errors.append({"field": "reason_codes", "message": "a bad review (level 1 or 2) needs a reason code"})
        if not self.level.is_bad_review and self.reason_codes:
            errors.append({"field": "reason_codes", "message": "reason codes belong to bad reviews only"})
        if len(set(self.reason_codes)) != len(self.reason_codes):
            errors.append({"field": "reason_codes", "message": "a reason code is given twice"})
        if self.item_code is None and self.channel not in UNRECORDED_CHANNELS:
            errors.append({"field": "item_code", "message": f"channel {self.channel} evaluates a service item"})
        if self.record_id is not None and self.channel in UNRECORDED_CHANNELS:
            errors.append({"field": "record_id", "message": f"channel {self.channel} carries no service record"})
        mode = self.effective_mode
        allowed = INDICATORS[mode] if mode else ()
        errors.extend(
            {
                "field": f"indicators.{name}",
                "message": f"not an indicator of set {INDICATOR_SET_VERSION} for mode {mode or 'unstated'}",
            }
            for name in sorted(set(self.indicators) - set(allowed))
        )
        return errors


class EvaluationAccepted(Contract):
    evaluation_id: str = Field(description="ULID of the stored evaluation.")
    receipt: str | None = Field(
        description="Secret that lets the evaluator follow this evaluation. Given once: null on a replay."
    )
    status_url: str | None = Field(description="Relative URL where the evaluator follows the evaluation.")
    bad_review: bool
    replayed: bool = Field(default=False, description="True when this repeats an evaluation already stored.")


class HandlingRating(StrEnum):
    """The evaluator's rating of how the bad review was handled."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


class CaseSummary(Contract):
    """What the evaluator may see of the case opened for a bad review."""

    state: CaseState
    opened_at: datetime
    answer: str | None = Field(default=None, description="The agency's answer to the evaluator.")
    answered_at: datetime | None = None
    awaiting_rating: bool = Field(default=False, description="True while the evaluator may rate the handling.")
    handling_rating: HandlingRating | None = None
    reopened: bool = Field(default=False, description="The evaluator was dissatisfied and the case was reopened.")
    reopen_count: int = Field(default=0, ge=0, description="How many times the case was reopened.")
    due_at: datetime | None = Field(
        default=None, description="When the agency must have acted by (verified, or answered) in the state it is in."
    )


class CaseProgress(CaseSummary):
    """A bad review's case as the platform that posted the review may follow it: what the evaluator sees,
    with the deadlines and when it last changed. Never the contact, the staff's notes or findings."""

    agency_code: str | None = Field(
        default=None,
        description="The agency handling the case now: the evaluation's agency until the case is reassigned.",
    )
    verify_due_at: datetime | None = Field(
        description="When the agency must have verified the review (return visit); null for a relayed case."
    )
    answer_due_at: datetime | None = Field(
        description="When the agency must have answered the evaluator; null for a relayed case."
    )
    answered_within_deadline: bool | None = Field(
        default=None, description="Whether the first answer came before `answer_due_at`; null until answered."
    )
    escalated: bool = Field(default=False, description="With the supervisors now (dissatisfied, or overdue).")
    changed_at: datetime | None = Field(
        description="When the case last changed as the evaluator sees it; null for a relayed case."
    )
    relayed_by: str | None = Field(
        default=None,
        description="For a case handled at the downstream stage that relayed the evaluation: that stage (its "
        "platform id here). The case is then its newest relayed state, without the answer's text and the deadlines.",
    )


class FollowUpSubmission(Contract):
    """One follow-up review (追评) of an evaluation, by the holder of its receipt."""

    receipt: Annotated[str, StringConstraints(min_length=8, max_length=64)]
    comment: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    level: Level | None = Field(default=None, description="A level for how things stand now; optional.")


class FollowUp(Contract):
    comment: str
    level: Level | None
    created_at: datetime


class BurstHold(StrEnum):
    AWAITING = "awaiting"
    FLOOD = "flood"


class EvaluationStatus(Contract):
    evaluation_id: str
    item_code: str | None
    agency_code: str
    region_code: str
    channel: Channel
    stage: Stage
    level: Level
    level_label_zh: str
    level_label_en: str
    comment: str | None
    reason_codes: list[ReasonCode] = Field(default_factory=list, description="Why a bad review is bad.")
    created_at: datetime
    bad_review: bool
    case: CaseSummary | None = Field(
        default=None,
        description="The handling of a bad review; null until the case is opened (a relayed one's, until its first "
        "state is relayed).",
    )
    burst: BurstHold | None = Field(
        default=None,
        description="A bad review held with others received at the same time, for the supervising authority "
        "to review together: `awaiting` a decision, or `flood` (reviewed together, no separate case; it still "
        "counts in the published results). Null otherwise, including once the burst is judged genuine (the "
        "review then has its own case).",
    )
    follow_up: FollowUp | None = None


class EvaluationOutcome(EvaluationStatus):
    """An evaluation as the platform that may read it follows it: what the evaluator's status page shows,
    and of a bad review's case its deadlines too. Never the evaluator's contact, the staff's notes or
    findings."""

    applied_region_code: str | None = Field(
        default=None, description="Where a trans-regional service was applied for; null when where it was handled."
    )
    case: CaseProgress | None = Field(  # the evaluator's summary, with the deadlines
        default=None, description="The handling of a bad review; null until the case is opened."
    )


class NegativeReviewMessage(Contract):
    """The SQS message that asks the verify function to open a case. It carries no personal data."""

    evaluation_id: str
    item_code: str | None
    agency_code: str
    region_code: str
    level: Level
    created_at: datetime


class ServiceItem(Contract):
    item_code: ItemCode
    version: int = Field(ge=1)
    name_zh: str
    name_en: str
    agency_code: AgencyCode
    agency_name_zh: str
    region_code: RegionCode
    region_name_zh: str
    channels: tuple[str, ...]
    stages: tuple[Stage, ...]
    promised_days: int = Field(ge=0)


class ApplicantContact(Contract):
    """How to invite the applicant to rate (SMS or e-mail); stored encrypted, never shown in analytics."""

    phone: Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")] | None = None


class ServiceRecordRegistration(Contract):
    """A completed transaction (办件), registered by a window system or a regional platform."""

    record_id: RecordId = Field(description="The record number (办件编号), unique within the region.")
    item_code: ItemCode
    item_version: int | None = Field(default=None, ge=1, description="Catalogue version; default current.")
    agency_code: AgencyCode
    region_code: RegionCode
    window_id: WindowId | None = None
    stages: list[Stage] = Field(
        default_factory=lambda: [Stage.OVERALL],
        min_length=1,
        max_length=4,
        description="Stages that can be rated: accept, approve, deliver, or overall alone.",
    )
    completed_at: AwareDatetime = Field(description="RFC 3339 with offset, when the service was completed.")
    applicant: ApplicantContact | None = None


class ServiceRecordRegistered(Contract):
    record_id: str
    region_code: str
    ticket_url: str = Field(description="Evaluation ticket for the SMS, the receipt or the kiosk (QR).")
    evaluation_deadline: datetime = Field(description="The record can be rated until then.")
    replayed: bool = Field(default=False, description="True when the record was registered before.")


class CataloguePage(Contract):
    items: list[ServiceItem]
    cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class ServiceItemQuery(Contract):
    region: RegionCode | None = Field(default=None, description="Items of this division.")
    agency: AgencyCode | None = Field(default=None, description="Items of this agency.")
    q: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = Field(
        default=None, description="A keyword in the name (Chinese or English) or the code."
    )
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="From the previous page."
    )


class ReceiptQuery(Contract):
    receipt: Annotated[str, StringConstraints(min_length=8, max_length=64)] = Field(
        description="The receipt given when the evaluation was accepted."
    )
