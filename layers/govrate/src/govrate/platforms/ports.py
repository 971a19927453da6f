"""What platform authentication needs: the platforms' keys (Secrets Manager) and the used nonces (DynamoDB)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class PlatformKeys(Protocol):
    def key(self, secret_arn: str) -> bytes: ...


class NonceStore(Protocol):
    def claim(self, key_id: str, nonce: str, *, now: datetime, until: datetime) -> bool:
        """Claim a signature's nonce until it expires; False when it was claimed before."""
        ...
