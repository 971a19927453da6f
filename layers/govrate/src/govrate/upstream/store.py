"""The states of the cases a downstream relayed, in the cases table: `CASE#<case id>` / `RELAYED`, with
the attribute names of a case item (`audit_count` is the version), so that this stage's own relay
reads both alike and passes them on to its upstream. They are in none of the cases' indexes: no
agency here works them."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from govrate.cases.model import CaseKind
from govrate.evaluations.models import CaseState, HandlingRating
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.items import RELAYED_CASE_SK
from govrate.storage.tables import bind
from govrate.upstream.models import RelayedCaseState


class RelayedCaseItem(Model):
    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    evaluation_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    agency_code = UnicodeAttribute()
    region_code = UnicodeAttribute()
    item_code = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    audit_count = NumberAttribute()
    opened_at = UnicodeAttribute()
    evaluated_at = UnicodeAttribute()
    real_name = BooleanAttribute()
    answered_at = UnicodeAttribute(null=True)
    answered_within_deadline = BooleanAttribute(null=True)
    visited_and_rectified = BooleanAttribute()
    handling_rating = UnicodeAttribute(null=True)
    excluded_from_rates = BooleanAttribute()
    reopen_count = NumberAttribute()
    relayed_by = UnicodeAttribute()


class RelayedCaseStateRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(RelayedCaseItem, table_name)

    def apply(self, state: RelayedCaseState, relayed_by: str) -> bool:
        item = self._model(
            f"CASE#{state.case_id}",
            RELAYED_CASE_SK,
            evaluation_id=state.case_id,
            kind=state.kind.value,
            agency_code=state.agency_code,
            region_code=state.region_code,
            item_code=state.item_code,
            state=state.state.value,
            audit_count=state.version,
            opened_at=state.opened_at.isoformat(),
            evaluated_at=state.evaluated_at.isoformat(),
            real_name=state.real_name,
            answered_at=state.answered_at.isoformat() if state.answered_at else None,
            answered_within_deadline=state.answered_within_deadline,
            visited_and_rectified=state.visited_and_rectified,
            handling_rating=state.handling_rating.value if state.handling_rating else None,
            excluded_from_rates=state.excluded_from_rates,
            reopen_count=state.reopen_count,
            relayed_by=relayed_by,
        )
        try:
            item.save(condition=self._model.pk.does_not_exist() | (self._model.audit_count < state.version))
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "cases table") from exc
        return True

    def latest(self, case_id: str) -> RelayedCaseState | None:
        with translated("cases table"):
            try:
                return _state(self._model.get(f"CASE#{case_id}", RELAYED_CASE_SK, consistent_read=True))
            except self._model.DoesNotExist:
                return None


def _state(item: RelayedCaseItem) -> RelayedCaseState:
    return RelayedCaseState(
        case_id=item.evaluation_id,
        kind=CaseKind(item.kind),
        agency_code=item.agency_code,
        region_code=item.region_code,
        item_code=item.item_code,
        state=CaseState(item.state),
        version=int(item.audit_count),
        opened_at=datetime.fromisoformat(item.opened_at),
        evaluated_at=datetime.fromisoformat(item.evaluated_at),
        real_name=item.real_name,
        answered_at=datetime.fromisoformat(item.answered_at) if item.answered_at else None,
        answered_within_deadline=item.answered_within_deadline,
        visited_and_rectified=item.visited_and_rectified,
        handling_rating=HandlingRating(item.handling_rating) if item.handling_rating else None,
        excluded_from_rates=item.excluded_from_rates,
        reopen_count=int(item.reopen_count),
    )
