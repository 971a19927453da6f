"""The nightly export: the facts of a trailing window of days, re-written whole every run.

Why a trailing window and not ingestion-date partitions: the facts of a day keep changing after the
day — a case is answered and rated weeks later, a platform posts a record days late, a record is
rated days after its service. Re-exporting each of the last `window_days` days as a complete
snapshot keeps one row per evaluation, case and record, partitioned by the day the rates count it
in, so every query stays a plain filter on `dt`; ingestion-date partitions would hold several
versions of a case and every query would have to pick the newest. Re-writing a day replaces its
objects, so no run can double a row. Changes after the window are picked up by a backfill
(`{"first_day": …, "last_day": …}`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from govrate.analytics.facts import (
    CASES,
    EVALUATIONS,
    RATED_WITHIN_DAYS,
    RECORDS,
    FactTable,
    case_row,
    evaluation_row,
    record_row,
    relayed_case_row,
)
from govrate.kernel.clock import days, local_day
from govrate.kernel.errors import InvalidInput
from govrate.kernel.scale import DEFAULT_LEVEL_SCORES, Level

if TYPE_CHECKING:
    from govrate.analytics.store import AnalyticsBucket
    from govrate.cases.model import Case
    from govrate.cases.store import CaseRepository
    from govrate.evaluations.store import EvaluationRepository, StoredEvaluation
    from govrate.integrity.store import DynamoWatchStore
    from govrate.records.store import ServiceRecordRepository, StoredRecord
    from govrate.upstream.models import RelayedCaseState
    from govrate.upstream.store import RelayedCaseStateRepository

# A day's facts are re-exported for this many days: past the 7-day rating period of a record, the
# 15 working days (three weeks and more over a holiday) to answer a bad review and the rating of the
# handling that follows.
DEFAULT_WINDOW_DAYS = 45
MAX_BACKFILL_DAYS = 400


class AnalysisRequest(BaseModel):
    """An EventBridge scheduled event (`time`), or a backfill: one `day`, or `first_day`..`last_day`."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    day: date | None = None
    first_day: date | None = None
    last_day: date | None = None
    time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_range(self) -> AnalysisRequest:
        if (self.first_day is None) != (self.last_day is None):
            raise ValueError("give both first_day and last_day")
        if self.day is not None and self.first_day is not None:
            raise ValueError("give a day or a range, not both")
        return self


class ExportWindow(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    first_day: date
    last_day: date

    def days(self) -> list[date]:
        return list(days(self.first_day, self.last_day))


class PartitionWritten(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    table: str
    day: date
    rows: int
    key: str


class FactSources(Protocol):
    """Where the facts of a local day come from (the DynamoDB repositories, or fakes in tests)."""

    def evaluations_on(self, day: date) -> Iterable[StoredEvaluation]: ...
    def cases_on(self, day: date) -> Iterable[Case]: ...
    def relayed_cases_on(self, day: date) -> Iterable[RelayedCaseState]:
        """The states of the cases the downstream stages relayed, of the bad reviews of a day."""
        ...

    def records_on(self, day: date) -> Iterable[StoredRecord]: ...
    def integrity_flags_on(self, day: date) -> Mapping[str, Iterable[str]]:
        """The interference patterns flagged on the evaluations of a day, by evaluation id."""
        ...


@dataclass(frozen=True)
class RepositorySources:
    """The facts of a day from DynamoDB, each through its sharded by-day index (never a Scan)."""

    evaluations: EvaluationRepository
    cases: CaseRepository
    relayed_cases: RelayedCaseStateRepository
    records: ServiceRecordRepository
    flags: DynamoWatchStore

    def evaluations_on(self, day: date) -> Iterable[StoredEvaluation]:
        return self.evaluations.on_day(day)

    def cases_on(self, day: date) -> Iterable[Case]:
        return self.cases.cases_on(day)

    def relayed_cases_on(self, day: date) -> Iterable[RelayedCaseState]:
        return self.relayed_cases.states_on(day)

    def records_on(self, day: date) -> Iterable[StoredRecord]:
        return self.records.completed_on(day)

    def integrity_flags_on(self, day: date) -> Mapping[str, Iterable[str]]:
        return self.flags.flagged_on(day)


def window_to_export(
    event: Mapping[str, Any], *, now: datetime, utc_offset_hours: int, window_days: int = DEFAULT_WINDOW_DAYS
) -> ExportWindow:
    """The closed days an event asks for: a schedule, the `window_days` days up to yesterday."""
    try:
        request = AnalysisRequest.model_validate(event)
    except ValueError as exc:
        raise InvalidInput("the event is not an analysis request", [{"field": "event", "message": str(exc)}]) from exc
    today = local_day(now, utc_offset_hours)
    if request.day is not None:
        first, last = request.day, request.day
    elif request.first_day is not None and request.last_day is not None:
        first, last = request.first_day, request.last_day
    elif request.time is not None:
        last = local_day(request.time, utc_offset_hours) - timedelta(days=1)
        first = last - timedelta(days=window_days - 1)
    else:
        raise InvalidInput(
            "the event names no day", [{"field": "day", "message": "give a day, a range, or a scheduled event's time"}]
        )
    if last >= today:
        raise InvalidInput("the day is not closed yet", [{"field": "day", "message": f"must be before {today}"}])
    if first > last or (last - first).days >= MAX_BACKFILL_DAYS:
        raise InvalidInput(
            "the range is not valid",
            [{"field": "first_day", "message": f"on or before last_day, at most {MAX_BACKFILL_DAYS} days"}],
        )
    return ExportWindow(first_day=first, last_day=last)


def export_window(
    window: ExportWindow,
    *,
    sources: FactSources,
    bucket: AnalyticsBucket,
    now: datetime,
    today: date,
    scores: dict[Level, int] = DEFAULT_LEVEL_SCORES,
) -> list[PartitionWritten]:
    """Write every day of the window, each table of each day as one object replacing the last export.

    The cases of a day are this stage's own and those the downstream stages relayed (their latest
    states), one row each alike.

    Flags join the facts here, once, so that every rate is a single pass over one table: an evaluation
    carries the interference patterns flagged on it (`integrity_flags`) and is `excluded` when its case
    (on the same day, its own or relayed) says its appeal was upheld, and a record is `rated` when an evaluator-given
    evaluation of it came within RATED_WITHIN_DAYS days. For those, the evaluations of the closed days
    after a backfill's window are read too (and not uploaded).
    """
    # DuckDB only in the analyze job (its layer), not in the functions that read the results.
    from govrate.analytics.parquet import connect, register_table, write_parquet

    ratings_until = min(window.last_day + timedelta(days=RATED_WITHIN_DAYS), today - timedelta(days=1))
    written = []
    with (
        tempfile.TemporaryDirectory(prefix="govrate-export-") as scratch,
        connect(temp_directory=Path(scratch)) as connection,
    ):
        evaluation_files = []
        for day in days(window.first_day, max(ratings_until, window.last_day)):
            cases = list(sources.cases_on(day))
            own = {case.evaluation_id for case in cases}
            # A case is this stage's own or a downstream's, never both: an own one wins a (forged) clash.
            relayed = [state for state in sources.relayed_cases_on(day) if state.case_id not in own]
            excluded = {case.evaluation_id for case in cases if case.excluded_from_rates} | {
                state.case_id for state in relayed if state.excluded_from_rates
            }
            flagged = sources.integrity_flags_on(day)
            evaluations = (
                evaluation_row(
                    stored,
                    excluded=stored.evaluation_id in excluded,
                    flags=flagged.get(stored.evaluation_id, ()),
                    scores=scores,
                )
                for stored in sources.evaluations_on(day)
            )
            # Kept under a dt= folder until the records are flagged from them.
            path = Path(scratch) / EVALUATIONS.name / f"dt={day.isoformat()}" / f"{EVALUATIONS.name}.parquet"
            path.parent.mkdir(parents=True)
            count = write_parquet(connection, EVALUATIONS, evaluations, path, Path(scratch))
            evaluation_files.append(path)
            if day <= window.last_day:
                written.append(_put(bucket, EVALUATIONS, day, path, count))
                path = Path(scratch) / f"{CASES.name}.parquet"
                rows = chain((case_row(case, now) for case in cases), (relayed_case_row(state) for state in relayed))
                count = write_parquet(connection, CASES, rows, path, Path(scratch))
                written.append(_put(bucket, CASES, day, path, count))
        register_table(connection, EVALUATIONS, evaluation_files)
        connection.execute(
            "CREATE TEMP TABLE ratings AS SELECT DISTINCT region_code, record_id, CAST(dt AS DATE) AS day "
            "FROM evaluations WHERE record_id IS NOT NULL AND NOT system_given ORDER BY day"
        )
        for day in window.days():
            rated = (  # only dates are interpolated
                "EXISTS (SELECT 1 FROM ratings WHERE ratings.region_code = staged.region_code "  # noqa: S608
                "AND ratings.record_id = staged.record_id "
                f"AND ratings.day BETWEEN DATE '{day.isoformat()}' "
                f"AND DATE '{(day + timedelta(days=RATED_WITHIN_DAYS)).isoformat()}')"
            )
            records = (record_row(record) for record in sources.records_on(day))
            path = Path(scratch) / f"{RECORDS.name}.parquet"
            count = write_parquet(connection, RECORDS, records, path, Path(scratch), derived={"rated": rated})
            written.append(_put(bucket, RECORDS, day, path, count))
    return written


def _put(bucket: AnalyticsBucket, table: FactTable, day: date, path: Path, rows: int) -> PartitionWritten:
    return PartitionWritten(table=table.name, day=day, rows=rows, key=bucket.put_partition(table, day, path))
