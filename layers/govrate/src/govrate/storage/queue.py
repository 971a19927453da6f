"""SQS queues that carry the system's messages: negative reviews to the case consumer, and
invitations and evaluator notices to the region's SMS / e-mail gateway."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3
from pydantic import BaseModel

from govrate.kernel.errors import GovrateError, StorageMisconfigured, StorageUnavailable
from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SendMessageBatch takes at most 10 entries.
BATCH_ENTRIES = 10


class MessageQueue:
    """Publishes each message as its JSON document; an unreachable queue is StorageUnavailable."""

    def __init__(self, queue_url: str, purpose: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._purpose = purpose
        self._client = client or boto3.client("sqs")

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
