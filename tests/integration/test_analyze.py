"""The analyze job on moto: the trailing window's facts to Parquet, the rates, the published results;
late data counted, reruns never doubling, and no personal data in the facts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import analyze_job
import boto3
import pytest
import time_machine
from govrate.analytics.export import ExportWindow, window_to_export
from govrate.analytics.facts import CASES, EVALUATIONS, RATED_WITHIN_DAYS, RECORDS
from govrate.analytics.parquet import read_rows
from govrate.analytics.queries import RateName
from govrate.analytics.results import INDEX_KEY, ResultsIndex, ScopeResults, document_key
from govrate.analytics.scopes import ScopeKind
from govrate.analytics.service import analyze
from govrate.analytics.store import AnalyticsBucket, partition_key
from govrate.cases.model import Triage
from govrate.evaluations.models import CaseState, Channel, EvaluatorKind
from govrate.evaluations.store import EvaluationRepository
from govrate.integrity.patterns import Flag, Pattern
from govrate.integrity.store import DynamoWatchStore
from govrate.kernel.errors import InvalidInput, NotFound
from govrate.kernel.scale import Level
from govrate.records.store import ServiceRecordRepository

from tests.integration.analytics_support import (
    CST,
    FakeSources,
    at,
    case_of,
    generate,
    make_evaluation,
    make_record,
    relayed,
    relayed_state,
)
from tests.integration.conftest import AwsResources

# EventBridge runs the job at 00:30 China time: 16:30 UTC of the last day exported.
SCHEDULED_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-24T16:30:00Z",
    "region": "cn-north-1",
    "resources": ["arn:aws-cn:events:cn-north-1:123456789012:rule/govrate-analyze-daily"],
    "detail": {},
}
COMMENT = "窗口工作人员态度很差，跑了两趟"
CONTACT = b"sealed-contact-13800138000"
AGENCY = "110105-GA"
PERSONAL_COLUMNS = {
    "contact",
    "contact_cipher",
    "evaluator",
    "name",
    "phone",
    "email",
    "comment",
    "ip",
    "source_ip",
    "client_ip",
    "receipt",
    "receipt_hash",
    "submitted_by",
    "window_id",
}
REGION = "110105"


def test_the_scheduled_run_exports_the_window_and_publishes_without_personal_data(
    aws: AwsResources, lambda_context: Any, tmp_path: Path
) -> None:
    evaluations = EvaluationRepository(aws.evaluations_table, day_shards=16)
    bad = make_evaluation(
        at(date(2026, 11, 24), 9),
        AGENCY,
        Level.DISSATISFIED,
        comment=COMMENT,
        contact_cipher=CONTACT,
        evaluator_kind=EvaluatorKind.ENTERPRISE,
        indicators={"attitude": Level.VERY_DISSATISFIED},
        record_id="R-0001",
    )
    evaluations.add(bad)
    evaluations.add(make_evaluation(at(date(2026, 10, 11)), AGENCY, Level.VERY_SATISFIED))  # first day of window
    evaluations.add(make_evaluation(at(date(2026, 10, 10)), AGENCY, Level.VERY_SATISFIED))  # before the window
    records = ServiceRecordRepository(aws.evaluations_table, day_shards=16)
    records.register(make_record(at(date(2026, 11, 24), 8), AGENCY, "R-0001", contact_cipher=CONTACT))
    # The integrity watcher flagged the bad review (it was given from a staff network).
    staff_network = Flag(
        flag_id="f" * 24,
        pattern=Pattern.STAFF_NETWORK,
        region_code=REGION,
        agency_code=AGENCY,
        raised_at=bad.created_at,
        period_start=bad.created_at,
        evidence={"evaluations": 1},
    )
    DynamoWatchStore(aws.reference_table, shards=16).mark(staff_network, [(bad.evaluation_id, bad.created_at)])

    with time_machine.travel(datetime(2026, 11, 25, 0, 30, tzinfo=CST), tick=False):
        summary = analyze_job.handler(SCHEDULED_EVENT, lambda_context)

    assert summary["first_day"] == "2026-10-11" and summary["last_day"] == "2026-11-24"
    assert summary["rows"] == {"evaluations": 2, "cases": 0, "records": 1}
    assert summary["months"] == ["2026-10", "2026-11"]
    s3 = boto3.client("s3")
    rows = {}
    for table in (EVALUATIONS, CASES, RECORDS):
        path = tmp_path / f"{table.name}.parquet"
        s3.download_file(aws.analytics_bucket, partition_key(table, date(2026, 11, 24)), str(path))
        rows[table.name] = read_rows(path)
    (evaluation,) = rows["evaluations"]
    assert list(evaluation) == list(EVALUATIONS.column_names)
    assert evaluation["evaluator_kind"] == "enterprise"
    assert (evaluation["level"], evaluation["score"], evaluation["bad_review"]) == (2, 30, True)
    assert (evaluation["real_name"], evaluation["has_comment"], evaluation["indicator_attitude"]) == (True, True, 1)
    assert evaluation["created_at"] == datetime(2026, 11, 24, 1, 0)  # UTC
    assert evaluation["integrity_flags"] == "staff_network"
    # No personal data: no comment text, no contact, no address, in any column of any table.
    for table_rows in rows.values():
        for row in table_rows:
            for name, value in row.items():
                assert name not in PERSONAL_COLUMNS
                assert value not in (COMMENT, CONTACT) and COMMENT not in str(value) and "13800138000" not in str(value)
    index = ResultsIndex.model_validate_json(
        s3.get_object(Bucket=aws.analytics_bucket, Key=f"results/{INDEX_KEY}")["Body"].read()
    )
    assert index.months == ["2026-10", "2026-11"]
    # The catalogue's names of what the documents mention.
    assert index.names[REGION].zh == "北京市朝阳区" and index.names[AGENCY].zh == "北京市公安局朝阳分局"
    november = index.totals[-1].rates
    assert (november[RateName.GOOD_REVIEW_RATE].numerator, november[RateName.GOOD_REVIEW_RATE].denominator) == (0, 1)
    assert (november[RateName.UNRATED_RATE].numerator, november[RateName.UNRATED_RATE].denominator) == (0, 1)
    # The flagged evaluation stays in the rates; beside them, the share of flagged evaluations.
    assert (november[RateName.FLAGGED_SHARE].numerator, november[RateName.FLAGGED_SHARE].denominator) == (1, 1)


@pytest.mark.parametrize(
    "event",
    [
        {"day": "2026-11-25"},  # today: not closed
        {},
        {"first_day": "2026-11-01"},
        {"first_day": "2026-11-10", "last_day": "2026-11-01"},
        {"first_day": "2024-01-01", "last_day": "2026-11-01"},
        {"day": "not a day"},
    ],
)
def test_events_that_name_no_closed_window_are_refused(event: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        window_to_export(event, now=datetime(2026, 11, 25, 0, 30, tzinfo=CST), utc_offset_hours=8)


def test_a_backfill_names_its_days() -> None:
    now = datetime(2026, 11, 25, 0, 30, tzinfo=CST)
    assert window_to_export({"day": "2026-11-02"}, now=now, utc_offset_hours=8) == ExportWindow(
        first_day=date(2026, 11, 2), last_day=date(2026, 11, 2)
    )
    assert window_to_export(
        {"first_day": "2026-09-01", "last_day": "2026-09-30"}, now=now, utc_offset_hours=8
    ) == ExportWindow(first_day=date(2026, 9, 1), last_day=date(2026, 9, 30))


# --- late data: each night re-exports the trailing window --------------------------------------------


class Nights:
    """Runs the nightly analysis on chosen nights over the fake sources, and reads a region's results."""

    def __init__(self, aws: AwsResources) -> None:
        self.sources = FakeSources()
        self.bucket = AnalyticsBucket(aws.analytics_bucket, boto3.client("s3"))

    def run(self, night: date, window_days: int = 21) -> None:
        """The run at 00:30 on `night`, exporting the days up to the day before (a window shorter than the
        deployed 45 days, enough for these cases and quicker on moto)."""
        now = at(night, 0) + timedelta(minutes=30)
        window = ExportWindow(first_day=night - timedelta(days=window_days), last_day=night - timedelta(days=1))
        analyze(
            window,
            sources=self.sources,
            bucket=self.bucket,
            now=now,
            today=night,
            ranking_min_count=1,
            results_min_count=10,
        )

    def document(self) -> ScopeResults:
        return ScopeResults.model_validate_json(self.bucket.get_document(document_key(ScopeKind.REGION, REGION)).body)

    def rates(self, rates: tuple[RateName, ...]) -> dict[tuple[str, RateName], tuple[int | None, int | None]]:
        """(numerator, denominator) of `rates` on every day and month of the region's results."""
        document = self.document()
        return {
            (period.period, rate): (period.rates[rate].numerator, period.rates[rate].denominator)
            for period in [*document.days, *document.months]
            for rate in rates
        }

    def day_rate(self, day: date, rate: RateName) -> tuple[int | None, int | None]:
        document = self.document()
        for period in document.days:
            if period.period == day.isoformat():
                return period.rates[rate].numerator, period.rates[rate].denominator
        return (0, 0)


@pytest.fixture
def nights(aws: AwsResources) -> Nights:
    return Nights(aws)


def test_a_paper_form_entered_six_days_after_the_service_rates_its_record(nights: Nights) -> None:
    served = date(2026, 11, 10)
    nights.sources.add_record(make_record(at(served, 9), AGENCY, "R-PAPER"))
    nights.run(served + timedelta(days=1))
    assert nights.day_rate(served, RateName.UNRATED_RATE) == (1, 1)

    entered = served + timedelta(days=6)
    paper = make_evaluation(at(entered, 15), AGENCY, Level.SATISFIED, channel=Channel.PAPER, record_id="R-PAPER")
    nights.sources.add_evaluation(paper)
    nights.run(entered + timedelta(days=1))

    assert nights.day_rate(served, RateName.UNRATED_RATE) == (0, 1)
    assert nights.day_rate(entered, RateName.GOOD_REVIEW_RATE) == (1, 1)


def test_a_rating_past_the_rated_within_days_leaves_its_record_unrated(nights: Nights) -> None:
    served = date(2026, 10, 1)
    nights.sources.add_record(make_record(at(served, 9), AGENCY, "R-TOO-LATE"))
    entered = served + timedelta(days=RATED_WITHIN_DAYS + 1)
    late = make_evaluation(at(entered, 15), AGENCY, Level.SATISFIED, channel=Channel.PAPER, record_id="R-TOO-LATE")
    nights.sources.add_evaluation(late)
    nights.run(entered + timedelta(days=1), window_days=RATED_WITHIN_DAYS + 2)

    assert nights.day_rate(served, RateName.UNRATED_RATE) == (1, 1)


def test_a_backfill_of_a_records_day_counts_the_ratings_given_after_it(nights: Nights) -> None:
    served = date(2026, 11, 10)
    nights.sources.add_record(make_record(at(served, 9), AGENCY, "R-BACKFILL"))
    entered = served + timedelta(days=9)
    paper = make_evaluation(at(entered, 15), AGENCY, Level.SATISFIED, channel=Channel.PAPER, record_id="R-BACKFILL")
    nights.sources.add_evaluation(paper)
    nights.run(entered + timedelta(days=1))
    assert nights.day_rate(served, RateName.UNRATED_RATE) == (0, 1)

    # Re-exporting the record's day alone still reads the evaluations of the closed days after it.
    night = entered + timedelta(days=5)
    now = at(night, 0) + timedelta(minutes=30)
    window = ExportWindow(first_day=served, last_day=served)
    analyze(
        window,
        sources=nights.sources,
        bucket=nights.bucket,
        now=now,
        today=night,
        ranking_min_count=1,
        results_min_count=10,
    )

    assert nights.day_rate(served, RateName.UNRATED_RATE) == (0, 1)


def test_an_appeal_upheld_after_the_export_excludes_its_bad_review_the_next_night(
    nights: Nights, tmp_path: Path
) -> None:
    given = date(2026, 11, 3)
    good = make_evaluation(at(given, 9), AGENCY, Level.SATISFIED)
    bad = make_evaluation(at(given, 10), AGENCY, Level.VERY_DISSATISFIED)
    nights.sources.add_evaluation(good)
    nights.sources.add_evaluation(bad)
    nights.sources.cases[bad.evaluation_id] = case_of(bad)
    nights.run(given + timedelta(days=1))
    assert nights.day_rate(given, RateName.GOOD_REVIEW_RATE) == (1, 2)

    upheld = date(2026, 11, 12)
    nights.sources.cases[bad.evaluation_id] = case_of(
        bad, state=CaseState.CLOSED, triage=Triage.APPEAL, excluded_from_rates=True
    )
    nights.run(upheld + timedelta(days=1))

    assert nights.day_rate(given, RateName.GOOD_REVIEW_RATE) == (1, 1)
    assert nights.day_rate(given, RateName.SATISFACTION_SCORE) == (80, 1)
    assert nights.day_rate(given, RateName.BAD_REVIEW_REPLY_RATE) == (0, 0)
    (exported,) = nights.bucket.download_partitions(EVALUATIONS, given, given, tmp_path)
    flagged = read_rows(exported)
    assert {row["evaluation_id"]: row["excluded"] for row in flagged} == {
        good.evaluation_id: False,
        bad.evaluation_id: True,
    }


def test_a_platform_batch_three_days_late_counts_on_the_days_of_its_records(nights: Nights) -> None:
    completed = date(2026, 11, 10)
    nights.run(completed + timedelta(days=1))
    with pytest.raises(NotFound):  # nothing of the region yet
        nights.day_rate(completed, RateName.UNRATED_RATE)

    # Posted on the 13th: records completed on the 10th, one rated at once by the platform's evaluator.
    for number in range(3):
        nights.sources.add_record(make_record(at(completed, 9 + number), AGENCY, f"R-LATE-{number}"))
    rated = make_evaluation(at(completed + timedelta(days=3), 11), AGENCY, Level.VERY_SATISFIED, record_id="R-LATE-0")
    nights.sources.add_evaluation(rated.model_copy(update={"channel": Channel.PLATFORM_API}))
    nights.run(completed + timedelta(days=4))

    assert nights.day_rate(completed, RateName.UNRATED_RATE) == (2, 3)


def test_a_case_answered_fourteen_working_days_later_counts_on_the_day_of_its_bad_review(nights: Nights) -> None:
    given = date(2026, 11, 3)
    bad = make_evaluation(at(given, 10), AGENCY, Level.VERY_DISSATISFIED, contact_cipher=CONTACT)
    nights.sources.add_evaluation(bad)
    nights.sources.cases[bad.evaluation_id] = case_of(bad)
    nights.run(given + timedelta(days=1))
    assert nights.day_rate(given, RateName.BAD_REVIEW_REPLY_RATE) == (0, 1)

    answered = date(2026, 11, 21)  # 14 working days after the 3rd
    nights.sources.cases[bad.evaluation_id] = case_of(
        bad,
        state=CaseState.ANSWERED,
        visited=True,
        rectified=True,
        answer="已整改",
        answered_at=at(answered, 16),
        answered_within_deadline=True,
    )
    nights.run(answered + timedelta(days=1))

    assert nights.day_rate(given, RateName.BAD_REVIEW_REPLY_RATE) == (1, 1)
    assert nights.day_rate(given, RateName.RETURN_VISIT_RECTIFICATION_RATE) == (1, 1)
    assert nights.day_rate(answered, RateName.BAD_REVIEW_REPLY_RATE) == (0, 0)


def test_rerunning_a_window_replaces_its_output_and_never_doubles_a_row(nights: Nights) -> None:
    day = date(2026, 11, 10)
    for hour in range(9, 12):
        nights.sources.add_evaluation(make_evaluation(at(day, hour), AGENCY, Level.SATISFIED))
    nights.run(day + timedelta(days=1))
    nights.run(day + timedelta(days=1))
    nights.run(day + timedelta(days=2))
    assert nights.day_rate(day, RateName.GOOD_REVIEW_RATE) == (3, 3)


# --- an upstream stage: what its downstream relayed counts as its own -----------------------------------

CASE_RATES = (
    RateName.BAD_REVIEW_REPLY_RATE,
    RateName.RETURN_VISIT_RECTIFICATION_RATE,
    RateName.RECTIFICATION_SATISFACTION_RATE,
)


def test_an_upstream_counts_the_relayed_cases_in_the_rates_as_its_downstream_counts_them(nights: Nights) -> None:
    first = date(2026, 10, 20)
    night = date(2026, 11, 28)
    nights.sources = generate(seed=11, first_day=first, days=20)
    nights.run(night, window_days=45)
    # Bad reviews excluded by an upheld appeal leave the evaluation-based rates too.
    compared = (*CASE_RATES, RateName.GOOD_REVIEW_RATE, RateName.SATISFACTION_SCORE)
    downstream = nights.rates(compared)
    assert sum(denominator or 0 for (_, rate), (_, denominator) in downstream.items() if rate in CASE_RATES) > 20

    nights.sources = relayed(nights.sources, "beijing")
    nights.run(night, window_days=45)

    assert nights.rates(compared) == downstream


def test_a_case_counts_once_at_its_latest_relayed_state_and_never_beside_an_own_case(nights: Nights) -> None:
    given = date(2026, 11, 3)
    bad = make_evaluation(at(given, 10), AGENCY, Level.VERY_DISSATISFIED, contact_cipher=CONTACT)
    case = case_of(bad)
    downstream = FakeSources(evaluations=defaultdict(list, {given: [bad]}), cases={bad.evaluation_id: case})
    nights.sources = relayed(downstream, "beijing")
    nights.run(given + timedelta(days=1))
    assert nights.day_rate(given, RateName.BAD_REVIEW_REPLY_RATE) == (0, 1)

    answered = case_of(
        bad,
        state=CaseState.ANSWERED,
        visited=True,
        rectified=True,
        answered_at=at(given + timedelta(days=5), 16),
        answered_within_deadline=True,
    )
    nights.sources.relayed[bad.evaluation_id] = relayed_state(answered.model_copy(update={"audit_count": 6}))
    nights.run(given + timedelta(days=6))
    assert nights.day_rate(given, RateName.BAD_REVIEW_REPLY_RATE) == (1, 1)
    assert nights.day_rate(given, RateName.RETURN_VISIT_RECTIFICATION_RATE) == (1, 1)

    # An own case under a relayed case's id (which no downstream can relay rightly) is the one counted.
    nights.sources.cases[bad.evaluation_id] = case
    nights.run(given + timedelta(days=7))
    assert nights.day_rate(given, RateName.BAD_REVIEW_REPLY_RATE) == (0, 1)
