"""The local stack over real HTTP (the session's `stack`, tests/e2e/conftest.py), driven with requests
and, for what only AWS can show (the queue, the cases table), boto3 against its moto."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from govrate.cases.store import case_pk
from govrate.evaluations.outbox import negative_review_from_stream
from govrate.kernel.clock import local_day, now
from govrate.storage.items import CASE_SK
from ulid import ULID

from tests.e2e.conftest import poll

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.e2e

CASE_TIMEOUT_S = 60  # the local relay polls the stream; a loaded machine delays it

BAD_REVIEW = {
    "item_code": "110105-GA-001",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "level": 2,
    "reason_codes": ["unclear_requirements"],
    "comment": "材料清单不清楚，跑了两趟",
}


def session(stack: dict[str, Any]) -> boto3.Session:
    """A session for the stack's moto (any credentials do)."""
    return boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=stack["region"])


def dynamodb(stack: dict[str, Any]) -> DynamoDBClient:
    return session(stack).client("dynamodb", endpoint_url=stack["aws_endpoint"])


def sqs(stack: dict[str, Any]) -> SQSClient:
    return session(stack).client("sqs", endpoint_url=stack["aws_endpoint"])


def case_partition(stack: dict[str, Any], evaluation_id: str) -> list[dict[str, Any]]:
    """Every item stored for the case of an evaluation: the case itself and its audit chain."""
    return dynamodb(stack).query(
        TableName=stack["environment"]["GOVRATE_CASES_TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": case_pk(evaluation_id)}},
        ConsistentRead=True,
    )["Items"]


def queue_is_drained(stack: dict[str, Any]) -> bool:
    attributes = sqs(stack).get_queue_attributes(
        QueueUrl=stack["environment"]["GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(value == "0" for value in attributes.values())


def test_a_bad_review_gets_exactly_one_case_even_when_its_message_comes_twice(stack: dict[str, Any]) -> None:
    api = stack["api_url"]
    response = requests.post(f"{api}/v1/evaluations", json=BAD_REVIEW, timeout=10)
    assert response.status_code == 201, response.text
    accepted = response.json()
    status_url = f"{api}{accepted['status_url']}"

    def case_is_open() -> Any:
        """the case of the bad review is open"""
        return requests.get(status_url, timeout=10).json()["case"]

    # intake → DynamoDB → stream → relay → SQS → case consumer → cases table, all through the handlers
    case = poll(case_is_open, CASE_TIMEOUT_S)

    stored_case = case_partition(stack, accepted["evaluation_id"])
    assert [item["sk"]["S"] for item in stored_case].count(CASE_SK) == 1

    # Deliver the relay's message again, twice, as an at-least-once queue may.
    stored = dynamodb(stack).get_item(
        TableName=stack["environment"]["GOVRATE_EVALUATIONS_TABLE"],
        Key={"pk": {"S": f"EVAL#{accepted['evaluation_id']}"}},
    )["Item"]
    message = negative_review_from_stream("INSERT", stored)
    assert message is not None
    for _ in range(2):
        sqs(stack).send_message(
            QueueUrl=stack["environment"]["GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL"], MessageBody=message.model_dump_json()
        )
    poll(lambda: queue_is_drained(stack), CASE_TIMEOUT_S)

    assert case_partition(stack, accepted["evaluation_id"]) == stored_case  # the redeliveries wrote nothing
    assert requests.get(status_url, timeout=10).json()["case"] == case


def test_the_demo_qr_code_opens_the_rating_page_of_its_window(stack: dict[str, Any]) -> None:
    page = stack["qr_pages"][0]
    response = requests.get(page["url"], timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert page["name"] in response.text


def test_identical_comments_are_flagged_by_the_local_watcher_and_the_alert_is_printed(stack: dict[str, Any]) -> None:
    """Stream → integrity watcher → flag in the reference table → supervisor alert in the stack's log.
    The evaluations are written to the table as intake writes them (no abuse limit in the way)."""
    comment = f"窗口人员服务热情周到，点赞！{uuid.uuid4().hex[:8]}"
    created = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)
    client = dynamodb(stack)
    for n in range(3):
        evaluation_id = str(ULID.from_datetime(created + timedelta(seconds=n)))
        client.put_item(
            TableName=stack["environment"]["GOVRATE_EVALUATIONS_TABLE"],
            Item={
                "pk": {"S": f"EVAL#{evaluation_id}"},
                "entity": {"S": "evaluation"},
                "evaluation_id": {"S": evaluation_id},
                "item_code": {"S": "110105-GA-001"},
                "agency_code": {"S": "110105-GA"},
                "region_code": {"S": "110105"},
                "level": {"N": "4"},
                "bad_review": {"BOOL": False},
                "comment": {"S": comment},
                "created_at": {"S": (created + timedelta(seconds=n)).isoformat()},
            },
        )

    def printed() -> bool:
        """the supervisor alert of the flag in the stack's log"""
        log = Path(stack["output_log"]).read_text(encoding="utf-8")
        return "supervisor alert" in log and "相同评价内容" in log and "identical comments" in log

    poll(printed, CASE_TIMEOUT_S)
    flags = client.query(
        TableName=stack["environment"]["GOVRATE_REFERENCE_TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"FLAGS#110000#{created:%Y%m}"}},
    )["Items"]
    assert any(flag["pattern"]["S"] == "identical_comments" for flag in flags)


SEAL_TIMEOUT_S = 120  # the seal job seals the 45 days up to yesterday at start, yesterday last


def test_the_seal_job_seals_yesterday_in_a_locked_bucket_and_the_command_verifies_it(stack: dict[str, Any]) -> None:
    environment = stack["environment"]
    bucket, key_id = environment["GOVRATE_SEAL_BUCKET"], environment["GOVRATE_SEAL_KEY_ID"]
    s3 = session(stack).client("s3", endpoint_url=stack["aws_endpoint"])
    kms = session(stack).client("kms", endpoint_url=stack["aws_endpoint"])
    # Created from the synthesized template with the properties moto's CloudFormation used to ignore.
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeySpec"] == "HMAC_256"
    yesterday = local_day(now()) - timedelta(days=1)
    poll(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=f"seals/{yesterday}/").get("KeyCount"), SEAL_TIMEOUT_S)
    result = subprocess.run(
        [sys.executable, "-m", "govrate.verify_integrity", "--day", yesterday.isoformat()],
        env={
            **os.environ,
            **environment,
            "AWS_ENDPOINT_URL": stack["aws_endpoint"],
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": stack["region"],
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "CLEAN: the tables hold what the latest seal holds"
