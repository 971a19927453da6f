"""Signing secrets kept in Secrets Manager: the one that signs the URLs in the windows' QR codes, and
the HMAC key of each regional platform."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from govrate.kernel.errors import StorageMisconfigured
from govrate.storage.clients import aws_client
from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


def _secret_string(client: SecretsManagerClient, secret_arn: str, purpose: str) -> str:
    """The current value (SecretString) of a secret; StorageUnavailable when it cannot be had."""
    if not secret_arn:
        raise StorageMisconfigured(f"no {purpose} secret is configured")
    with translated(f"{purpose} secret"):
        secret = client.get_secret_value(SecretId=secret_arn)
    value = secret.get("SecretString", "")
    if not value:
        raise StorageMisconfigured(f"the {purpose} secret holds no SecretString")
    return value


class SigningKeyRepository:
    def __init__(self, secret_arn: str, client: SecretsManagerClient | None = None) -> None:
        self._secret_arn = secret_arn
        self._client = client or aws_client("secretsmanager")

    def qr_signing_key(self) -> str:
        """The current value of the secret (its SecretString)."""
        return _secret_string(self._client, self._secret_arn, "QR signing")


class PlatformKeyRepository:
    """The platforms' HMAC keys (the UTF-8 bytes of each secret's SecretString), each kept for `ttl_seconds`
    so that a rotated key is in use within that time; a failed read is not kept."""

    def __init__(
        self,
        ttl_seconds: float,
        client: SecretsManagerClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._client = client or aws_client("secretsmanager")
        self._clock = clock
        self._keys: dict[str, tuple[float, bytes]] = {}

    def key(self, secret_arn: str) -> bytes:
        now = self._clock()
        cached = self._keys.get(secret_arn)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        key = _secret_string(self._client, secret_arn, "platform signing").encode()
        self._keys[secret_arn] = (now, key)
        return key
