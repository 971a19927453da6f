"""The local stack's stream and queue pollers against moto in server mode, with recording handlers:
Lambda's filtering, partial batch failures, retries and the on-failure destination."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.pollers import QueuePoller, StreamPoller
from local.provision import DUMMY_KEY, REGION, MotoServer
from local.template import EventSourceSpec, FunctionSpec

pytestmark = pytest.mark.e2e

FUNCTION = FunctionSpec("Fn", "fn", "python3.12", "fn.handler", 128, 30, {})


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = MotoServer()
    endpoint = server.start()
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": DUMMY_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    yield endpoint
    server.stop()


def source(kind: Any, **overrides: Any) -> EventSourceSpec:
    spec: dict[str, Any] = {
        "function_id": "Fn",
        "kind": kind,
        "source_id": "Source",
        "batch_size": 10,
        "starting_position": "TRIM_HORIZON",
        "report_item_failures": True,
        "max_retries": None,
        "filter_patterns": (),
        "on_failure_id": None,
    }
    return EventSourceSpec(**{**spec, **overrides})


def wait_for(condition: Any, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_stream_records_are_filtered_retried_from_the_failure_and_given_up_on(moto: str) -> None:
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    sqs = boto3.client("sqs")
    failures_url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    for key in ("a", "bad", "c"):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": key}, "blob": {"B": b"\x00\x01"}})
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}, "blob": {"B": b"\x02"}})  # a MODIFY

    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert context.get_remaining_time_in_millis() > 0
        records = event["Records"]
        batches.append([record["dynamodb"]["Keys"]["pk"]["S"] for record in records])
        assert all(record["eventSource"] == "aws:dynamodb" for record in records)
        assert records[0]["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}  # base64, as Lambda sends it
        failed = [r["dynamodb"]["SequenceNumber"] for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}

    stop = threading.Event()
    poller = StreamPoller(
        FUNCTION,
        handler,
        source("dynamodb", max_retries=2, filter_patterns=('{"eventName": ["INSERT"]}',)),
        stream_arn=table["LatestStreamArn"],
        on_failure_url=failures_url,
        stop=stop,
    )
    poller.start()
    try:
        wait_for(
            lambda: (
                int(
                    sqs.get_queue_attributes(QueueUrl=failures_url, AttributeNames=["All"])["Attributes"][
                        "ApproximateNumberOfMessages"
                    ]
                )
                == 1
            )
        )
    finally:
        stop.set()
        poller.join()

    assert batches == [["a", "bad", "c"], ["bad", "c"], ["bad", "c"]]  # the MODIFY is filtered out
    (message,) = sqs.receive_message(QueueUrl=failures_url)["Messages"]
    info = json.loads(message["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["DDBStreamBatchInfo"]["batchSize"] == 2
    assert info["DDBStreamBatchInfo"]["streamArn"] == table["LatestStreamArn"]


def test_stream_batches_hold_up_to_the_batch_size_of_the_records_the_filter_admits(moto: str) -> None:
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(
        TableName="pages",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    keys = [f"k{index}" for index in range(7)]
    for key in keys:  # each INSERT followed by two MODIFYs, which the filter drops
        for version in range(3):
            dynamodb.put_item(TableName="pages", Item={"pk": {"S": key}, "version": {"N": str(version)}})

    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        batches.append([record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"]])

    stop = threading.Event()
    poller = StreamPoller(
        FUNCTION,
        handler,
        source("dynamodb", batch_size=3, filter_patterns=('{"eventName": ["INSERT"]}',)),
        stream_arn=table["LatestStreamArn"],
        on_failure_url=None,
        stop=stop,
    )
    poller.start()
    try:
        wait_for(lambda: sum(map(len, batches)) == len(keys))
    finally:
        stop.set()
        poller.join()

    # Filtered before batching, as Lambda does: the MODIFYs take no room in a batch.
    assert batches == [keys[0:3], keys[3:6], keys[6:7]]


def test_queue_messages_are_deleted_unless_reported_failed_and_filtered_ones_never_delivered(moto: str) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for body in ({"n": 1}, {"n": 2, "fail": True}, {"n": 3, "skip": True}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))

    delivered: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        delivered.extend(event["Records"])
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]} for record in event["Records"] if "fail" in record["body"]
            ]
        }

    stop = threading.Event()
    poller = QueuePoller(
        FUNCTION,
        handler,
        source("sqs", filter_patterns=('{"body": {"skip": [{"exists": false}]}}',)),
        queue_url=url,
        queue_arn=arn,
        stop=stop,
    )
    poller.start()
    try:
        wait_for(lambda: len(delivered) >= 2)
    finally:
        stop.set()
        poller.join()

    assert sorted(json.loads(record["body"])["n"] for record in delivered) == [1, 2]
    assert {record["eventSource"] for record in delivered} == {"aws:sqs"}
    assert {record["eventSourceARN"] for record in delivered} == {arn}
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # only the failed message is left, in flight until its visibility timeout ends
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
