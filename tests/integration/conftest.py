"""Moto-backed AWS for the integration tests: the tables, queue and bucket the functions use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import qr_api
from chalice.test import Client
from govrate import runtime
from govrate.catalogue.service import import_catalogue, read_catalogue
from govrate.catalogue.store import CatalogueRepository
from govrate.storage.schema import TABLES
from moto import mock_aws

from local.moto_dynamodb import hold_under_concurrency
from tests.integration.moto_baseline import MotoBaseline
from tests.integration.staff_support import SignedIn, Staff, StaffPool, create_staff_pool

if TYPE_CHECKING:
    from tests.integration.moto_baseline import QueueAttributes

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
    staff_pool_id: str
    staff_client_id: str
    seal_bucket: str
    seal_key_id: str

    def environment(self) -> dict[str, str]:
        """The functions' settings that name these resources (the staff pool is named by `StaffPool`)."""
        return {
            "GOVRATE_EVALUATIONS_TABLE": self.evaluations_table,
            "GOVRATE_CASES_TABLE": self.cases_table,
            "GOVRATE_REFERENCE_TABLE": self.reference_table,
            "GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL": self.queue_url,
            "GOVRATE_ANALYTICS_BUCKET": self.analytics_bucket,
            "GOVRATE_CONTACT_KEY_ID": self.contact_key_id,
            "GOVRATE_QR_SIGNING_SECRET_ARN": self.signing_secret_arn,
            "GOVRATE_INVITATION_QUEUE_URL": self.invitation_queue_url,
            "GOVRATE_NOTICE_QUEUE_URL": self.notice_queue_url,
            "GOVRATE_SEAL_BUCKET": self.seal_bucket,
            "GOVRATE_SEAL_KEY_ID": self.seal_key_id,
        }


@dataclass(frozen=True)
class MotoWorld:
    resources: AwsResources
    baseline: MotoBaseline


def create_world() -> MotoWorld:
    """The tables, queues, bucket, key, secret and staff pool the functions use, and the sample catalogue."""
    table_arguments = [spec.create_table_arguments(f"test-{spec.name}") for spec in TABLES]
    dynamodb = boto3.client("dynamodb")
    for arguments in table_arguments:
        dynamodb.create_table(**arguments)
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="test-negative-reviews-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queues: dict[str, QueueAttributes] = {
        "test-negative-reviews-dlq": {},
        "test-negative-reviews": {
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
            "VisibilityTimeout": "0",
        },
        "test-invitations": {},
        # Visibility timeout 0: a test reads every notice sent so far, again and again.
        "test-notices": {"VisibilityTimeout": "0"},
    }
    urls = {
        name: sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"] for name, attributes in queues.items()
    }
    boto3.client("s3").create_bucket(
        Bucket="test-analytics", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    pool_id, client_id = create_staff_pool()
    seal_bucket, seal_key_id = create_seal_bucket_and_key()
    resources = AwsResources(
        "test-evaluations",
        "test-cases",
        "test-reference",
        urls["test-negative-reviews"],
        dlq_url,
        "test-analytics",
        boto3.client("kms").create_key(Description="test contact key")["KeyMetadata"]["KeyId"],
        boto3.client("secretsmanager").create_secret(Name="test-qr-signing", SecretString="s" * 64)["ARN"],
        urls["test-invitations"],
        urls["test-notices"],
        pool_id,
        client_id,
        seal_bucket,
        seal_key_id,
    )
    with pytest.MonkeyPatch.context() as environment:
        for key, value in resources.environment().items():
            environment.setenv(key, value)
        runtime.reset()
        report = import_catalogue(
            read_catalogue(CATALOGUE_CSV.read_text(encoding="utf-8"), "csv"),
            CatalogueRepository(resources.reference_table),
        )
    runtime.reset()
    assert report.rejected == 0
    return MotoWorld(resources, MotoBaseline(table_arguments, queues))


def create_seal_bucket_and_key() -> tuple[str, str]:
    """The seal bucket as the stack makes it (Object Lock, compliance mode) and the HMAC key."""
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket="test-seals",
        CreateBucketConfiguration={"LocationConstraint": "cn-north-1"},
        ObjectLockEnabledForBucket=True,
    )
    s3.put_object_lock_configuration(
        Bucket="test-seals",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
        },
    )
    key = boto3.client("kms").create_key(
        Description="test seal key", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"
    )
    return "test-seals", key["KeyMetadata"]["KeyId"]


@pytest.fixture(scope="session", autouse=True)
def moto_holds_under_concurrency() -> None:
    """In-process moto races as its server does: a batch writes its items in parallel."""
    hold_under_concurrency()


# The tests' own HTTP servers (the schemathesis run's, on 127.0.0.1) are never moto's to answer: a path
# that looks like an AWS host (`/q/lambda.amazonaws.com/report`) would otherwise match one of its URLs.
LOCAL_SERVERS = r"http://127\.0\.0\.1:"


@pytest.fixture(scope="package")
def moto_world() -> Iterator[MotoWorld]:
    """The resources, created once for the integration tests of a process (each xdist worker has its own)."""
    with mock_aws(config={"core": {"passthrough": {"urls": [LOCAL_SERVERS], "services": []}}}):
        yield create_world()


@pytest.fixture
def aws(moto_world: MotoWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsResources]:
    """The shared resources, named in the settings; whatever the test changed in them is undone after it."""
    for key, value in moto_world.resources.environment().items():
        monkeypatch.setenv(key, value)
    runtime.reset()
    try:
        yield moto_world.resources
    finally:
        moto_world.baseline.restore()
        runtime.reset()


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
    return StaffPool(aws, monkeypatch)


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
