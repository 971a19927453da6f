"""Cases in DynamoDB: one per bad review, keyed by the evaluation id so a redelivery cannot make two."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pynamodb.exceptions import GetError, PutError

from govrate.errors import NotFound, StorageUnavailable
from govrate.models import CaseState
from govrate.scale import Level
from govrate.storage.tables import CaseItem, bind

CASE_SK = "CASE"


class StoredCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    evaluation_id: str
    item_code: str
    agency_code: str
    region_code: str
    level: Level
    state: CaseState
    opened_at: datetime
    evaluated_at: datetime


class CaseRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(CaseItem, table_name)

    def open(self, case: StoredCase) -> bool:
        """Store a new case; False when the evaluation already has one (an idempotent redelivery)."""
        item = self._model(
            f"CASE#{case.evaluation_id}",
            CASE_SK,
            evaluation_id=case.evaluation_id,
            item_code=case.item_code,
            agency_code=case.agency_code,
            region_code=case.region_code,
            level=int(case.level),
            state=case.state.value,
            opened_at=case.opened_at.isoformat(),
            evaluated_at=case.evaluated_at.isoformat(),
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable("cases table unavailable") from exc
        return True

    def get(self, evaluation_id: str) -> StoredCase:
        try:
            item = self._model.get(f"CASE#{evaluation_id}", CASE_SK, consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"case of evaluation {evaluation_id}") from exc
        except GetError as exc:
            raise StorageUnavailable("cases table unavailable") from exc
        return StoredCase(
            evaluation_id=item.evaluation_id,
            item_code=item.item_code,
            agency_code=item.agency_code,
            region_code=item.region_code,
            level=Level(int(item.level)),
            state=CaseState(item.state),
            opened_at=datetime.fromisoformat(item.opened_at),
            evaluated_at=datetime.fromisoformat(item.evaluated_at),
        )
