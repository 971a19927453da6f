"""The regions' rules in the reference table: each division's current document (`RULES` / `<division>`,
one small partition, so a function reads every division's with one Query) and its audit trail
(`RULESLOG#<division>` / `<version, 6 digits>`), the two written in one transaction."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from govrate.kernel.errors import Conflict
from govrate.regions.rules import RulesChange, RulesDocument, StoredRules
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.tables import bind, shared_connection

RULES_PK = "RULES"
RULES_LOG_PREFIX = "RULESLOG#"


class RulesItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    document = UnicodeAttribute()
    version = NumberAttribute()
    changed_at = UnicodeAttribute()
    changed_by = UnicodeAttribute()


class RulesLogItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    change = UnicodeAttribute()


class RulesRepository:
    def __init__(self, table_name: str) -> None:
        self._rules = bind(RulesItem, table_name)
        self._log = bind(RulesLogItem, table_name)
        self._connection = shared_connection()

    def documents(self) -> dict[str, RulesDocument]:
        with translated("reference table"):
            return {item.sk: _document(item) for item in self._rules.query(RULES_PK)}

    def current(self, division: str) -> StoredRules | None:
        try:
            item = self._rules.get(RULES_PK, division)
        except self._rules.DoesNotExist:
            return None
        except GetError as exc:
            raise storage_error(exc, "reference table") from exc
        return StoredRules(
            division=division,
            document=_document(item),
            version=int(item.version),
            changed_at=datetime.fromisoformat(item.changed_at),
            changed_by=item.changed_by,
        )

    def replace(self, change: RulesChange) -> None:
        item = self._rules(
            RULES_PK,
            change.division,
            document=json.dumps(change.after, ensure_ascii=False, sort_keys=True),
            version=change.version,
            changed_at=change.at.isoformat(),
            changed_by=change.actor_name or change.actor_subject,
        )
        written_before = (
            self._rules.version == change.version - 1 if change.version > 1 else self._rules.pk.does_not_exist()
        )
        entry = self._log(
            f"{RULES_LOG_PREFIX}{change.division}", f"{change.version:06d}", change=change.model_dump_json()
        )
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(item, condition=written_before)
                transaction.save(entry, condition=self._log.pk.does_not_exist())
        except TransactWriteError as exc:
            if condition_failed(exc):
                raise Conflict(f"the rules of {change.division} were changed meanwhile; show them and retry") from exc
            raise storage_error(exc, "reference table") from exc

    def history(self, division: str) -> list[RulesChange]:
        with translated("reference table"):
            return [
                RulesChange.model_validate_json(item.change)
                for item in self._log.query(f"{RULES_LOG_PREFIX}{division}")
            ]


def _document(item: RulesItem) -> RulesDocument:
    # Stored only after validation; read back with the same model, so a field set to null stays set.
    return RulesDocument.model_validate_json(item.document)
