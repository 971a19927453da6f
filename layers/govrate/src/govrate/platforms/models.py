"""Pydantic models of the regional-platform contract: the evaluation batch and its per-item results.

The per-item results are shared with every other way evaluations come in many at a time (the staff's
CSV upload of transcribed forms).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, ValidationError

from govrate.evaluations.models import CaseProgress, EvaluationAccepted, EvaluationSubmission
from govrate.kernel.contracts import Contract, from_json
from govrate.kernel.errors import GovrateError

MAX_BATCH_ITEMS = 100
MAX_CHANGES = 500

# What became of one item: its acceptance (possibly a replay), or why it was refused.
BatchOutcome = EvaluationAccepted | GovrateError | ValidationError


class EvaluationBatch(Contract):
    """Up to 100 evaluations; each one is accepted or refused on its own."""

    evaluations: list[EvaluationSubmission] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)

    @classmethod
    def items_of(cls, document: Any) -> list[EvaluationSubmission | ValidationError]:
        """Each item of a batch document, validated on its own.

        A document that is not a batch (not an object, no `evaluations`, more than 100 items, an
        unknown member) raises the ValidationError; an invalid item only fails itself.
        """
        try:
            return list(from_json(cls, document).evaluations)
        except ValidationError as exc:
            if any(error["loc"][:1] != ("evaluations",) or len(error["loc"]) < 2 for error in exc.errors()):
                raise
        items: list[EvaluationSubmission | ValidationError] = []
        for item in document["evaluations"]:
            try:
                items.append(from_json(EvaluationSubmission, item))
            except ValidationError as invalid:
                items.append(invalid)
        return items


class BatchItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class FieldError(Contract):
    field: str = Field(description="Path of the offending field within the item, e.g. `evaluator.phone`.")
    message: str


class ItemProblem(Contract):
    """Why an item was rejected: the problem (RFC 9457) a single post of it would have answered."""

    type: str = Field(description="Stable per kind of error, e.g. /problems/validation-error.")
    title: str
    status: int = Field(description="The HTTP status a single post of the item would have answered.")
    detail: str = ""
    errors: list[FieldError] = Field(default_factory=list)


class BatchItemResult(Contract):
    index: int = Field(ge=0, description="Position of the item in `evaluations`.")
    status: BatchItemStatus = Field(
        description="accepted: stored now; duplicate: stored before (a retry), nothing new; rejected: see `problem`."
    )
    evaluation: EvaluationAccepted | None = Field(default=None, description="For accepted and duplicate items.")
    problem: ItemProblem | None = Field(default=None, description="For rejected items.")

    @classmethod
    def of(
        cls,
        index: int,
        outcome: BatchOutcome,
        problem_of: Callable[[GovrateError | ValidationError], ItemProblem],
        **context: Any,
    ) -> Self:
        """The result of an outcome, a refusal described by `problem_of` (the edge's, which knows the
        statuses); `context` fills the fields a subclass adds."""
        if isinstance(outcome, EvaluationAccepted):
            status = BatchItemStatus.DUPLICATE if outcome.replayed else BatchItemStatus.ACCEPTED
            return cls(index=index, status=status, evaluation=outcome, **context)
        return cls(index=index, status=BatchItemStatus.REJECTED, problem=problem_of(outcome), **context)


class BatchResult(Contract):
    """One result per item, in the order of the batch."""

    accepted: int
    duplicate: int
    rejected: int
    results: Sequence[BatchItemResult]

    @classmethod
    def of(cls, results: Sequence[BatchItemResult]) -> Self:
        return cls(
            accepted=sum(result.status is BatchItemStatus.ACCEPTED for result in results),
            duplicate=sum(result.status is BatchItemStatus.DUPLICATE for result in results),
            rejected=sum(result.status is BatchItemStatus.REJECTED for result in results),
            results=results,
        )


class ChangesQuery(Contract):
    """A page of the change feed: after `since` (the cursor of the page before), at most `limit` changes."""

    since: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None,
        description="`next_cursor` of the previous page; absent: from the oldest change kept (30 days).",
    )
    limit: int = Field(default=100, ge=1, le=MAX_CHANGES, description=f"At most this many changes (1–{MAX_CHANGES}).")


class OutcomeChange(Contract):
    """A bad review's case as it stood after one change: its evaluation, regions and progress."""

    evaluation_id: str
    region_code: str = Field(description="Where the service was handled (the case's agency).")
    applied_region_code: str | None = Field(description="Where a trans-regional service was applied for.")
    case: CaseProgress


class OutcomeChanges(Contract):
    """One page of the change feed, oldest first."""

    changes: list[OutcomeChange]
    next_cursor: str = Field(
        description="Pass as `since` for the next page; it stays valid while the changes after it are kept (30 days)."
    )
    more: bool = Field(description="More changes may be waiting now: ask for the next page at once, else poll later.")
