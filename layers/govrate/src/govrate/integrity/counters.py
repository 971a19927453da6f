"""Abuse-limit counters in the reference table (`LIMIT#<scope>#<subject>#<period start>` / `LIMIT`).

One atomic ADD per attempt; DynamoDB's TTL (`expires_at`) removes a counter after its period.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from govrate.storage.errors import storage_error
from govrate.storage.tables import bind

LIMIT_SK = "LIMIT"
LIMIT_KEY_PREFIX = "LIMIT#"


class CounterItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    attempts = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class DynamoCounterRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(CounterItem, table_name)

    def increment(self, key: str, *, expires_at: datetime) -> int:
        item = self._model(f"{LIMIT_KEY_PREFIX}{key}", LIMIT_SK)
        try:
            item.update(actions=[self._model.attempts.add(1), self._model.expires_at.set(expires_at)])
        except UpdateError as exc:
            raise storage_error(exc, "reference table") from exc
        return int(item.attempts)
