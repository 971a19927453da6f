"""The daily export of evaluations to the analytics bucket.

The closed window is one local calendar day (UTC+08:00 by default): a scheduled run exports the day
before the local date of its event time, a backfill names the day. Every run writes exactly one
file for the day, also when the day had no evaluation: an empty file with the full schema, so that
Athena reads the partition as zero rows, never as a missing day. Only the analytics columns leave
DynamoDB: no evaluator data, and of the comment only whether there was one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from govrate.analytics.store import AnalyticsStore, EvaluationFact
from govrate.evaluations.store import EvaluationRepository, StoredEvaluation
from govrate.kernel.clock import local_day
from govrate.kernel.errors import InvalidInput


class ExportRequest(BaseModel):
    """An EventBridge scheduled event (`time`) or a manual backfill (`{"day": "2026-11-24"}`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    day: date | None = None
    time: AwareDatetime | None = None


class DayExported(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    rows: int
    key: str


def day_to_export(event: Mapping[str, Any], *, now: datetime, utc_offset_hours: int) -> date:
    """The closed day an event asks for; a backfill of today or a later day is refused."""
    request = ExportRequest.model_validate(event)
    today = local_day(now, utc_offset_hours)
    if request.day is not None:
        if request.day >= today:
            raise InvalidInput(
                "the day is not closed yet",
                [{"field": "day", "message": f"must be before {today.isoformat()}"}],
            )
        return request.day
    if request.time is not None:
        return local_day(request.time, utc_offset_hours) - timedelta(days=1)
    raise InvalidInput(
        "the event names no day",
        [{"field": "day", "message": "give a day, or the time of a scheduled event"}],
    )


def evaluation_fact(evaluation: StoredEvaluation) -> EvaluationFact:
    return EvaluationFact(
        evaluation_id=evaluation.evaluation_id,
        created_at=evaluation.created_at.astimezone(UTC),
        item_code=evaluation.item_code,
        agency_code=evaluation.agency_code,
        region_code=evaluation.region_code,
        channel=evaluation.channel.value,
        stage=evaluation.stage.value,
        level=int(evaluation.level),
        bad_review=evaluation.bad_review,
        has_comment=bool(evaluation.comment),
    )


def export_day(day: date, *, evaluations: EvaluationRepository, store: AnalyticsStore) -> DayExported:
    """Write the day's evaluations as one file, replacing an earlier export of the same day."""
    written = store.write_evaluations(day, (evaluation_fact(stored) for stored in evaluations.on_day(day)))
    return DayExported(day=day, rows=written.rows, key=written.key)
