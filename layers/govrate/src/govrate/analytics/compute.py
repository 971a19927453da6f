"""Every rate and ranking of one month, computed by DuckDB with the deployed SQL over the month's facts."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from govrate.analytics.facts import CASES, EVALUATIONS, REASON_CODES, RECORDS
from govrate.analytics.queries import (
    APPLIED_ELSEWHERE,
    BAD_REVIEWS_BY_REASON,
    RankingName,
    RateName,
    query,
    ranking_queries,
    rate_queries,
)
from govrate.evaluations.models import ReasonCode

if TYPE_CHECKING:
    from govrate.analytics.store import AnalyticsBucket


class Cell(BaseModel):
    """One rate of one day, region, agency and service item (item null: an evaluation of an agency)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    dt: date
    region_code: str
    agency_code: str
    item_code: str | None
    numerator: int
    denominator: int


class ReasonCell(BaseModel):
    """The bad reviews of one day, region, agency and service item, and how many named each reason code."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    dt: date
    region_code: str
    agency_code: str
    item_code: str | None
    bad_reviews: int
    reasons: dict[ReasonCode, int]

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> ReasonCell:
        """A row of `bad_reviews_by_reason.sql`: its `reason_<code>` columns become `reasons`."""
        reasons = {code: row.pop(f"reason_{code.value}") for code in REASON_CODES}
        return cls.model_validate({**row, "reasons": reasons})


class RankedEntry(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    place: int
    region_code: str | None = None
    agency_code: str
    item_code: str | None = None
    good: int
    rated: int
    score_points: int

    @property
    def good_review_rate(self) -> float:
        return self.good / self.rated

    @property
    def satisfaction_score(self) -> float:
        return self.score_points / self.rated


class MonthCells(BaseModel):
    """What one run computed for a month: day cells of every rate and of the bad reviews by reason code,
    and the rankings of the month."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    month: str
    ranking_min_count: int
    cells: dict[RateName, list[Cell]]
    # Empty in the cells of a month computed before the query existed, until a backfill recomputes it.
    reasons: list[ReasonCell] = Field(default_factory=list)
    # Trans-regional evaluations by applied-for region (`applied_elsewhere.sql`): good / rated cells.
    applied_elsewhere: list[Cell] = Field(default_factory=list)
    rankings: dict[RankingName, list[RankedEntry]]


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def months_between(first: date, last: date) -> list[date]:
    months = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = month_end(month) + timedelta(days=1)
    return months


def compute_month(
    month: date, *, bucket: AnalyticsBucket, ranking_min_count: int, memory_limit: str = "1GB"
) -> MonthCells:
    """Download the month's facts and run every query (each one pass over one table of the month)."""
    # DuckDB and scratch files only where months are computed (the analyze job), not where results are read.
    import tempfile

    from govrate.analytics.parquet import connect, fetch_rows, register_table

    first, last = month_start(month), month_end(month)
    with tempfile.TemporaryDirectory(prefix="govrate-rates-") as scratch:
        target = Path(scratch)
        with connect(memory_limit=memory_limit, temp_directory=target) as connection:
            register_table(connection, EVALUATIONS, bucket.download_partitions(EVALUATIONS, first, last, target))
            register_table(connection, CASES, bucket.download_partitions(CASES, first, last, target))
            register_table(connection, RECORDS, bucket.download_partitions(RECORDS, first, last, target))
            values = {
                "from_day": first.isoformat(),
                "to_day": last.isoformat(),
                "min_count": ranking_min_count,
            }
            cells = {
                rate: [Cell.model_validate(row) for row in fetch_rows(connection, q.sql, q.arguments(values))]
                for rate, q in rate_queries().items()
            }
            by_reason = query(BAD_REVIEWS_BY_REASON)
            reasons = [
                ReasonCell.of_row(row) for row in fetch_rows(connection, by_reason.sql, by_reason.arguments(values))
            ]
            applied = query(APPLIED_ELSEWHERE)
            applied_elsewhere = [
                Cell.model_validate(row) for row in fetch_rows(connection, applied.sql, applied.arguments(values))
            ]
            rankings = {
                ranking: [RankedEntry.model_validate(row) for row in fetch_rows(connection, q.sql, q.arguments(values))]
                for ranking, q in ranking_queries().items()
            }
    return MonthCells(
        month=f"{month:%Y-%m}",
        ranking_min_count=ranking_min_count,
        cells=cells,
        reasons=reasons,
        applied_elsewhere=applied_elsewhere,
        rankings=rankings,
    )
