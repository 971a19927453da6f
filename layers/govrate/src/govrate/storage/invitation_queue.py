"""Invitations handed to the region's SMS / e-mail gateway through an SQS queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from govrate.errors import StorageUnavailable
from govrate.invitations import Invitation

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class QueueInvitationSender:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._client = client or boto3.client("sqs")

    def invite(self, invitation: Invitation) -> None:
        try:
            self._client.send_message(QueueUrl=self._url, MessageBody=invitation.model_dump_json())
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable("invitation queue unavailable") from exc
