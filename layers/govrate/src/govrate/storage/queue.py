"""SQS queues that carry the system's messages: negative reviews to the case consumer, and
invitations and evaluator notices to the region's SMS / e-mail gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from pydantic import BaseModel

from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class MessageQueue:
    """Publishes each message as its JSON document; an unreachable queue is StorageUnavailable."""

    def __init__(self, queue_url: str, purpose: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._purpose = purpose
        self._client = client or boto3.client("sqs")

    def publish(self, message: BaseModel) -> None:
        with translated(f"{self._purpose} queue"):
            self._client.send_message(QueueUrl=self._url, MessageBody=message.model_dump_json())
