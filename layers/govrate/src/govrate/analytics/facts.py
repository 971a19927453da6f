"""The fact tables: their columns (one list that the Parquet writer, the Glue tables and the SQL read)
and how a stored evaluation, case (this stage's own or a relayed one) or service record becomes a row.

No personal data: evaluator identity and contact, comment text and client addresses never leave
DynamoDB. Of a comment only whether there was one; of a contact only whether there was one (real name).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from govrate.evaluations.models import CaseState, ReasonCode
from govrate.kernel.indicators import INDICATORS
from govrate.kernel.scale import DEFAULT_LEVEL_SCORES, Level

if TYPE_CHECKING:  # the stores (pynamodb) and the cases load only where rows are made, not where results are read
    from govrate.cases.model import Case
    from govrate.evaluations.store import StoredEvaluation
    from govrate.records.store import StoredRecord
    from govrate.upstream.models import RelayedCaseState

# Glue/Hive column types; DuckDB writes the matching Parquet types (see govrate.analytics.parquet).
STRING: Final = "string"
INT: Final = "int"
BOOLEAN: Final = "boolean"
TIMESTAMP: Final = "timestamp"

Row = dict[str, Any]


@dataclass(frozen=True)
class FactTable:
    """One table of the analytics bucket: `s3://<bucket>/<name>/dt=YYYY-MM-DD/<name>.parquet`."""

    name: str
    description: str
    columns: tuple[tuple[str, str], ...]
    day_column: str
    """The timestamp whose local (China) calendar day is the row's `dt` partition."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


# Hive-style partition of every table: the local calendar day.
PARTITION_KEYS: Final[tuple[tuple[str, str], ...]] = (("dt", STRING),)

# Every indicator of every mode, one nullable column each (the set is versioned centrally).
INDICATOR_NAMES: Final = tuple(sorted({name for names in INDICATORS.values() for name in names}))
REASON_CODES: Final = tuple(ReasonCode)

EVALUATIONS = FactTable(
    name="evaluations",
    description="One row per evaluation, partitioned by the China calendar day it was given",
    day_column="created_at",
    columns=(
        ("evaluation_id", STRING),
        ("created_at", TIMESTAMP),
        ("region_code", STRING),
        ("agency_code", STRING),
        ("item_code", STRING),  # null for an evaluation of an agency (hotline, suggestion box, …)
        ("record_id", STRING),  # the service record (办件编号) rated, if any: for the unrated rate
        ("channel", STRING),
        ("stage", STRING),
        ("mode", STRING),
        ("evaluator_kind", STRING),
        ("level", INT),
        ("score", INT),  # the level's 0-100 points for the satisfaction score
        ("bad_review", BOOLEAN),
        ("system_given", BOOLEAN),
        ("real_name", BOOLEAN),
        ("has_comment", BOOLEAN),
        ("excluded", BOOLEAN),  # a bad review whose appeal was upheld: kept, never counted in a rate
        # The interference patterns flagged on it (govrate.integrity), comma-separated; null when none.
        # Flagged evaluations stay in every rate; the results report how many there were.
        ("integrity_flags", STRING),
        *((f"indicator_{name}", INT) for name in INDICATOR_NAMES),
        *((f"reason_{code.value}", BOOLEAN) for code in REASON_CODES),
        # Trans-regional services (跨省通办): where it was applied for, when not where it was handled
        # (`region_code`). Last, so that the partitions written before it read it as null.
        ("applied_region_code", STRING),
    ),
)

CASES = FactTable(
    name="cases",
    description="One row per bad review's case as it stands, partitioned by the day the bad review was given",
    day_column="evaluated_at",
    columns=(
        ("evaluation_id", STRING),
        ("evaluated_at", TIMESTAMP),
        ("opened_at", TIMESTAMP),
        ("region_code", STRING),
        ("agency_code", STRING),
        ("item_code", STRING),
        ("level", INT),
        ("state", STRING),
        ("real_name", BOOLEAN),
        ("contacted", BOOLEAN),
        ("verified", BOOLEAN),
        ("triage", STRING),
        ("rectified", BOOLEAN),
        ("answered", BOOLEAN),
        ("answered_at", TIMESTAMP),
        ("verify_due_at", TIMESTAMP),
        ("answer_due_at", TIMESTAMP),
        ("answered_within_deadline", BOOLEAN),
        ("overdue", BOOLEAN),
        ("reopened", BOOLEAN),
        ("escalated", BOOLEAN),
        ("visited_and_rectified", BOOLEAN),
        ("handling_rating", STRING),
        ("appeal_outcome", STRING),  # upheld | pending | null (no appeal, or a rejected one)
        ("excluded_from_rates", BOOLEAN),
    ),
)

RECORDS = FactTable(
    name="records",
    description="One row per completed service record (办件), partitioned by the day it was completed",
    day_column="completed_at",
    columns=(
        ("record_id", STRING),
        ("completed_at", TIMESTAMP),
        ("region_code", STRING),
        ("agency_code", STRING),
        ("item_code", STRING),
        ("channel", STRING),  # window (a window id was given) or online
        ("stages", INT),
        ("registered_by", STRING),
        ("rated", BOOLEAN),  # an evaluator-given evaluation of it came within RATED_WITHIN_DAYS days
    ),
)

FACT_TABLES: Final = (EVALUATIONS, CASES, RECORDS)

# A record counts as rated (not in the unrated rate's numerator) when an evaluator-given evaluation of
# it is given on the day the record was completed or within this many days after (the rating period is
# 7 days; paper forms are entered later). The export's trailing window must be longer, so that the
# flag is re-written when such a late evaluation arrives.
RATED_WITHIN_DAYS: Final = 31

_PAST_VERIFICATION = frozenset(CaseState) - {CaseState.RECEIVED, CaseState.CONTACTED}


def evaluation_row(
    evaluation: StoredEvaluation,
    *,
    excluded: bool,
    flags: Iterable[str] = (),
    scores: dict[Level, int] = DEFAULT_LEVEL_SCORES,
) -> Row:
    """`excluded`: the evaluation's case says its appeal was upheld (`case.excluded_from_rates`);
    `flags`: the interference patterns flagged on it."""
    reasons = set(evaluation.reason_codes)
    return {
        "evaluation_id": evaluation.evaluation_id,
        "created_at": _utc(evaluation.created_at),
        "region_code": evaluation.region_code,
        "agency_code": evaluation.agency_code,
        "item_code": evaluation.item_code,
        "record_id": evaluation.record_id,
        "channel": evaluation.channel.value,
        "stage": evaluation.stage.value,
        "mode": evaluation.mode.value if evaluation.mode else None,
        "evaluator_kind": evaluation.evaluator_kind.value,
        "level": int(evaluation.level),
        "score": scores[evaluation.level],
        "bad_review": evaluation.bad_review,
        "system_given": evaluation.system_given,
        "real_name": evaluation.real_name,
        "has_comment": bool(evaluation.comment),
        "excluded": excluded,
        "integrity_flags": ",".join(sorted(flags)) or None,
        **{f"indicator_{name}": _level(evaluation.indicators.get(name)) for name in INDICATOR_NAMES},
        **{f"reason_{code.value}": code in reasons for code in REASON_CODES},
        "applied_region_code": evaluation.applied_region_code,
    }


def case_row(case: Case, now: datetime) -> Row:
    return {
        "evaluation_id": case.evaluation_id,
        "evaluated_at": _utc(case.evaluated_at),
        "opened_at": _utc(case.opened_at),
        "region_code": case.region_code,
        "agency_code": case.agency_code,
        "item_code": case.item_code,
        "level": int(case.level) if case.level is not None else None,
        "state": case.state.value,
        "real_name": case.real_name,
        "contacted": case.visited,
        "verified": case.state in _PAST_VERIFICATION,
        "triage": case.triage.value if case.triage else None,
        "rectified": case.rectified,
        "answered": case.answered_at is not None,
        "answered_at": _utc(case.answered_at) if case.answered_at else None,
        "verify_due_at": _utc(case.verify_due_at),
        "answer_due_at": _utc(case.answer_due_at),
        "answered_within_deadline": bool(case.answered_within_deadline),
        "overdue": case.overdue(now),
        "reopened": case.reopen_count > 0,
        "escalated": case.state is CaseState.ESCALATED,
        "visited_and_rectified": case.visited_and_rectified,
        "handling_rating": case.handling_rating.value if case.handling_rating else None,
        "appeal_outcome": _appeal_outcome(case),
        "excluded_from_rates": case.excluded_from_rates,
    }


def relayed_case_row(state: RelayedCaseState) -> Row:
    """A case a downstream stage relayed, in the columns of a case: what the rates read crosses (see
    docs/relay.md) and what its state tells is derived alike; what stays with the downstream (the level,
    the handling steps, the deadlines) is null."""
    return {
        "evaluation_id": state.case_id,
        "evaluated_at": _utc(state.evaluated_at),
        "opened_at": _utc(state.opened_at),
        "region_code": state.region_code,
        "agency_code": state.agency_code,
        "item_code": state.item_code,
        "level": None,
        "state": state.state.value,
        "real_name": state.real_name,
        "contacted": None,
        "verified": state.state in _PAST_VERIFICATION,
        "triage": None,
        "rectified": None,
        "answered": state.answered_at is not None,
        "answered_at": _utc(state.answered_at) if state.answered_at else None,
        "verify_due_at": None,
        "answer_due_at": None,
        "answered_within_deadline": bool(state.answered_within_deadline),
        "overdue": None,
        "reopened": state.reopen_count > 0,
        "escalated": state.state is CaseState.ESCALATED,
        "visited_and_rectified": state.visited_and_rectified,
        "handling_rating": state.handling_rating.value if state.handling_rating else None,
        "appeal_outcome": "upheld" if state.excluded_from_rates else None,
        "excluded_from_rates": state.excluded_from_rates,
    }


def record_row(record: StoredRecord) -> Row:
    """Every column but `rated`, which the export derives from the evaluations (see export.py)."""
    return {
        "record_id": record.record_id,
        "completed_at": _utc(record.completed_at),
        "region_code": record.region_code,
        "agency_code": record.agency_code,
        "item_code": record.item_code,
        "channel": "window" if record.window_id else "online",
        "stages": len(record.stages),
        "registered_by": record.registered_by,
    }


def _appeal_outcome(case: Case) -> str | None:
    if case.excluded_from_rates:
        return "upheld"
    from govrate.cases.model import Triage

    # A rejected appeal clears the triage (the agency triages again), so only its audit chain keeps it.
    return "pending" if case.triage is Triage.APPEAL else None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _level(level: Level | None) -> int | None:
    return int(level) if level is not None else None
