"""Follow-up reviews (追评): one per evaluation, stored beside it; the original is never touched."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError, PutError
from pynamodb.models import Model

from govrate.evaluations.models import FollowUp
from govrate.kernel.errors import Conflict, NotFound
from govrate.kernel.scale import Level
from govrate.storage.errors import condition_failed, storage_error
from govrate.storage.tables import bind


class FollowUpItem(Model):
    class Meta:
        table_name = "evaluations"

    pk = UnicodeAttribute(hash_key=True)
    entity = UnicodeAttribute(default="follow_up")
    evaluation_id = UnicodeAttribute()
    comment = UnicodeAttribute()
    level = NumberAttribute(null=True)
    created_at = UnicodeAttribute()


class FollowUpRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(FollowUpItem, table_name)

    def add(self, evaluation_id: str, follow_up: FollowUp) -> None:
        item = self._model(
            f"FOLLOWUP#{evaluation_id}",
            evaluation_id=evaluation_id,
            comment=follow_up.comment,
            level=int(follow_up.level) if follow_up.level is not None else None,
            created_at=follow_up.created_at.isoformat(),
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise Conflict(f"evaluation {evaluation_id} has its follow-up already") from exc
            raise storage_error(exc, "evaluations table") from exc

    def get(self, evaluation_id: str) -> FollowUp:
        try:
            item = self._model.get(f"FOLLOWUP#{evaluation_id}", consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"follow-up of {evaluation_id}") from exc
        except GetError as exc:
            raise storage_error(exc, "evaluations table") from exc
        return FollowUp(
            comment=item.comment,
            level=Level(int(item.level)) if item.level is not None else None,
            created_at=datetime.fromisoformat(item.created_at),
        )
