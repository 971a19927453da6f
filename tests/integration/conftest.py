"""Moto-backed AWS for the integration tests: the tables, queue and bucket the functions use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import qr_api
from chalice.test import Client
from govrate import qr_runtime, runtime
from govrate.catalogue.service import import_catalogue, read_catalogue
from govrate.catalogue.store import CatalogueRepository
from govrate.kernel.settings import get_settings
from govrate.storage.schema import TABLES
from moto import mock_aws

from tests.integration.staff_support import SignedIn, Staff, StaffPool

CATALOGUE_CSV = Path(__file__).resolve().parents[2] / "data" / "catalogue-sample.csv"


@dataclass(frozen=True)
class AwsResources:
    evaluations_table: str
    cases_table: str
    reference_table: str
    queue_url: str
    dlq_url: str
    analytics_bucket: str
    contact_key_id: str
    signing_secret_arn: str
    invitation_queue_url: str
    notice_queue_url: str


def clear_runtime_caches() -> None:
    """Forget the repositories built from the previous test's settings."""
    get_settings.cache_clear()
    for module in (runtime, qr_runtime):
        for name in dir(module):
            cached = getattr(module, name)
            if callable(getattr(cached, "cache_clear", None)):
                cached.cache_clear()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsResources]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        for spec in TABLES:
            dynamodb.create_table(**spec.create_table_arguments(f"test-{spec.name}"))
        sqs = boto3.client("sqs")
        dlq_url = sqs.create_queue(QueueName="test-negative-reviews-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName="test-negative-reviews",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
                "VisibilityTimeout": "0",
            },
        )["QueueUrl"]
        boto3.client("s3").create_bucket(
            Bucket="test-analytics", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
        )
        contact_key_id = boto3.client("kms").create_key(Description="test contact key")["KeyMetadata"]["KeyId"]
        signing_secret_arn = boto3.client("secretsmanager").create_secret(
            Name="test-qr-signing", SecretString="s" * 64
        )["ARN"]
        resources = AwsResources(
            "test-evaluations",
            "test-cases",
            "test-reference",
            queue_url,
            dlq_url,
            "test-analytics",
            contact_key_id,
            signing_secret_arn,
            sqs.create_queue(QueueName="test-invitations")["QueueUrl"],
            # Visibility timeout 0: a test reads every notice sent so far, again and again.
            sqs.create_queue(QueueName="test-notices", Attributes={"VisibilityTimeout": "0"})["QueueUrl"],
        )
        for key, value in {
            "GOVRATE_EVALUATIONS_TABLE": resources.evaluations_table,
            "GOVRATE_CASES_TABLE": resources.cases_table,
            "GOVRATE_REFERENCE_TABLE": resources.reference_table,
            "GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL": resources.queue_url,
            "GOVRATE_ANALYTICS_BUCKET": resources.analytics_bucket,
            "GOVRATE_CONTACT_KEY_ID": resources.contact_key_id,
            "GOVRATE_QR_SIGNING_SECRET_ARN": resources.signing_secret_arn,
            "GOVRATE_INVITATION_QUEUE_URL": resources.invitation_queue_url,
            "GOVRATE_NOTICE_QUEUE_URL": resources.notice_queue_url,
        }.items():
            monkeypatch.setenv(key, value)
        clear_runtime_caches()
        report = import_catalogue(
            read_catalogue(CATALOGUE_CSV.read_text(encoding="utf-8"), "csv"),
            CatalogueRepository(resources.reference_table),
        )
        assert report.rejected == 0
        yield resources
        clear_runtime_caches()


class FakeLambdaContext:
    function_name = "test-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:cn-north-1:123456789012:function:test-function"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/test-function"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> Any:
    return FakeLambdaContext()


@pytest.fixture
def staff_pool(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> StaffPool:
    return StaffPool(monkeypatch)


@pytest.fixture
def administrator(staff_pool: StaffPool) -> Staff:
    """A supervisor of Beijing (110000): manages the windows and site keys of the Chaoyang agencies
    that the tests use."""
    return staff_pool.supervisor("admin.beijing", region="110000")


@pytest.fixture
def client(administrator: Staff) -> Iterator[Any]:
    """The QR function's test client, every request signed in as the administrator."""
    with Client(qr_api.app) as test_client:
        yield SignedIn(test_client, administrator)
