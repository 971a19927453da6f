"""Console sessions and sign-in attempts in the reference table, each in its own key space:

- `SESSION#<sha-256 of the session id>` / `SESSION`: a signed-in console session (the id itself is
  only in the browser's cookie, so a read of the table gives no usable session);
- `SIGNIN#<kind>#<key>` / `SIGNIN`: the failed sign-in attempts of an account, a client or a trusted
  device (`govrate.identity.sessions`);
- `DEVICE#<sha-256 of the device token>` / `DEVICE`: a browser that has signed in to an account before.

DynamoDB's TTL (`expires_at`) removes what has ended; until then an ended item is treated as absent.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.tables import bind

DocumentT = TypeVar("DocumentT", bound=BaseModel)


class SessionStoreItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    document = UnicodeAttribute()
    expires_at = TTLAttribute()
    version = NumberAttribute(default=0)


class SessionStore:
    """Documents (pydantic models) under a key, each until its `expires_at`."""

    def __init__(self, table_name: str) -> None:
        self._model = bind(SessionStoreItem, table_name)

    def put(self, prefix: str, key: str, document: BaseModel, *, expires_at: datetime) -> None:
        item = self._model(
            f"{prefix}{key}", prefix.rstrip("#"), document=document.model_dump_json(), expires_at=expires_at
        )
        with translated("reference table"):
            item.save()

    def get(self, prefix: str, key: str, model: type[DocumentT], *, now: datetime) -> DocumentT | None:
        document, _ = self.get_versioned(prefix, key, model, now=now)
        return document

    def get_versioned(
        self, prefix: str, key: str, model: type[DocumentT], *, now: datetime
    ) -> tuple[DocumentT | None, int]:
        """The document and the version to pass to `put_versioned` (0 when there is none)."""
        try:
            with translated("reference table"):
                item = self._model.get(f"{prefix}{key}", prefix.rstrip("#"), consistent_read=True)
        except self._model.DoesNotExist:
            return None, 0
        if item.expires_at is not None and item.expires_at <= now:
            return None, int(item.version)
        return model.model_validate_json(item.document), int(item.version)

    def put_versioned(self, prefix: str, key: str, document: BaseModel, *, expires_at: datetime, version: int) -> bool:
        """Replace the document read at `version`; False when someone else has written it since."""
        item = self._model(
            f"{prefix}{key}",
            prefix.rstrip("#"),
            document=document.model_dump_json(),
            expires_at=expires_at,
            version=version + 1,
        )
        current = self._model.version == version
        try:
            item.save(condition=self._model.pk.does_not_exist() | current if version == 0 else current)
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "reference table") from exc
        return True

    def delete(self, prefix: str, key: str) -> None:
        with translated("reference table"):
            self._model(f"{prefix}{key}", prefix.rstrip("#")).delete()
