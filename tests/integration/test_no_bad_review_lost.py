"""No bad review is ever lost: a queue outage longer than any retry budget only delays the cases, the
batches the relay gave up on are replayed from their recorded positions, and the reconciler repairs a
bad review that the outbox never turned into a case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import bad_review_reconciler
import boto3
import pytest
import relay
import time_machine
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import EndpointConnectionError
from govrate import runtime
from govrate.evaluations.outbox import OutboxQueues, RelayOutcome
from govrate.evaluations.replay import RelayReplay

from local.lambdas import failed_item_ids
from tests.integration.conftest import AwsResources
from tests.integration.test_case_support import World, build_world

# Lambda's retry limit for the stream before (MaximumRetryAttempts=10); the mapping has none now.
FORMER_RETRY_BUDGET = 10


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from build_world(aws, monkeypatch)


def cases_of(world: World, evaluation_id: str) -> int:
    return [item["sk"]["S"] for item in world.case_items(evaluation_id)].count("CASE")


def test_the_queue_down_longer_than_the_former_retry_budget_still_gives_every_bad_review_one_case(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviews = [world.review(contact=False)["evaluation_id"] for _ in range(3)]
    sqs = runtime.negative_review_queue()._client

    def queue_down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs.cn-north-1.amazonaws.com.cn")

    monkeypatch.setattr(sqs, "send_message_batch", queue_down)
    for _ in range(FORMER_RETRY_BUDGET + 5):
        with pytest.raises(BatchProcessingError):  # the invocation fails; Lambda retries the batch
            world.relay_stream(failures_expected=True)
    monkeypatch.undo()

    world.deliver()
    world.relay_stream()  # a second delivery of the stream changes nothing
    world.drain()
    assert [cases_of(world, evaluation_id) for evaluation_id in reviews] == [1, 1, 1]


def test_an_entry_the_queue_refuses_fails_that_record_alone_and_is_sent_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviews = [world.review(contact=False)["evaluation_id"] for _ in range(3)]
    refused = reviews[1]
    sqs = runtime.negative_review_queue()._client
    send_batch = sqs.send_message_batch

    def refuse_one(QueueUrl: str, Entries: list[Any]) -> dict[str, Any]:
        kept = [entry for entry in Entries if refused not in entry["MessageBody"]]
        answer = dict(send_batch(QueueUrl=QueueUrl, Entries=kept))
        failed = [entry["Id"] for entry in Entries if entry not in kept]
        answer["Failed"] = [{"Id": i, "SenderFault": False, "Code": "InternalError"} for i in failed]
        return answer

    invocations: list[tuple[dict[str, Any], Any]] = []
    handler = relay.handler

    def observed(event: dict[str, Any], context: Any) -> Any:
        invocations.append((event, response := handler(event, context)))
        return response

    monkeypatch.setattr(sqs, "send_message_batch", refuse_one)
    monkeypatch.setattr(relay, "handler", observed)
    world.relay_stream(failures_expected=True)
    monkeypatch.undo()

    (event, response), *_ = [(event, response) for event, response in invocations if failed_item_ids(response)]
    refused_record = [
        record["dynamodb"]["SequenceNumber"]
        for record in event["Records"]
        if record["dynamodb"].get("NewImage", {}).get("evaluation_id", {}).get("S") == refused
    ]
    assert failed_item_ids(response) == refused_record
    world.drain()
    assert [cases_of(world, evaluation_id) for evaluation_id in reviews] == [1, 0, 1]

    world.deliver()  # the stream delivers again from the refused record
    assert [cases_of(world, evaluation_id) for evaluation_id in reviews] == [1, 1, 1]


def test_the_reconciler_sends_a_bad_review_without_a_case_again_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled = world.review(contact=False)["evaluation_id"]
    world.deliver()
    lost = world.review(contact=False)["evaluation_id"]
    # lost between the stream and the queue
    monkeypatch.setattr(relay, "relay_stream_changes", lambda changes, queues: RelayOutcome(published={}, failed={}))
    world.relay_stream()
    monkeypatch.undo()
    world.drain()
    assert cases_of(world, lost) == 0
    assert bad_review_reconciler.handler({}, world.ctx)["resent"] == []  # still the relay's to send

    with time_machine.travel(datetime.now(UTC) + bad_review_reconciler.SETTLING + timedelta(minutes=1)):
        assert bad_review_reconciler.handler({}, world.ctx)["resent"] == [lost]
        world.drain()
        assert bad_review_reconciler.handler({}, world.ctx)["resent"] == []

    assert (cases_of(world, lost), cases_of(world, handled)) == (1, 1)


def test_batches_the_relay_gave_up_on_are_replayed_from_their_recorded_positions(
    world: World, aws: AwsResources
) -> None:
    reviews = [world.review(contact=False)["evaluation_id"] for _ in range(2)]
    region = boto3.session.Session().region_name
    streams = boto3.client("dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")
    stream_arn = boto3.client("dynamodb").describe_table(TableName=aws.evaluations_table)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )
    sequence_numbers = [  # of these reviews' records (the shared tables' streams hold earlier tests' too)
        record["dynamodb"]["SequenceNumber"]
        for record in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        if record["dynamodb"].get("NewImage", {}).get("evaluation_id", {}).get("S") in reviews
    ]
    # What Lambda sends to the on-failure destination when it gives up on a batch: positions only.
    failures_url = boto3.client("sqs").create_queue(QueueName="relay-failures")["QueueUrl"]
    batch_info = {
        "shardId": shard["ShardId"],
        "startSequenceNumber": sequence_numbers[0],
        "endSequenceNumber": sequence_numbers[-1],
        "batchSize": len(sequence_numbers),
        "streamArn": stream_arn,
    }
    boto3.client("sqs").send_message(QueueUrl=failures_url, MessageBody=json.dumps({"DDBStreamBatchInfo": batch_info}))

    queues = OutboxQueues(negative_reviews=runtime.negative_review_queue(), notices=runtime.notice_queue())

    assert RelayReplay(queues, streams=streams).replay(failures_url, limit=100) == (1, 2)

    world.drain()
    assert [cases_of(world, evaluation_id) for evaluation_id in reviews] == [1, 1]
    assert world.queue_depth(failures_url) == 0
