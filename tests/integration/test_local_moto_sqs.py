"""The local stack's moto SQS keeps its pace under a backlog and still answers as SQS does: a message
is received once until its visibility timeout passes, a delayed one not before its delay, one past the
queue's retention period never, and the queue's counts are right."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import sqs_backends

from local.moto_sqs import keep_pace_under_backlog
from local.provision import ACCOUNT, DUMMY_KEY, REGION


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    keep_pace_under_backlog()
    with mock_aws():
        sqs = boto3.Session(aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY, region_name=REGION).client(
            "sqs"
        )
        url = sqs.create_queue(QueueName="backlog", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
        try:
            yield sqs, url
        finally:
            sqs.delete_queue(QueueUrl=url)


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return tuple(int(attributes[name]) for name in names)  # type: ignore[return-value]


def test_a_backlog_is_received_once_each_until_the_visibility_timeout_passes(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    for start in range(0, 300, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(10)]
        )
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert counts(sqs, url) == (300, 0, 1)

    received: list[str] = []
    while page := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        received += [message["Body"] for message in page]

    assert sorted(received) == sorted(f"m{n}" for n in range(300))
    assert counts(sqs, url) == (0, 300, 1)
    time.sleep(1.1)  # the visibility timeout and the delay pass
    assert counts(sqs, url) == (301, 0, 0)


def test_a_message_past_the_queue_retention_period_is_never_received(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    assert [message["Body"] for message in sqs.receive_message(QueueUrl=url)["Messages"]] == ["kept"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    old = next(m for m in sqs_backends[ACCOUNT][REGION].get_queue("backlog")._messages if m.body == "old")
    old.sent_timestamp = int(time.time() * 1000) - 61_000  # type: ignore[assignment]

    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
