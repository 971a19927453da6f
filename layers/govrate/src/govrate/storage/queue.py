"""The negative-review queue (SQS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from govrate.errors import StorageUnavailable
from govrate.models import NegativeReviewMessage

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class NegativeReviewQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._client = client or boto3.client("sqs")

    def publish(self, message: NegativeReviewMessage) -> None:
        try:
            self._client.send_message(QueueUrl=self._url, MessageBody=message.model_dump_json())
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable("negative-review queue unavailable") from exc
