"""The secret that signs the URLs in the windows' QR codes, kept in Secrets Manager."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from govrate.errors import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class SigningKeyRepository:
    def __init__(self, secret_arn: str, client: SecretsManagerClient | None = None) -> None:
        self._secret_arn = secret_arn
        self._client = client or boto3.client("secretsmanager")

    def qr_signing_key(self) -> str:
        """The current value of the secret (its SecretString)."""
        if not self._secret_arn:
            raise StorageUnavailable("no QR signing secret is configured")
        try:
            secret = self._client.get_secret_value(SecretId=self._secret_arn)
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable("QR signing secret unavailable") from exc
        key = secret.get("SecretString", "")
        if not key:
            raise StorageUnavailable("the QR signing secret holds no SecretString")
        return key
