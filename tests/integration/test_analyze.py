"""The analyze job on moto: a closed local day of evaluations → one Parquet file in the analytics bucket."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import analyze_job
import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import time_machine
from govrate import runtime
from govrate.analytics.schema import EVALUATION_COLUMNS
from govrate.analytics.store import EvaluationFact, evaluation_schema
from govrate.evaluations.models import Channel, Stage
from govrate.evaluations.store import EvaluationRepository, StoredEvaluation
from govrate.kernel.errors import InvalidInput, StorageMisconfigured
from govrate.kernel.scale import Level
from ulid import ULID

from tests.integration.conftest import AwsResources

CST = timezone(timedelta(hours=8))
DAY = date(2026, 11, 24)
KEY = "evaluations/dt=2026-11-24/evaluations.parquet"
# EventBridge runs the job at 00:05 local time of the next day: 16:05 UTC of the exported day.
SCHEDULED_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-24T16:05:00Z",
    "region": "cn-north-1",
    "resources": ["arn:aws-cn:events:cn-north-1:123456789012:rule/govrate-analyze-daily"],
    "detail": {},
}


@pytest.fixture
def bucket(aws: AwsResources) -> Iterator[str]:
    runtime.reset()
    with time_machine.travel(datetime(2026, 11, 25, 0, 5, tzinfo=CST), tick=True):
        yield aws.analytics_bucket
    runtime.reset()


def evaluation(created_at: datetime, **fields: Any) -> StoredEvaluation:
    values: dict[str, Any] = {
        "evaluation_id": str(ULID.from_datetime(created_at)),
        "item_code": "110105-GA-001",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "channel": Channel.WINDOW_QR,
        "stage": Stage.OVERALL,
        "level": Level.VERY_SATISFIED,
        "comment": None,
        "created_at": created_at,
        "receipt_hash": "0" * 64,
    }
    return StoredEvaluation(**{**values, **fields})


def seed(aws: AwsResources, *evaluations: StoredEvaluation) -> None:
    repository = EvaluationRepository(aws.evaluations_table, day_shards=16)
    for stored in evaluations:
        repository.add(stored)


def exported(bucket: str, key: str = KEY) -> pa.Table:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def test_the_scheduled_run_exports_the_local_day_before(
    aws: AwsResources,
    bucket: str,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = evaluation(datetime(2026, 11, 24, 0, 0, 1, tzinfo=CST), level=Level.DISSATISFIED, comment="跑了两趟")
    last = evaluation(
        datetime(2026, 11, 24, 23, 59, 59, tzinfo=CST),
        item_code=None,
        agency_code="110105-SJ",
        channel=Channel.HOTLINE,
    )
    day_before = evaluation(datetime(2026, 11, 23, 23, 59, 59, tzinfo=CST))
    day_after = evaluation(datetime(2026, 11, 25, 0, 0, 1, tzinfo=CST))
    seed(aws, first, last, day_before, day_after)

    summary = analyze_job.handler(SCHEDULED_EVENT, lambda_context)

    assert summary == {"day": "2026-11-24", "rows": 2, "key": KEY}
    logged = [record for record in caplog.records if record.getMessage() == "evaluations exported"]
    assert [(getattr(record, "rows", None), getattr(record, "key", None)) for record in logged] == [(2, KEY)]
    metric_lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "EvaluationsExported" in line]
    assert [line["EvaluationsExported"] for line in metric_lines] == [[2.0]]
    table = exported(bucket)
    assert table.schema == evaluation_schema()
    assert [(field.name, str(field.type)) for field in table.schema] == [
        ("evaluation_id", "string"),
        ("created_at", "timestamp[ms, tz=UTC]"),
        ("item_code", "string"),
        ("agency_code", "string"),
        ("region_code", "string"),
        ("channel", "string"),
        ("stage", "string"),
        ("level", "int32"),
        ("bad_review", "bool"),
        ("has_comment", "bool"),
    ]
    rows = sorted(table.to_pylist(), key=lambda row: row["created_at"])
    assert rows == [
        {
            "evaluation_id": first.evaluation_id,
            "created_at": datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC),
            "item_code": "110105-GA-001",
            "agency_code": "110105-GA",
            "region_code": "110105",
            "channel": "window_qr",
            "stage": "overall",
            "level": 2,
            "bad_review": True,
            "has_comment": True,
        },
        {
            "evaluation_id": last.evaluation_id,
            "created_at": datetime(2026, 11, 24, 15, 59, 59, tzinfo=UTC),
            "item_code": None,
            "agency_code": "110105-SJ",
            "region_code": "110105",
            "channel": "hotline",
            "stage": "overall",
            "level": 5,
            "bad_review": False,
            "has_comment": False,
        },
    ]


def test_the_columns_are_the_analytics_schema_and_carry_no_comment_text(
    aws: AwsResources, bucket: str, lambda_context: Any
) -> None:
    assert EvaluationFact._fields == tuple(name for name, _ in EVALUATION_COLUMNS)
    seed(aws, evaluation(datetime(2026, 11, 24, 9, 30, tzinfo=CST), comment="窗口人员态度很好"))
    analyze_job.handler({"day": "2026-11-24"}, lambda_context)
    body = boto3.client("s3").get_object(Bucket=bucket, Key=KEY)["Body"].read()
    assert "态度很好".encode() not in body
    assert "comment" not in exported(bucket).column_names


def test_a_rerun_replaces_the_day(aws: AwsResources, bucket: str, lambda_context: Any) -> None:
    seed(aws, evaluation(datetime(2026, 11, 24, 9, 30, tzinfo=CST)))
    analyze_job.handler(SCHEDULED_EVENT, lambda_context)
    seed(aws, evaluation(datetime(2026, 11, 24, 10, 30, tzinfo=CST)))
    analyze_job.handler(SCHEDULED_EVENT, lambda_context)

    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="evaluations/")
    assert [entry["Key"] for entry in listing["Contents"]] == [KEY]
    assert exported(bucket).num_rows == 2


def test_an_empty_day_is_an_empty_file_not_a_missing_partition(bucket: str, lambda_context: Any) -> None:
    summary = analyze_job.handler(SCHEDULED_EVENT, lambda_context)
    assert summary["rows"] == 0
    table = exported(bucket)
    assert table.num_rows == 0
    assert table.schema == evaluation_schema()


def test_a_backfill_names_its_day(aws: AwsResources, bucket: str, lambda_context: Any) -> None:
    seed(aws, evaluation(datetime(2026, 11, 20, 12, 0, tzinfo=CST)))
    summary = analyze_job.handler({"day": "2026-11-20"}, lambda_context)
    assert summary == {"day": "2026-11-20", "rows": 1, "key": "evaluations/dt=2026-11-20/evaluations.parquet"}
    assert exported(bucket, summary["key"]).num_rows == 1


# A refused run publishes no metric; Powertools warns about that.
NO_METRICS = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@NO_METRICS
@pytest.mark.parametrize("event", [{"day": "2026-11-25"}, {"day": "2026-12-01"}, {"day": "yesterday"}, {}])
def test_a_day_that_is_not_closed_or_not_a_day_is_refused(bucket: str, lambda_context: Any, event: Any) -> None:
    with pytest.raises((InvalidInput, ValueError)):
        analyze_job.handler(event, lambda_context)
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=bucket)


@NO_METRICS
def test_a_missing_bucket_is_a_storage_error(
    aws: AwsResources, bucket: str, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVRATE_ANALYTICS_BUCKET", "no-such-bucket")
    runtime.reset()
    with pytest.raises(StorageMisconfigured):
        analyze_job.handler(SCHEDULED_EVENT, lambda_context)
