"""SQS queues that carry the system's messages: negative reviews to the case consumer, invitations and
evaluator notices to the region's SMS / e-mail gateway, and (FIFO) the facts relayed upstream."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

from govrate.kernel.errors import GovrateError, StorageMisconfigured, StorageUnavailable
from govrate.storage.clients import aws_client
from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

# SendMessageBatch takes at most 10 entries.
BATCH_ENTRIES = 10


class MessageQueue:
    """Publishes each message as its JSON document; an unreachable queue is StorageUnavailable."""

    def __init__(self, queue_url: str, purpose: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._purpose = purpose
        self._client = client or aws_client("sqs")

    def publish(self, message: BaseModel) -> None:
        with translated(f"{self._purpose} queue"):
            self._client.send_message(QueueUrl=self._url, MessageBody=message.model_dump_json())

    def publish_batch(self, messages: Sequence[BaseModel]) -> dict[int, GovrateError]:
        """Publish the messages 10 to a call; the error of each message not published, by its index.

        SQS answers each entry of a batch on its own, so one refused entry fails only that message; a
        call that fails as a whole fails its 10."""
        failures: dict[int, GovrateError] = {}
        resource = f"{self._purpose} queue"
        for start in range(0, len(messages), BATCH_ENTRIES):
            chunk = range(start, min(start + BATCH_ENTRIES, len(messages)))
            try:
                with translated(resource):
                    answer = self._client.send_message_batch(
                        QueueUrl=self._url,
                        Entries=[
                            {"Id": str(index), "MessageBody": messages[index].model_dump_json()} for index in chunk
                        ],
                    )
            except (StorageUnavailable, StorageMisconfigured) as exc:
                failures.update((index, exc) for index in chunk)
                continue
            for entry in answer.get("Failed", []):
                failures[int(entry["Id"])] = _entry_error(resource, entry.get("Code", ""), entry["SenderFault"])
        return failures


def _entry_error(resource: str, code: str, sender_fault: bool) -> GovrateError:
    """The error of one refused entry: the sender's fault will not pass on a retry, SQS's may."""
    if sender_fault:
        return StorageMisconfigured(f"{resource} refused a message ({code})")
    return StorageUnavailable(f"{resource} unavailable ({code})")


class FifoMessage(Protocol):
    """A message of a FIFO queue: delivered in order within its group, once per deduplication id."""

    @property
    def group_id(self) -> str: ...

    @property
    def deduplication_id(self) -> str: ...

    def model_dump_json(self) -> str: ...


@dataclass(frozen=True)
class Published:
    """How many messages were published, in order, before the first that was not, and its error."""

    count: int
    error: GovrateError | None = None


class FifoQueue:
    """A FIFO queue that publishes in order and stops at the first message it could not publish, so
    that nothing overtakes a message of its group."""

    def __init__(self, queue_url: str, purpose: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._resource = f"{purpose} queue"
        self._client = client or aws_client("sqs")

    def publish_in_order(self, messages: Sequence[FifoMessage]) -> Published:
        for start in range(0, len(messages), BATCH_ENTRIES):
            chunk = messages[start : start + BATCH_ENTRIES]
            try:
                with translated(self._resource):
                    answer = self._client.send_message_batch(QueueUrl=self._url, Entries=_entries(chunk, start))
            except (StorageUnavailable, StorageMisconfigured) as exc:
                return Published(start, exc)
            refused = sorted(answer.get("Failed", []), key=lambda entry: int(entry["Id"]))
            if refused:
                first = refused[0]
                return Published(
                    int(first["Id"]), _entry_error(self._resource, first.get("Code", ""), first["SenderFault"])
                )
        return Published(len(messages))

    def move(self, message: FifoMessage) -> None:
        """Publish one message (to a dead-letter queue: its group and deduplication id kept)."""
        with translated(self._resource):
            self._client.send_message(
                QueueUrl=self._url,
                MessageBody=message.model_dump_json(),
                MessageGroupId=message.group_id,
                MessageDeduplicationId=message.deduplication_id,
            )


def _entries(messages: Sequence[FifoMessage], first_index: int) -> list[SendMessageBatchRequestEntryTypeDef]:
    return [
        {
            "Id": str(first_index + offset),
            "MessageBody": message.model_dump_json(),
            "MessageGroupId": message.group_id,
            "MessageDeduplicationId": message.deduplication_id,
        }
        for offset, message in enumerate(messages)
    ]
