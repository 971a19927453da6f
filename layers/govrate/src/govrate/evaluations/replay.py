"""Replay the stream records the relay gave up on, from the positions Lambda recorded.

    python -m govrate.evaluations.replay --failures URL [--limit N]

Each message of the relay's on-failure queue (Lambda's invocation record) names a stream, a shard and
the first and last sequence numbers of a batch the relay could not publish within the mapping's
maximum record age. The records between them are read from the stream again and published as the
relay publishes them (bad reviews to the negative-review queue, notices to the notice queue, whose
URLs come from GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL and GOVRATE_NOTICE_QUEUE_URL); then the message is
deleted. Publishing twice does no harm (one case per evaluation, one notice per sequence number).
The stream keeps records 24 hours: replay within that time; the reconciler repairs anything later.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3

from govrate.evaluations.outbox import OutboxQueues, StreamChange, relay_stream_changes
from govrate.kernel.errors import GovrateError
from govrate.storage.errors import AWS_ERRORS, translated

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient


class RelayReplay:
    def __init__(
        self, queues: OutboxQueues, sqs: SQSClient | None = None, streams: DynamoDBStreamsClient | None = None
    ) -> None:
        self._queues = queues
        self._sqs = sqs or boto3.client("sqs")
        self._streams = streams or boto3.client("dynamodbstreams")

    def replay(self, failures_url: str, *, limit: int) -> tuple[int, int]:
        """Replay up to `limit` failed batches: (batches replayed, records published)."""
        batches = published = 0
        with translated("relay failure queue"):
            while batches < limit:
                messages = self._sqs.receive_message(
                    QueueUrl=failures_url, MaxNumberOfMessages=min(10, limit - batches), WaitTimeSeconds=0
                ).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    published += self._replay_batch(json.loads(message["Body"])["DDBStreamBatchInfo"])
                    self._sqs.delete_message(QueueUrl=failures_url, ReceiptHandle=message["ReceiptHandle"])
                    batches += 1
        return batches, published

    def _replay_batch(self, batch: dict[str, Any]) -> int:
        changes = [
            StreamChange(record["dynamodb"]["SequenceNumber"], record["eventName"], record["dynamodb"].get("NewImage"))
            for record in self._records(batch)
        ]
        outcome = relay_stream_changes(changes, self._queues)
        if outcome.failed:  # the batch's message stays on the queue for the next replay
            raise next(iter(outcome.failed.values()))
        return len(outcome.published)

    def _records(self, batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The records from the batch's first to its last sequence number, as the streams API gives them
        (the low-level attribute values the relay reads)."""
        last = int(batch["endSequenceNumber"])
        iterator: str | None = self._streams.get_shard_iterator(
            StreamArn=batch["streamArn"],
            ShardId=batch["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=batch["startSequenceNumber"],
        )["ShardIterator"]
        while iterator:
            page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                if int(record["dynamodb"]["SequenceNumber"]) > last:
                    return
                yield dict(record)
            if not page["Records"]:
                return
            iterator = page.get("NextShardIterator")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govrate.evaluations.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--failures", required=True, help="URL of the relay's on-failure queue")
    parser.add_argument("--limit", type=int, default=10_000, help="replay at most this many batches")
    arguments = parser.parse_args(argv)
    from govrate import runtime  # the command is a composition root of its own, like a handler

    queues = OutboxQueues(negative_reviews=runtime.negative_review_queue(), notices=runtime.notice_queue())
    try:
        batches, published = RelayReplay(queues).replay(arguments.failures, limit=arguments.limit)
    except (GovrateError, *AWS_ERRORS) as exc:
        sys.stderr.write(f"replay stopped: {exc}\n")
        return 1
    sys.stdout.write(f"replayed {batches} batches, published {published} records\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
