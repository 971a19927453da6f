"""The replay of failed relay batches reads a batch's whole range, past the empty pages a stream may
answer in the middle of a shard, and deletes a batch's message only once every record was published."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from govrate.evaluations.outbox import OutboxQueues
from govrate.evaluations.replay import MAX_EMPTY_PAGES, IncompleteBatch, RelayReplay, main
from govrate.kernel.errors import GovrateError
from pydantic import BaseModel

FAILURES_URL = "https://sqs.example/relay-failures"


def notice_record(sequence_number: int) -> dict[str, Any]:
    image = {
        "sk": {"S": f"NOTICE#{sequence_number:04d}"},
        "evaluation_id": {"S": f"ev-{sequence_number}"},
        "seq": {"N": str(sequence_number)},
        "kind": {"S": "answered"},
        "state": {"S": "received"},
    }
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": str(sequence_number), "NewImage": image}}


class PagedShard:
    """A shard's pages as GetRecords answers them; `closed` ends the shard after the last page."""

    def __init__(self, pages: Sequence[Sequence[int]], *, closed: bool) -> None:
        self.pages = [[notice_record(number) for number in page] for page in pages]
        self.closed = closed
        self.reads = 0

    def get_shard_iterator(self, **_: Any) -> dict[str, str]:
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        self.reads += 1
        index = int(ShardIterator)
        records = self.pages[index] if index < len(self.pages) else []
        ended = self.closed and index + 1 >= len(self.pages)
        return {"Records": records} | ({} if ended else {"NextShardIterator": str(index + 1)})


class FailureQueue:
    def __init__(self, *batches: tuple[int, int]) -> None:
        self.messages = [
            {
                "ReceiptHandle": f"r{start}",
                "Body": json.dumps(
                    {
                        "DDBStreamBatchInfo": {
                            "shardId": "shard-1",
                            "streamArn": "arn:aws:dynamodb:cn-north-1:111111111111:table/Cases/stream/x",
                            "startSequenceNumber": str(start),
                            "endSequenceNumber": str(end),
                        }
                    }
                ),
            }
            for start, end in batches
        ]
        self.deleted: list[str] = []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        waiting = [message for message in self.messages if message["ReceiptHandle"] not in self.deleted]
        return {"Messages": waiting[:10]}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)


class Published:
    def __init__(self) -> None:
        self.messages: list[BaseModel] = []

    def publish_batch(self, messages: Sequence[BaseModel]) -> dict[int, GovrateError]:
        self.messages.extend(messages)
        return {}


def replay(shard: PagedShard, failures: FailureQueue) -> tuple[tuple[int, int], Published]:
    notices = Published()
    queues = OutboxQueues(negative_reviews=Published(), notices=notices)  # type: ignore[arg-type]
    outcome = RelayReplay(queues, sqs=failures, streams=shard).replay(FAILURES_URL, limit=10)  # type: ignore[arg-type]
    return outcome, notices


def test_empty_pages_in_the_middle_of_the_range_do_not_end_it() -> None:
    shard = PagedShard([[1, 2], [], [], [3], [], [4, 5, 6]], closed=False)
    failures = FailureQueue((1, 5))

    outcome, notices = replay(shard, failures)

    assert outcome == (1, 5)
    assert [message.seq for message in notices.messages] == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]
    assert failures.deleted == ["r1"]


def test_a_shard_that_ends_before_the_last_record_keeps_the_message_and_publishes_nothing() -> None:
    shard = PagedShard([[1, 2], [], [3]], closed=True)
    failures = FailureQueue((1, 5))

    with pytest.raises(IncompleteBatch, match="the shard ended"):
        replay(shard, failures)

    assert failures.deleted == []


def test_an_open_shard_that_stays_empty_before_the_last_record_keeps_the_message() -> None:
    shard = PagedShard([[1]], closed=False)
    failures = FailureQueue((1, 2))

    with pytest.raises(IncompleteBatch):
        replay(shard, failures)

    assert failures.deleted == []
    assert shard.reads == 1 + MAX_EMPTY_PAGES


def test_the_command_names_the_queues_it_lacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL", raising=False)
    monkeypatch.delenv("GOVRATE_NOTICE_QUEUE_URL", raising=False)

    with pytest.raises(SystemExit) as exited:
        main(["--failures", FAILURES_URL, "--notice-queue", "https://sqs.example/notices"])

    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "--negative-reviews-queue (or GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL)" in error
    assert "--notice-queue" not in error.split("needed:")[1]
