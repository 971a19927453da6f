"""The transaction each window's kiosk offers, in the reference table (`KIOSK#<window_id>` / `CURRENT`).

One item per window, replaced by every push: its `seq` only grows, so a kiosk tells a new transaction
from the one it has handled. DynamoDB's TTL (`expires_at`) removes a stale one later; until then an
expired item is simply not offered.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError, UpdateError
from pynamodb.models import Model

from govrate.evaluations.models import Stage
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.tables import bind

CURRENT_SK = "CURRENT"


class KioskTransactionItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seq = NumberAttribute()
    ticket = UnicodeAttribute()
    item_name_zh = UnicodeAttribute()
    item_name_en = UnicodeAttribute()
    stage = UnicodeAttribute()
    pushed_at = UnicodeAttribute()
    done = BooleanAttribute()
    expires_at = TTLAttribute()


class PendingTransaction(BaseModel):
    """A transaction as the window system pushed it, before it gets its sequence number."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    ticket: str
    item_name_zh: str
    item_name_en: str
    stage: Stage
    pushed_at: datetime
    expires_at: datetime


class StoredTransaction(PendingTransaction):
    seq: int
    done: bool


def kiosk_key(window_id: str) -> str:
    return f"KIOSK#{window_id}"


class KioskRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(KioskTransactionItem, table_name)

    def push(self, window_id: str, transaction: PendingTransaction) -> StoredTransaction:
        """Make `transaction` the window's current one, with the next sequence number."""
        item = self._model(kiosk_key(window_id), CURRENT_SK)
        model = self._model
        with translated("reference table"):
            item.update(
                actions=[
                    model.seq.add(1),
                    model.ticket.set(transaction.ticket),
                    model.item_name_zh.set(transaction.item_name_zh),
                    model.item_name_en.set(transaction.item_name_en),
                    model.stage.set(transaction.stage.value),
                    model.pushed_at.set(transaction.pushed_at.isoformat()),
                    model.done.set(False),
                    model.expires_at.set(transaction.expires_at),
                ]
            )
        return _to_domain(item)

    def current(self, window_id: str) -> StoredTransaction | None:
        try:
            item = self._model.get(kiosk_key(window_id), CURRENT_SK, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        except GetError as exc:
            raise storage_error(exc, "reference table") from exc
        return _to_domain(item)

    def finish(self, window_id: str, seq: int) -> bool:
        """Mark transaction `seq` rated; False when the window has moved on to another one."""
        item = self._model(kiosk_key(window_id), CURRENT_SK)
        try:
            item.update(actions=[self._model.done.set(True)], condition=self._model.seq == seq)
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "reference table") from exc
        return True


def _to_domain(item: KioskTransactionItem) -> StoredTransaction:
    return StoredTransaction(
        seq=int(item.seq),
        ticket=item.ticket,
        item_name_zh=item.item_name_zh,
        item_name_en=item.item_name_en,
        stage=Stage(item.stage),
        pushed_at=datetime.fromisoformat(item.pushed_at),
        done=item.done,
        expires_at=item.expires_at,
    )
