"""What crosses a level: the facts of an evaluation and of a case's state, never the evaluator.

Not crossing: the contact (sealed, and only ever for the handlers of the case), the comment and the
case's answer and notes (free text, which may name or reach a person), the receipt hash, the client's
address key and the staff network it came from. `real_name` says only that a contact was given, which
the return-visit rates count.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from govrate.cases.kinds import CaseKind
from govrate.evaluations.models import (
    CaseState,
    Channel,
    EvaluatorKind,
    HandlingRating,
    ReasonCode,
    RecordId,
    Stage,
    WindowId,
)
from govrate.kernel.contracts import AgencyCode, Contract, ItemCode, RegionCode
from govrate.kernel.indicators import INDICATORS, ServiceMode
from govrate.kernel.scale import Level
from govrate.platforms.models import ItemProblem

# A ULID: 26 Crockford base32 characters, the first at most 7 (128 bits).
Ulid = Annotated[str, StringConstraints(pattern=r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
MAX_RELAY_ITEMS = 100


class RelayedEvaluation(Contract):
    """An accepted evaluation's facts, as the level below stored them; idempotent by `evaluation_id`."""

    evaluation_id: Ulid
    item_code: ItemCode | None = None
    item_version: int | None = Field(default=None, ge=1)
    agency_code: AgencyCode
    region_code: RegionCode
    applied_region_code: RegionCode | None = Field(
        default=None, description="Where a trans-regional service was applied for (handled in `region_code`)."
    )
    channel: Channel
    stage: Stage
    level: Level
    mode: ServiceMode | None = None
    indicators: dict[str, Level] = Field(default_factory=dict)
    reason_codes: tuple[ReasonCode, ...] = ()
    record_id: RecordId | None = None
    window_id: WindowId | None = None
    real_name: bool = Field(description="The evaluator left a contact (which stayed in its region).")
    system_given: bool = False
    evaluator_kind: EvaluatorKind = EvaluatorKind.UNKNOWN
    created_at: AwareDatetime

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, indicators: dict[str, Level], info: ValidationInfo) -> dict[str, Level]:
        """Only the indicators of the evaluation's indicator set (of either mode, when it has none)."""
        mode = info.data.get("mode")
        known = {name for each in ([mode] if mode else list(ServiceMode)) for name in INDICATORS[each]}
        unknown = sorted(set(indicators) - known)
        if unknown:
            raise ValueError(f"not in the indicator set: {', '.join(map(repr, unknown))}")
        return indicators


class RelayedCaseState(Contract):
    """A case's state at one version (the length of its audit chain): a newer version replaces an older
    one upstream, an older or equal one changes nothing."""

    case_id: Ulid = Field(description="The case's id: the evaluation id of a bad review's case.")
    kind: CaseKind = CaseKind.BAD_REVIEW
    agency_code: AgencyCode
    region_code: RegionCode
    applied_region_code: RegionCode | None = Field(
        default=None, description="Where a trans-regional service was applied for (handled in `region_code`)."
    )
    item_code: ItemCode | None = None
    state: CaseState
    version: int = Field(ge=1)
    opened_at: AwareDatetime
    evaluated_at: AwareDatetime
    real_name: bool = False
    answered_at: AwareDatetime | None = None
    answered_within_deadline: bool | None = None
    visited_and_rectified: bool = False
    handling_rating: HandlingRating | None = None
    excluded_from_rates: bool = False
    reopen_count: int = Field(default=0, ge=0)


class UpstreamMessage(Contract):
    """One message of the upstream queue: an evaluation or a case state."""

    evaluation: RelayedEvaluation | None = None
    case_state: RelayedCaseState | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.evaluation is None) == (self.case_state is None):
            raise ValueError("an upstream message holds an evaluation or a case state")
        return self

    @property
    def group_id(self) -> str:
        """Messages of one group are delivered in order: an evaluation and its case's states share one."""
        if self.evaluation is not None:
            return self.evaluation.evaluation_id
        assert self.case_state is not None
        return self.case_state.case_id

    @property
    def label(self) -> str:
        """What the message carries, as an operator looks it up: `evaluation <id>`, `case <id> version <n>`."""
        if self.evaluation is not None:
            return f"evaluation {self.evaluation.evaluation_id}"
        assert self.case_state is not None
        return f"case {self.case_state.case_id} version {self.case_state.version}"

    @property
    def deduplication_id(self) -> str:
        if self.evaluation is not None:
            return f"evaluation-{self.evaluation.evaluation_id}"
        assert self.case_state is not None
        return f"case-{self.case_state.case_id}-{self.case_state.version}"


class RelayBatch(Contract):
    """What a downstream stage posts: evaluations and case states, each taken or refused on its own."""

    evaluations: list[RelayedEvaluation] = Field(default_factory=list, max_length=MAX_RELAY_ITEMS)
    case_states: list[RelayedCaseState] = Field(default_factory=list, max_length=MAX_RELAY_ITEMS)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.evaluations and not self.case_states:
            raise ValueError("a relay batch holds at least one evaluation or case state")
        return self

    @classmethod
    def of(cls, messages: list[UpstreamMessage]) -> Self:
        return cls(
            evaluations=[message.evaluation for message in messages if message.evaluation],
            case_states=[message.case_state for message in messages if message.case_state],
        )


class RelayItemStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    STALE = "stale"
    REJECTED = "rejected"


class RelayItemResult(Contract):
    index: int = Field(ge=0, description="Position of the item in its list.")
    status: RelayItemStatus = Field(
        description="stored: taken now; duplicate: the evaluation was stored before; stale: the case is at "
        "this version or a newer one already; rejected: see `problem` (the item will not be taken on a retry)."
    )
    problem: ItemProblem | None = None


class RelayBatchResult(Contract):
    """One result per item, in the order of each list."""

    evaluations: list[RelayItemResult]
    case_states: list[RelayItemResult]
