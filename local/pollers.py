"""Event delivery as Lambda's event source mappings and EventBridge do it: a DynamoDB-streams poller,
an SQS poller and a schedule ticker, each a thread that calls one handler."""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.events.models import EventPattern

from local.lambdas import (
    Handler,
    dynamodb_event_record,
    failed_item_ids,
    function_arn,
    invoke,
    scheduled_event,
    sqs_event_record,
)
from local.template import EventSourceSpec, FunctionSpec, ScheduleSpec

log = logging.getLogger("local.events")

IDLE_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 5.0
SQS_MAX_MESSAGES = 10  # one ReceiveMessage returns at most 10; Lambda batches beyond that over a window
# Lambda reads a queue with five invocations at once at first; so do five threads here. They share the
# process with every HTTP request's thread: with a single poller the consumer got one turn of the GIL
# in twenty under load and fell minutes behind.
QUEUE_POLLERS = 5
STREAM_PAGE_RECORDS = 1000  # the most one GetRecords of DynamoDB Streams returns


class RecordFilter:
    """An event source mapping's FilterCriteria: a record is delivered when any pattern matches it
    (the EventBridge pattern syntax; moto's matcher implements it)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._patterns = [EventPattern.load(pattern) for pattern in patterns]

    def admits(self, record: dict[str, Any]) -> bool:
        # moto types the argument as an EventBridge envelope; the matcher itself takes any object
        return not self._patterns or any(pattern.matches_event(record) for pattern in self._patterns)  # type: ignore[arg-type]


class Worker(threading.Thread, ABC):
    """A thread that polls until stopped; a failing poll is logged and retried, never fatal."""

    def __init__(self, name: str, function: FunctionSpec, handler: Handler, stop: threading.Event) -> None:
        # A daemon: a job still running when the stack stops (a night's analysis) must not keep the
        # process alive; its data lives in moto's memory and goes with it anyway.
        super().__init__(name=name, daemon=True)
        self.function = function
        self.handler = handler
        self.stop_event = stop

    def run(self) -> None:
        failures = 0
        while not self.stop_event.is_set():
            try:
                busy = self.poll()
                failures = 0
            except Exception:
                failures += 1
                self._log_failure("poll failed")
                busy = False
            if not busy:
                self.stop_event.wait(min(MAX_BACKOFF_SECONDS, IDLE_SECONDS * 2**failures))

    @abstractmethod
    def poll(self) -> bool:
        """One round of work; False when there was nothing to do."""

    def call(self, event: dict[str, Any]) -> tuple[bool, Any]:
        """(True, response), or (False, None) when the handler raised: the whole batch failed."""
        try:
            return True, invoke(self.function, self.handler, event)
        except Exception:
            self._log_failure(f"{self.function.handler} raised")
            return False, None

    def _log_failure(self, what: str) -> None:
        """With its traceback, unless the stack is stopping: then moto is going away under the work
        in hand (Ctrl-C while the start-up jobs run), which is no fault."""
        if self.stop_event.is_set():
            log.info("%s: %s as the stack stopped", self.name, what)
        else:
            log.exception("%s: %s", self.name, what)


@dataclass(frozen=True)
class _StreamRecord:
    shard_id: str
    record: dict[str, Any]

    @property
    def sequence_number(self) -> str:
        return str(self.record["dynamodb"]["SequenceNumber"])


class StreamPoller(Worker):
    """Reads the table's stream shard by shard and hands the handler batches of up to the mapping's
    batch size of the records its filter admits. A partial batch failure re-delivers from the first
    failed sequence number, as Lambda checkpoints a stream; when the retries are spent, the on-failure
    destination (an SQS queue) hears of the records skipped."""

    def __init__(
        self,
        function: FunctionSpec,
        handler: Handler,
        source: EventSourceSpec,
        *,
        stream_arn: str,
        on_failure_url: str | None,
        stop: threading.Event,
    ) -> None:
        super().__init__(f"stream→{function.handler}", function, handler, stop)
        self.source = source
        self.stream_arn = stream_arn
        self.on_failure_url = on_failure_url
        self._filter = RecordFilter(source.filter_patterns)
        self._streams = boto3.client("dynamodbstreams")
        self._iterators: dict[str, str] = {}
        self._pending: list[_StreamRecord] = []
        self._attempts = 0

    def poll(self) -> bool:
        if not self._pending:
            self._pending, read = self._read()
            if not self._pending:
                return read  # records that no filter admits: read on at once, as Lambda does
        batch = self._pending[: self.source.batch_size]
        ok, response = self.call({"Records": [entry.record for entry in batch]})
        failed_from = self._first_failure(batch, response) if ok else 0
        rest = self._pending[len(batch) :]
        if failed_from is None:
            self._pending, self._attempts = rest, 0
            return True
        self._attempts += 1
        if self.source.max_retries is not None and self._attempts > self.source.max_retries:
            self._give_up(batch[failed_from:])
            self._pending, self._attempts = rest, 0
            return True
        log.warning(
            "%s: retrying from sequence number %s (attempt %d)",
            self.name,
            batch[failed_from].sequence_number,
            self._attempts,
        )
        self._pending = batch[failed_from:] + rest
        self.stop_event.wait(min(MAX_BACKOFF_SECONDS, IDLE_SECONDS * 2**self._attempts))
        return True

    def _first_failure(self, batch: list[_StreamRecord], response: Any) -> int | None:
        """Index of the first failed record, None when the batch succeeded. An unknown identifier
        fails the whole batch, as it does in Lambda."""
        if not self.source.report_item_failures:
            return None
        sequences = [entry.sequence_number for entry in batch]
        failed = failed_item_ids(response)
        if any(item not in sequences for item in failed):
            return 0
        return min((sequences.index(item) for item in failed), default=None)

    def _give_up(self, skipped: list[_StreamRecord]) -> None:
        log.error("%s: skipping %d records after %d retries", self.name, len(skipped), self.source.max_retries)
        if self.on_failure_url is None:
            return
        arrivals = [entry.record["dynamodb"].get("ApproximateCreationDateTime", 0) for entry in skipped]
        # What Lambda sends to an on-failure destination: where the records are, not the records.
        invocation_record = {
            "requestContext": {
                "requestId": f"local-{skipped[0].sequence_number}",
                "functionArn": function_arn(self.function.name),
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self._attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": _rfc3339(datetime.now(UTC).timestamp()),
            "DDBStreamBatchInfo": {
                "shardId": skipped[0].shard_id,
                "startSequenceNumber": skipped[0].sequence_number,
                "endSequenceNumber": skipped[-1].sequence_number,
                "approximateArrivalOfFirstRecord": _rfc3339(arrivals[0]),
                "approximateArrivalOfLastRecord": _rfc3339(arrivals[-1]),
                "batchSize": len(skipped),
                "streamArn": self.stream_arn,
            },
        }
        boto3.client("sqs").send_message(QueueUrl=self.on_failure_url, MessageBody=json.dumps(invocation_record))

    def _read(self) -> tuple[list[_StreamRecord], bool]:
        """The records of one page of each shard that the filter admits, and whether the pages held any
        records at all. Lambda reads a shard in pages larger than a batch and filters before it
        batches, so under a backlog its batches are full; it does not wait to fill them."""
        if not self._iterators:
            shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType=self.source.starting_position,  # type: ignore[arg-type]
                )["ShardIterator"]
        records: list[_StreamRecord] = []
        read = False
        for shard_id, iterator in list(self._iterators.items()):
            page = self._streams.get_records(ShardIterator=iterator, Limit=STREAM_PAGE_RECORDS)
            read = read or bool(page["Records"])
            for raw in page["Records"]:
                record = dynamodb_event_record(dict(raw), self.stream_arn)
                if self._filter.admits(record):
                    records.append(_StreamRecord(shard_id, record))
            if "NextShardIterator" in page:
                self._iterators[shard_id] = page["NextShardIterator"]
            else:  # a closed shard; its children appear on the next describe
                del self._iterators[shard_id]
        return records, read


def _rfc3339(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class QueuePoller(Worker):
    """Receives from the queue and deletes what the handler did not report as failed; failed messages
    come back after the visibility timeout and reach the dead-letter queue after maxReceiveCount.
    Several poll one queue at once (`number` names each), as Lambda's concurrent invocations do."""

    def __init__(
        self,
        function: FunctionSpec,
        handler: Handler,
        source: EventSourceSpec,
        *,
        queue_url: str,
        queue_arn: str,
        stop: threading.Event,
        number: int = 1,
    ) -> None:
        super().__init__(f"sqs→{function.handler}#{number}", function, handler, stop)
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self._filter = RecordFilter(source.filter_patterns)
        self._sqs = boto3.client("sqs")

    def poll(self) -> bool:
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, SQS_MAX_MESSAGES),
            WaitTimeSeconds=1,  # long polling, short enough to notice a stop
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return False
        records = [sqs_event_record(message, self.queue_arn) for message in messages]
        # Lambda deletes a message that no filter admits, without invoking the function.
        delivered = [record for record in records if self._filter.admits(_filterable(record))]
        failed: set[str] = set()
        if delivered:
            ok, response = self.call({"Records": delivered})
            if not ok:
                return True  # the whole batch comes back after the visibility timeout
            failed = set(failed_item_ids(response)) if self.source.report_item_failures else set()
            if failed - {record["messageId"] for record in delivered}:
                log.warning("%s: unknown batchItemFailures %s; the whole batch is retried", self.name, failed)
                return True
        done = [record for record in records if record["messageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)],
            )
        if failed:
            log.warning("%s: %d of %d messages failed and return to the queue", self.name, len(failed), len(records))
        return True


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """An SQS record as Lambda filters it: a body that is a JSON object is matched as JSON."""
    try:
        body = json.loads(record["body"])
    except ValueError:
        return record
    return {**record, "body": body} if isinstance(body, dict) else record


class ScheduleTicker(Worker):
    """Fires the schedule's target once at start, then every `interval` seconds (the cloud schedule
    is usually far slower; a demo wants to see the job run)."""

    def __init__(
        self,
        function: FunctionSpec,
        handler: Handler,
        schedule: ScheduleSpec,
        *,
        interval: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(f"schedule→{function.handler}", function, handler, stop)
        self.schedule = schedule
        self.interval = interval

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.poll()
            self.stop_event.wait(self.interval)

    def poll(self) -> bool:
        event = dict(self.schedule.event_input or scheduled_event(self.schedule.rule_name, datetime.now(UTC)))
        ok, response = self.call(event)
        if ok:
            log.info("%s: done %s", self.name, response if response is not None else "")
        return True
