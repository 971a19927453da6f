"""Signature nonces in the reference table (`NONCE#<key id>#<nonce>` / `NONCE`): each is taken once.

An entry is kept while a signature carrying it could still be accepted; DynamoDB's TTL (`expires_at`)
removes it later, and until then an expired entry does not block the nonce.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from govrate.storage.errors import condition_failed, storage_error
from govrate.storage.tables import bind

NONCE_SK = "NONCE"
NONCE_KEY_PREFIX = "NONCE#"


class NonceItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute()


class NonceRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(NonceItem, table_name)

    def claim(self, key_id: str, nonce: str, *, now: datetime, until: datetime) -> bool:
        """Take the nonce for `key_id` until `until`; False when it is taken already (a replay)."""
        item = self._model(f"{NONCE_KEY_PREFIX}{key_id}#{nonce}", NONCE_SK, expires_at=until)
        try:
            item.save(condition=self._model.pk.does_not_exist() | (self._model.expires_at < now))
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "reference table") from exc
        return True
