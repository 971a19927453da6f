"""The states of the cases a downstream relayed, in the cases table: `CASE#<case id>` / `RELAYED`, with
the attribute names of a case item (`audit_count` is the version), so that this stage's own relay
reads both alike and passes them on to its upstream.

No agency here works them: they are in none of the indexes of open or overdue cases. The nightly
analysis counts them in the case-based rates, found through the cases' `by_rate_day` index under keys
of their own (`RELAYED#<yyyymmdd>#<shard>`): the readers of this stage's own cases of a day (the
analysis, the daily seals of the audit chains) never meet them, and reading them costs no extra index.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from govrate.cases.kinds import CaseKind
from govrate.evaluations.models import CaseState, HandlingRating
from govrate.evaluations.store import day_shard, shard_of
from govrate.kernel.clock import local_day
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.items import RELAYED_CASE_SK
from govrate.storage.tables import RateDayIndex, bind
from govrate.upstream.models import RelayedCaseState


def relayed_day_shard(day: date, shard: int) -> str:
    """The `by_rate_day` key of the relayed case states of a local day's bad reviews, in one shard."""
    return f"{RELAYED_CASE_SK}#{day_shard(day, shard)}"


class RelayedRateDayIndex(GlobalSecondaryIndex["RelayedCaseItem"]):
    class Meta:
        index_name = RateDayIndex.Meta.index_name
        projection = AllProjection()

    rate_day_shard = UnicodeAttribute(hash_key=True)
    evaluation_id = UnicodeAttribute(range_key=True)


class RelayedCaseItem(Model):
    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    evaluation_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    agency_code = UnicodeAttribute()
    region_code = UnicodeAttribute()
    applied_region_code = UnicodeAttribute(null=True)
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
    rate_day_shard = UnicodeAttribute()
    by_rate_day = RelayedRateDayIndex()


class RelayedCaseStateRepository:
    def __init__(self, table_name: str, *, day_shards: int = 16, utc_offset_hours: int = 8) -> None:
        self._model = bind(RelayedCaseItem, table_name)
        self._day_shards = day_shards
        self._offset = utc_offset_hours

    def apply(self, state: RelayedCaseState, relayed_by: str) -> bool:
        item = self._model(
            f"CASE#{state.case_id}",
            RELAYED_CASE_SK,
            evaluation_id=state.case_id,
            kind=state.kind.value,
            agency_code=state.agency_code,
            region_code=state.region_code,
            applied_region_code=state.applied_region_code,
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
            rate_day_shard=relayed_day_shard(
                local_day(state.evaluated_at, self._offset), shard_of(state.case_id, self._day_shards)
            ),
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

    def states_on(self, day: date) -> Iterator[RelayedCaseState]:
        """The latest relayed state of each case of the bad reviews given on a local day (analyze's read);
        relayed supervision cases count in no rate, as this stage's own do not."""
        with translated("cases index"):
            for shard in range(self._day_shards):
                for item in self._model.by_rate_day.query(relayed_day_shard(day, shard)):
                    state = _state(item)
                    if state.kind is CaseKind.BAD_REVIEW:
                        yield state


def _state(item: RelayedCaseItem) -> RelayedCaseState:
    return RelayedCaseState(
        case_id=item.evaluation_id,
        kind=CaseKind(item.kind),
        agency_code=item.agency_code,
        region_code=item.region_code,
        applied_region_code=item.applied_region_code,
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
