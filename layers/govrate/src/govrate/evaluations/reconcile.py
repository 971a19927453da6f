"""The reconciler: the last line behind the outbox. Whatever became of the stream, the relay or the
queue, every bad review gets its case (or is held in a burst for a supervisor's decision): a bad
review found without either is sent to the negative-review queue again, and the consumer opens
exactly one case per evaluation however many messages come."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from govrate.cases.model import BurstOutcome
from govrate.evaluations.models import NegativeReviewMessage
from govrate.kernel.errors import NotFound

if TYPE_CHECKING:
    from govrate.cases.store import CaseRepository
    from govrate.evaluations.store import EvaluationRepository
    from govrate.storage.queue import MessageQueue


class ReconcileReport(BaseModel):
    model_config = ConfigDict(defer_build=True)

    bad_reviews: int = 0
    resent: list[str] = []


def reconcile_bad_reviews(
    days: Iterable[date],
    *,
    evaluations: EvaluationRepository,
    cases: CaseRepository,
    queue: MessageQueue,
    settled_before: datetime,
) -> ReconcileReport:
    """Send again every bad review of the local `days` that has no case. Reviews created after
    `settled_before` are left to the relay, which normally takes seconds."""
    report = ReconcileReport()
    for day in days:
        for evaluation in evaluations.on_day(day):
            # A relayed bad review has its case where it was given.
            if not evaluation.bad_review or evaluation.relayed_by or evaluation.created_at > settled_before:
                continue
            report.bad_reviews += 1
            try:
                cases.get(evaluation.evaluation_id)
            except NotFound:
                if _awaits_no_case(evaluation.evaluation_id, cases):
                    continue
                queue.publish(
                    NegativeReviewMessage(
                        evaluation_id=evaluation.evaluation_id,
                        item_code=evaluation.item_code,
                        agency_code=evaluation.agency_code,
                        region_code=evaluation.region_code,
                        level=evaluation.level,
                        created_at=evaluation.created_at,
                    )
                )
                report.resent.append(evaluation.evaluation_id)
    return report


def _awaits_no_case(evaluation_id: str, cases: CaseRepository) -> bool:
    """Held in a burst that awaits its supervisor's decision or was judged a flood: no case is due. A
    review of a burst judged genuine is due its case, so it is sent again like any other."""
    burst_id = cases.burst_holding(evaluation_id)
    return burst_id is not None and cases.get(burst_id).burst_outcome is not BurstOutcome.GENUINE
