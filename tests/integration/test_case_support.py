"""What the case-loop integration tests share (no tests here): staff accounts (staff_support), the
case indexes, and delivery as Lambda does it: the evaluations stream to the relay, the queue to the
case consumer, deleting only what the consumer did not report as failed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import case_api
import case_consumer
import intake_api
import pytest
import relay
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from chalice.test import Client
from govrate import runtime
from govrate.cases.ports import EvaluatorNotice
from govrate.kernel.errors import StorageUnavailable

from local.lambdas import dynamodb_event_record, failed_item_ids, sqs_event_record
from tests.integration.conftest import AwsResources, FakeLambdaContext
from tests.integration.staff_support import Staff, StaffPool

JSON = {"content-type": "application/json"}
BAD_REVIEW: dict[str, Any] = {
    "item_code": "110105-GA-001",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "level": 1,
    "reason_codes": ["unclear_requirements", "repeated_trips"],
    "comment": "材料清单不清楚，跑了两趟",
}
CONTACT = {"name": "张三", "phone": "13800138000", "consent": True}


class World(StaffPool):
    """The running system on moto, driven the way its users and Lambda's event sources drive it."""

    def __init__(self, aws: AwsResources, monkeypatch: pytest.MonkeyPatch, intake: Any, cases: Any) -> None:
        super().__init__(aws, monkeypatch)
        self.aws = aws
        self.intake = intake
        self.cases = cases
        self.ctx: Any = FakeLambdaContext()
        monkeypatch.setenv("GOVRATE_NEGATIVE_REVIEWS_DLQ_URL", aws.dlq_url)
        runtime.reset()
        self._sqs = boto3.client("sqs")
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        # moto matches the streams endpoint by `.amazonaws.com`; China regions' end in `.com.cn`.
        region = boto3.session.Session().region_name
        self._streams = boto3.client("dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")
        dynamodb = boto3.client("dynamodb")
        # The relay reads both outboxes: bad reviews from the evaluations table, notices from the cases table.
        stream_arns = [
            dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
            for table in (aws.evaluations_table, aws.cases_table)
        ]
        # The streams outlive a test (the tables are shared and emptied between tests): the relay reads what
        # is written from now on, as an event source mapping created at LATEST does.
        self._iterators = {
            (arn, shard["ShardId"]): self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for arn in stream_arns
            for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        }

    # --- the evaluator ---------------------------------------------------------------------------

    def review(self, *, contact: bool = True, **changes: Any) -> dict[str, Any]:
        body = {**BAD_REVIEW, **changes, **({"evaluator": CONTACT} if contact else {})}
        response = self.intake.http.post("/v1/evaluations", headers=JSON, body=json.dumps(body).encode())
        assert response.status_code == 201, response.body
        accepted: dict[str, Any] = json.loads(response.body)
        return accepted

    def handling(self, accepted: dict[str, Any]) -> dict[str, Any]:
        response = self.cases.http.get(
            f"/v1/evaluations/{accepted['evaluation_id']}/handling?receipt={accepted['receipt']}"
        )
        assert response.status_code == 200, response.body
        shown: dict[str, Any] = json.loads(response.body)
        return shown

    def rate(self, accepted: dict[str, Any], rating: str, **extra: Any) -> Any:
        body = {"receipt": accepted["receipt"], "rating": rating, **extra}
        return self.cases.http.post(
            f"/v1/evaluations/{accepted['evaluation_id']}/handling", headers=JSON, body=json.dumps(body).encode()
        )

    # --- staff over the API ----------------------------------------------------------------------

    def get(self, staff: Staff, path: str) -> Any:
        return self.cases.http.get(path, headers=staff.headers)

    def step(self, staff: Staff, evaluation_id: str, step: str, body: dict[str, Any]) -> Any:
        return self.cases.http.post(
            f"/v1/cases/{evaluation_id}/{step}", headers=staff.headers, body=json.dumps(body).encode()
        )

    def ok_step(self, staff: Staff, evaluation_id: str, step: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.step(staff, evaluation_id, step, body)
        assert response.status_code == 200, response.body
        case: dict[str, Any] = json.loads(response.body)
        return case

    def view(self, staff: Staff, evaluation_id: str) -> dict[str, Any]:
        response = self.get(staff, f"/v1/cases/{evaluation_id}")
        assert response.status_code == 200, response.body
        view: dict[str, Any] = json.loads(response.body)
        return view

    # --- Lambda's event sources ------------------------------------------------------------------

    def relay_stream(self, *, failures_expected: bool = False) -> int:
        """Hand every new record of the tables' streams to the relay; the number of records. A batch
        with a failed record is read again the next time, as Lambda retries a stream from the failure."""
        count = 0
        for (arn, shard_id), iterator in list(self._iterators.items()):
            page = self._streams.get_records(ShardIterator=iterator)
            records = [dynamodb_event_record(dict(record), arn) for record in page["Records"]]
            failed = failed_item_ids(relay.handler({"Records": records}, self.ctx)) if records else []
            assert failures_expected or failed == []
            if not failed:
                self._iterators[arn, shard_id] = page["NextShardIterator"]
            count += len(records)
        return count

    def consume_once(self, *, acknowledge: bool = True) -> tuple[int, list[str]]:
        """One receive → consumer → delete round: (messages received, ids the consumer failed)."""
        messages = self._sqs.receive_message(
            QueueUrl=self.aws.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0, []
        event = {"Records": [sqs_event_record(message, self._queue_arn) for message in messages]}
        try:
            failed = failed_item_ids(case_consumer.handler(event, self.ctx))
        # The invocation fails, nothing is deleted: every record failed, or the batch's reads did.
        except (BatchProcessingError, StorageUnavailable):
            failed = [message["MessageId"] for message in messages]
        done = [message for message in messages if message["MessageId"] not in failed]
        if acknowledge and done:
            self._sqs.delete_message_batch(
                QueueUrl=self.aws.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages), failed

    def deliver(self) -> None:
        """Everything waiting on the stream, through the relay and the queue to the consumer."""
        self.relay_stream()
        self.drain()

    def drain(self) -> None:
        for _ in range(20):
            received, failed = self.consume_once()
            assert failed == []
            if not received:
                return
        raise AssertionError("the queue did not drain")

    def send_raw(self, body: str, queue_url: str | None = None) -> None:
        self._sqs.send_message(QueueUrl=queue_url or self.aws.queue_url, MessageBody=body)

    def receive_bodies(self) -> list[str]:
        """Look at the waiting messages (the fixture queue's visibility timeout is 0: they stay)."""
        messages = self._sqs.receive_message(QueueUrl=self.aws.queue_url, MaxNumberOfMessages=10)
        return [message["Body"] for message in messages.get("Messages", [])]

    def queue_depth(self, url: str) -> int:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def case_items(self, evaluation_id: str) -> list[dict[str, Any]]:
        """The raw items of a case's partition (the case and its audit chain)."""
        items: list[dict[str, Any]] = boto3.client("dynamodb").query(
            TableName=self.aws.cases_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CASE#{evaluation_id}"}},
        )["Items"]
        return items

    def notices(self) -> list[tuple[str, str]]:
        """The notices the relay has handed to the gateway's queue so far, in the order of the changes."""
        self.relay_stream()
        messages = self._sqs.receive_message(QueueUrl=self.aws.notice_queue_url, MaxNumberOfMessages=10)
        notices = [EvaluatorNotice.model_validate_json(m["Body"]) for m in messages.get("Messages", [])]
        return [(n.evaluation_id, n.kind.value) for n in sorted(notices, key=lambda n: (n.evaluation_id, n.seq))]


def build_world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with Client(intake_api.app) as intake, Client(case_api.app) as cases:
        yield World(aws, monkeypatch, intake, cases)
    runtime.reset()
