"""The seal bucket and the KMS HMAC key in memory (`govrate.integrity.seal_store`), and a day's items."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from govrate.integrity.seal_store import SEALS_PREFIX, seal_key
from govrate.integrity.seals import CaseChainSource, Item


class InMemorySealBucket:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.reads: list[str] = []

    def keys(self, day: date) -> list[str]:
        return sorted(key for key in self.objects if key.startswith(f"{SEALS_PREFIX}/{day.isoformat()}/"))

    def read(self, key: str) -> bytes:
        self.reads.append(key)
        return self.objects[key]

    def put(self, day: date, sealed_at: datetime, body: bytes) -> str:
        key = seal_key(day, sealed_at)
        assert key not in self.objects, "a seal object is never replaced"
        self.objects[key] = body
        return key


class LocalMacKey:
    """HMAC-SHA-256 under a secret of its own, as KMS computes it under the HMAC key."""

    def __init__(self, secret: bytes = b"seal key material") -> None:
        self._secret = secret

    def generate(self, message: bytes) -> bytes:
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def verify(self, message: bytes, mac: bytes) -> bool:
        return hmac.compare_digest(self.generate(message), mac)


@dataclass
class DayItems:
    """The stored items of each local day: evaluations and the cases of its bad reviews."""

    evaluations: dict[date, list[dict[str, Any]]] = field(default_factory=dict)
    cases: dict[date, list[CaseChainSource]] = field(default_factory=dict)

    def evaluations_on(self, day: date) -> Iterator[Item]:
        yield from self.evaluations.get(day, [])

    def cases_on(self, day: date) -> Iterator[CaseChainSource]:
        yield from self.cases.get(day, [])
