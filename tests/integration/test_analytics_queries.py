"""Every rate and ranking SQL file, run by DuckDB over the exported Parquet (moto S3), against an
independent Python computation over the same generated data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import boto3
import pytest
from govrate.analytics.compute import compute_month
from govrate.analytics.export import ExportWindow, export_window
from govrate.analytics.facts import RATED_WITHIN_DAYS
from govrate.analytics.queries import RankingName, RateName
from govrate.analytics.store import AnalyticsBucket
from govrate.evaluations.models import ReasonCode

from tests.integration.analytics_support import (
    CST,
    FakeSources,
    cell_tuples,
    expected_applied,
    expected_cells,
    expected_rankings,
    expected_reasons,
    generate,
    reason_tuples,
)
from tests.integration.conftest import MotoWorld

NOW = datetime(2026, 12, 10, 1, 0, tzinfo=CST)
MIN_COUNT = 15

# The module's tests share one export; in one xdist group they run one after the other, so no other
# test's clean-up (which deletes the buckets it does not know) comes between them.
pytestmark = pytest.mark.xdist_group("analytics-queries")


@pytest.fixture(scope="module")
def exported(moto_world: MotoWorld) -> Iterator[tuple[FakeSources, AnalyticsBucket]]:
    """One export for the whole module, in the shared moto world (a mock of its own would reset that
    world for every later test of the process): the queries only read it."""
    s3 = boto3.client("s3", region_name="cn-north-1")
    s3.create_bucket(Bucket="rates", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    sources = generate(seed=7, first_day=date(2026, 10, 20), days=44).as_of(NOW.date())
    bucket = AnalyticsBucket("rates", s3)
    window = ExportWindow(first_day=date(2026, 10, 20), last_day=date(2026, 12, 9))
    export_window(window, sources=sources, bucket=bucket, now=NOW, today=NOW.date())
    yield sources, bucket
    moto_world.baseline.restore()


@pytest.mark.parametrize("month", [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)])
def test_every_rate_matches_the_python_computation(exported: tuple[FakeSources, AnalyticsBucket], month: date) -> None:
    sources, bucket = exported
    computed = compute_month(month, bucket=bucket, ranking_min_count=MIN_COUNT)
    expected = expected_cells(sources, month)
    for rate in RateName:
        assert cell_tuples(computed.cells[rate]) == expected[rate], rate
    assert reason_tuples(computed.reasons) == expected_reasons(sources, month)
    # The data has what makes the rates differ: the checks above would not hold by accident.
    assert computed.cells[RateName.GOOD_REVIEW_RATE] != computed.cells[RateName.ACTIVE_GOOD_REVIEW_RATE]
    assert any(cell.item_code is None for cell in computed.cells[RateName.GOOD_REVIEW_RATE])


def test_trans_regional_evaluations_count_in_the_handling_region_and_apart_in_the_applied_for_one(
    exported: tuple[FakeSources, AnalyticsBucket],
) -> None:
    sources, bucket = exported
    november = compute_month(date(2026, 11, 1), bucket=bucket, ranking_min_count=MIN_COUNT)
    assert cell_tuples(november.applied_elsewhere) == expected_applied(sources, date(2026, 11, 1))
    applied_for = {cell.region_code for cell in november.applied_elsewhere}
    assert applied_for == {"110105", "513231"}
    # Each is in the rates once, in its handling region: the applied-for region's figure is no rate cell.
    rated = sum(cell.denominator for cell in november.cells[RateName.GOOD_REVIEW_RATE])
    given = sum(
        1
        for day, evaluations in sources.evaluations.items()
        if day.month == 11
        for evaluation in evaluations
        if evaluation.evaluation_id
        not in {case.evaluation_id for case in sources.cases.values() if case.excluded_from_rates}
    )
    assert rated == given


def test_bad_reviews_by_reason_count_each_reason_named_and_leave_upheld_appeals_out(
    exported: tuple[FakeSources, AnalyticsBucket],
) -> None:
    sources, bucket = exported
    november = compute_month(date(2026, 11, 1), bucket=bucket, ranking_min_count=MIN_COUNT).reasons
    bad_reviews = sum(cell.bad_reviews for cell in november)
    named = sum(sum(cell.reasons.values()) for cell in november)
    # Bad reviews name several reasons, and every reason code occurs.
    assert bad_reviews < named
    assert all(sum(cell.reasons[code] for cell in november) > 0 for code in ReasonCode)
    # Upheld appeals of November are in the data and not counted.
    upheld = [
        case
        for case in sources.cases.values()
        if case.excluded_from_rates and case.evaluated_at.astimezone(CST).month == 11
    ]
    given = [
        evaluation
        for day, evaluations in sources.evaluations.items()
        if day.month == 11
        for evaluation in evaluations
        if evaluation.level.is_bad_review
    ]
    assert upheld and bad_reviews == len(given) - len(upheld)


def test_edge_cases_are_in_the_data_and_counted_as_defined(exported: tuple[FakeSources, AnalyticsBucket]) -> None:
    sources, bucket = exported
    november = compute_month(date(2026, 11, 1), bucket=bucket, ranking_min_count=MIN_COUNT)
    every_case = list(sources.cases.values())
    assert any(case.excluded_from_rates for case in every_case)
    # Cases opened in November and answered in December count in November.
    assert any(
        case.evaluated_at.month == 11 and case.answered_at is not None and case.answered_at.month == 12
        for case in every_case
    )
    assert any(cell.item_code is None for cell in november.cells[RateName.GOOD_REVIEW_RATE])
    # A record rated too late (past RATED_WITHIN_DAYS) is in the data, and so counted as unrated.
    completed = {
        (record.region_code, record.record_id): day for day, records in sources.records.items() for record in records
    }
    assert any(
        evaluation.record_id
        and (day - completed[(evaluation.region_code, evaluation.record_id)]).days > RATED_WITHIN_DAYS
        for day, evaluations in sources.evaluations.items()
        for evaluation in evaluations
    )
    # An empty month: every query answers no rows, not an error.
    empty = compute_month(date(2026, 6, 1), bucket=bucket, ranking_min_count=MIN_COUNT)
    assert all(cells == [] for cells in empty.cells.values())
    assert all(entries == [] for entries in empty.rankings.values())


@pytest.mark.parametrize("month", [date(2026, 11, 1), date(2026, 12, 1)])
def test_every_ranking_matches_the_python_computation(
    exported: tuple[FakeSources, AnalyticsBucket], month: date
) -> None:
    sources, bucket = exported
    computed = compute_month(month, bucket=bucket, ranking_min_count=MIN_COUNT)
    expected = expected_rankings(sources, month, MIN_COUNT)
    for name in (RankingName.AGENCIES_IN_REGION, RankingName.ITEMS_IN_AGENCY):
        assert sorted(computed.rankings[name], key=_order) == sorted(expected[name], key=_order), name
    for name in (RankingName.BOTTOM_AGENCIES, RankingName.BOTTOM_ITEMS):
        assert computed.rankings[name] == expected[name], name
    # Something fell below the minimum count, and so was not ranked.
    assert len(computed.rankings[RankingName.ITEMS_IN_AGENCY]) < 5


def _order(entry: Any) -> tuple[str, str]:
    return (entry.agency_code, entry.item_code or "")
