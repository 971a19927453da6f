"""The analytics bucket's day objects: one request each way (reads found by one listing), a missing day
skipped, and S3's failures as the domain's storage errors (the analyze job's run then fails whole:
retried, or alarmed at ERROR)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from govrate.analytics.facts import EVALUATIONS
from govrate.analytics.store import AnalyticsBucket, partition_key
from govrate.kernel.errors import GovrateError, NotFound, StorageMisconfigured, StorageUnavailable

BUCKET = "analytics"
DAY = date(2026, 11, 24)


def stubbed() -> tuple[AnalyticsBucket, Stubber]:
    client = boto3.client("s3", region_name="cn-north-1", aws_access_key_id="k", aws_secret_access_key="s")
    return AnalyticsBucket(BUCKET, client), Stubber(client)


def test_a_day_is_put_in_one_request_and_read_back_into_the_same_layout(tmp_path: Path) -> None:
    bucket, stubber = stubbed()
    facts = tmp_path / "out.parquet"
    facts.write_bytes(b"PAR1 facts PAR1")
    key = partition_key(EVALUATIONS, DAY)
    stubber.add_response("put_object", {"ETag": '"e"'}, {"Bucket": BUCKET, "Key": key, "Body": ANY})
    # One listing from the day before the first: the first day, a day after the last (not read); the
    # day between was never exported and costs no request.
    listed = [key, partition_key(EVALUATIONS, date(2026, 11, 27))]
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": listed_key} for listed_key in listed], "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": "evaluations/dt=", "StartAfter": partition_key(EVALUATIONS, date(2026, 11, 23))},
    )
    body = StreamingBody(io.BytesIO(b"PAR1 facts PAR1"), 15)
    stubber.add_response("get_object", {"Body": body}, {"Bucket": BUCKET, "Key": key})
    with stubber:
        assert bucket.put_partition(EVALUATIONS, DAY, facts) == key
        (read,) = bucket.download_partitions(EVALUATIONS, DAY, date(2026, 11, 25), tmp_path / "in")
    assert read == tmp_path / "in" / key
    assert read.read_bytes() == b"PAR1 facts PAR1"
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("SlowDown", StorageUnavailable),
        ("ServiceUnavailable", StorageUnavailable),
        ("AccessDenied", StorageMisconfigured),
    ],
)
def test_s3_refusing_a_day_or_a_document_is_a_storage_error_retryable_or_not(
    tmp_path: Path, code: str, error: type[GovrateError]
) -> None:
    bucket, stubber = stubbed()
    facts = tmp_path / "out.parquet"
    facts.write_bytes(b"PAR1")
    for operation in ("put_object", "list_objects_v2", "put_object", "get_object"):
        stubber.add_client_error(operation, code, http_status_code=503)
    with stubber:
        with pytest.raises(error):
            bucket.put_partition(EVALUATIONS, DAY, facts)
        with pytest.raises(error):
            bucket.download_partitions(EVALUATIONS, DAY, DAY, tmp_path / "in")
        with pytest.raises(error):
            bucket.put_document("cells/2026-11.json", b"{}")
        with pytest.raises(error):
            bucket.get_document("cells/2026-11.json")
    stubber.assert_no_pending_responses()


def test_a_document_never_written_is_not_found_naming_what_is_missing() -> None:
    bucket, stubber = stubbed()
    stubber.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    with stubber, pytest.raises(NotFound, match="no results for region 110105"):
        bucket.get_document("v1/regions/110105.json", "no results for region 110105")


def test_a_stage_without_an_analytics_bucket_is_misconfigured_not_unavailable() -> None:
    with pytest.raises(StorageMisconfigured, match="GOVRATE_ANALYTICS_BUCKET"):
        AnalyticsBucket("", boto3.client("s3", region_name="cn-north-1"))
