"""Replay the stream records the relay gave up on, from the positions Lambda recorded.

    .venv/bin/python -m govrate.evaluations.replay --failures URL \
        --negative-reviews-queue URL --notice-queue URL [--limit N]

Each message of the relay's on-failure queue (Lambda's invocation record) names a stream, a shard and
the first and last sequence numbers of a batch the relay could not publish within the mapping's
maximum record age. The records between them are read from the stream again and published as the
relay publishes them (bad reviews to the negative-review queue, notices to the notice queue: the options, or
GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL and GOVRATE_NOTICE_QUEUE_URL); the message is deleted only once every
record of its range was read and published. Publishing twice does no harm (one case per evaluation, one
notice per sequence number). The stream keeps records 24 hours: replay within that time; the reconciler
repairs anything later.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from govrate.evaluations.outbox import OutboxQueues, StreamChange, relay_stream_changes
from govrate.kernel.errors import GovrateError
from govrate.storage.clients import aws_client
from govrate.storage.errors import AWS_ERRORS, translated
from govrate.storage.queue import MessageQueue

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient


# Consecutive empty pages after which an open shard is taken to hold nothing more of the range. Streams
# may answer empty pages in the middle of a shard; a range the stream no longer holds whole is refused.
MAX_EMPTY_PAGES = 100


class IncompleteBatch(GovrateError):
    """The stream did not give every record of a failed batch's range; the batch's message is kept."""


class RelayReplay:
    def __init__(
        self, queues: OutboxQueues, sqs: SQSClient | None = None, streams: DynamoDBStreamsClient | None = None
    ) -> None:
        self._queues = queues
        self._sqs = sqs or aws_client("sqs")
        self._streams = streams or aws_client("dynamodbstreams")

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
        (the low-level attribute values the relay reads). Reads past empty pages until a record at or past
        the last one; IncompleteBatch when the shard ends, or stays empty, before it."""
        last = int(batch["endSequenceNumber"])
        iterator: str | None = self._streams.get_shard_iterator(
            StreamArn=batch["streamArn"],
            ShardId=batch["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=batch["startSequenceNumber"],
        )["ShardIterator"]
        empty_pages = 0
        while iterator and empty_pages < MAX_EMPTY_PAGES:
            page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            empty_pages = 0 if page["Records"] else empty_pages + 1
            for record in page["Records"]:
                sequence_number = int(record["dynamodb"]["SequenceNumber"])
                if sequence_number > last:
                    return
                yield dict(record)
                if sequence_number == last:
                    return
            iterator = page.get("NextShardIterator")
        raise IncompleteBatch(
            f"shard {batch['shardId']} gave no record up to sequence number {last}"
            + (" (the shard ended)" if not iterator else f" in {MAX_EMPTY_PAGES} pages")
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m govrate.evaluations.replay",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--failures", required=True, help="URL of the relay's on-failure queue (RelayFailures)")
    parser.add_argument(
        "--negative-reviews-queue",
        default=os.environ.get("GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL"),
        help="URL of the NegativeReviews queue (default: $GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL)",
    )
    parser.add_argument(
        "--notice-queue",
        default=os.environ.get("GOVRATE_NOTICE_QUEUE_URL"),
        help="URL of the EvaluatorNotices queue (default: $GOVRATE_NOTICE_QUEUE_URL)",
    )
    parser.add_argument("--limit", type=int, default=10_000, help="replay at most this many batches")
    arguments = parser.parse_args(argv)
    missing = [
        option
        for option, value in (
            ("--negative-reviews-queue (or GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL)", arguments.negative_reviews_queue),
            ("--notice-queue (or GOVRATE_NOTICE_QUEUE_URL)", arguments.notice_queue),
        )
        if not value
    ]
    if missing:
        parser.error("the queues to publish to are needed: " + "; ".join(missing))
    queues = OutboxQueues(
        negative_reviews=MessageQueue(arguments.negative_reviews_queue, "negative-review"),
        notices=MessageQueue(arguments.notice_queue, "evaluator notice"),
    )
    try:
        batches, published = RelayReplay(queues).replay(arguments.failures, limit=arguments.limit)
    except (GovrateError, *AWS_ERRORS) as exc:
        sys.stderr.write(f"replay stopped: {exc}\n")
        return 1
    sys.stdout.write(f"replayed {batches} batches, published {published} records\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
