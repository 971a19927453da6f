"""PynamoDB table models. Key names here are the contract with the CDK data construct.

Tables:
- evaluations: hash key `pk` (`EVAL#<ulid>`), stream NEW_IMAGE, GSI `by_day` on
  (`day_shard` = `<yyyymmdd>#<shard>`, `created_key` = `<utc iso>#<ulid>`) so that a day is read by
  querying every shard, never by a Scan and never through one hot partition.
- cases: hash key `pk` (`CASE#<evaluation ulid>`), range key `sk`: the case (`CASE`) and its audit
  chain (`AUDIT#<seq, 6 digits>`) in one partition. Sparse GSIs `open_by_agency`, `open_by_region`,
  `open_by_city` and `open_by_province` (`open_agency`; `open_region`, `open_city`, `open_province` =
  the case's division and the city and province that hold it; `open_key` = `<pending deadline
  utc>#<ulid>`) list open cases by deadline for an agency and for a supervisor's division; sparse
  `by_due` (`due_shard` = `DUE#<shard>`, `due_key`) feeds the overdue sweep; `by_rate_day`
  (`rate_day_shard` = `<yyyymmdd>#<shard>`, `evaluation_id`) gives analyze the rate facts of a day's
  bad reviews. Notices for the evaluator (`NOTICE#<seq>`) share the partition; the table's stream
  (NEW_IMAGE) carries them to the relay. Supervision cases (bursts, pressure reports) are cases too,
  left out of `open_by_agency` and `by_due`. Bursts: the bad reviews seen per subject
  (`BURSTWATCH#<subject>` / `<utc>#<ulid>`, expiring by TTL `expires_at`), the subject's current
  burst (`BURSTS#<subject>` / `CURRENT`), a burst's bad reviews (`CASE#<burst>` / `MEMBER#<ulid>`)
  and, in the review's own partition, the burst that holds it (`CASE#<ulid>` / `BURST`). All
  projections are ALL: a case holds no personal data (the evaluator's contact stays encrypted on the
  evaluation).
- reference: hash key `pk`, range key `sk`; the service-item catalogue and the service windows
  (models in catalogue.py and windows.py).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any, TypeVar, cast

import botocore.session
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from govrate.storage.clients import client_environment
from govrate.storage.items import EVALUATION_ENTITY

M = TypeVar("M", bound=Model)


# pynamodb gives every model class a connection of its own, and each built a botocore session and
# client afresh on its first call: tens of milliseconds of CPU and megabytes each, for each of the
# dozens of bound models; concurrent first calls (a batch's writers, the local stack's request
# threads) each built their own (20 threads at once took a local stack from 0.3 GB to 0.9 GB).
_BINDING = threading.Lock()
# Connections the shared client keeps open to DynamoDB: more than a batch's writers, and than the local
# stack's request threads under load, which share the client too (urllib3 closes each connection past
# the pool's size, pynamodb's default 10, and warns every time).
MAX_POOL_CONNECTIONS = 50


def bind(model: type[M], table_name: str) -> type[M]:
    """The subclass of `model` that talks to `table_name` (table names are only known at cold start),
    built once per process and table; every bound model shares the process's one DynamoDB client."""
    with _BINDING:
        return _bound(model, table_name)


def shared_connection() -> Connection:
    """The process's pynamodb connection, for transactions and batch reads across models."""
    with _BINDING:
        return _connection()


def forget_bindings() -> None:
    """For tests that point the process at another endpoint or tables: the next `bind` binds afresh, on
    the connection of the environment then in effect."""
    with _BINDING:
        _bound.cache_clear()


class _SharedSessionConnection(Connection):
    """A connection on the process's one botocore session, which pynamodb would otherwise build afresh
    for each connection: a session parses botocore's endpoint and service data again (~0.1 s of CPU)."""

    @property
    def session(self) -> botocore.session.Session:
        return _botocore_session()


@cache
def _botocore_session() -> botocore.session.Session:
    """Kept past `forget_bindings`: the endpoint and region are read when the next client is made (the
    credentials once, as pynamodb's own session read them)."""
    return botocore.session.get_session()


def _connection() -> Connection:
    return _connection_in(client_environment("dynamodb"))


@cache
def _connection_in(_environment: tuple[str | None, ...]) -> Connection:
    """One per environment that chooses the endpoint and credentials (`govrate.storage.clients`)."""
    connection = _SharedSessionConnection(max_pool_connections=MAX_POOL_CONNECTIONS)
    connection.client  # noqa: B018 - built now, under the lock, once
    return connection


@cache
def _bound(model: type[M], table_name: str) -> type[M]:
    base_meta: Any = model.Meta
    meta = type("Meta", (base_meta,), {"table_name": table_name})
    bound = cast(type[M], type(model.__name__, (model,), {"Meta": meta}))
    # The model's own connection keeps its table's schema; its client is the shared one (no extra
    # headers or settings of its own, which is all that tells pynamodb's clients apart).
    bound._get_connection().connection._client = _connection().client
    return bound


class ByDayIndex(GlobalSecondaryIndex["EvaluationItem"]):
    class Meta:
        index_name = "by_day"
        projection = AllProjection()

    day_shard = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class EvaluationItem(Model):
    class Meta:
        table_name = "evaluations"

    pk = UnicodeAttribute(hash_key=True)
    entity = UnicodeAttribute(default=EVALUATION_ENTITY)
    evaluation_id = UnicodeAttribute()
    item_code = UnicodeAttribute(null=True)
    agency_code = UnicodeAttribute()
    region_code = UnicodeAttribute()
    applied_region_code = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    stage = UnicodeAttribute()
    level = NumberAttribute()
    bad_review = BooleanAttribute()
    comment = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    receipt_hash = UnicodeAttribute()
    item_version = NumberAttribute(null=True)
    record_id = UnicodeAttribute(null=True)
    window_id = UnicodeAttribute(null=True)
    mode = UnicodeAttribute(null=True)
    indicators = MapAttribute[str, Any](null=True)
    reason_codes = ListAttribute[str](null=True)
    real_name = BooleanAttribute(default=False)
    contact_cipher = BinaryAttribute(null=True, legacy_encoding=False)
    system_given = BooleanAttribute(default=False)
    submitted_by = UnicodeAttribute(null=True)
    evaluator_kind = UnicodeAttribute(null=True)
    fingerprint = UnicodeAttribute(null=True)
    client_key = UnicodeAttribute(null=True)
    intake_flags = ListAttribute[str](null=True)
    staff_network = UnicodeAttribute(null=True)
    relayed_by = UnicodeAttribute(null=True)
    day_shard = UnicodeAttribute()
    created_key = UnicodeAttribute()
    by_day = ByDayIndex()


class OpenByAgencyIndex(GlobalSecondaryIndex["CaseItem"]):
    class Meta:
        index_name = "open_by_agency"
        projection = AllProjection()

    open_agency = UnicodeAttribute(hash_key=True)
    open_key = UnicodeAttribute(range_key=True)


class OpenByRegionIndex(GlobalSecondaryIndex["CaseItem"]):
    class Meta:
        index_name = "open_by_region"
        projection = AllProjection()

    open_region = UnicodeAttribute(hash_key=True)
    open_key = UnicodeAttribute(range_key=True)


class OpenByCityIndex(GlobalSecondaryIndex["CaseItem"]):
    class Meta:
        index_name = "open_by_city"
        projection = AllProjection()

    open_city = UnicodeAttribute(hash_key=True)
    open_key = UnicodeAttribute(range_key=True)


class OpenByProvinceIndex(GlobalSecondaryIndex["CaseItem"]):
    class Meta:
        index_name = "open_by_province"
        projection = AllProjection()

    open_province = UnicodeAttribute(hash_key=True)
    open_key = UnicodeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex["CaseItem"]):
    class Meta:
        index_name = "by_due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class RateDayIndex(GlobalSecondaryIndex["CaseItem"]):
    class Meta:
        index_name = "by_rate_day"
        projection = AllProjection()

    rate_day_shard = UnicodeAttribute(hash_key=True)
    evaluation_id = UnicodeAttribute(range_key=True)


class CaseItem(Model):
    """`CASE#<ulid>` / `CASE`. `audit_count` and `audit_head` describe the audit chain beside it."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    evaluation_id = UnicodeAttribute()
    kind = UnicodeAttribute(null=True)
    item_code = UnicodeAttribute(null=True)
    agency_code = UnicodeAttribute()
    region_code = UnicodeAttribute()
    applied_region_code = UnicodeAttribute(null=True)
    window_id = UnicodeAttribute(null=True)
    level = NumberAttribute(null=True)
    state = UnicodeAttribute()
    opened_at = UnicodeAttribute()
    evaluated_at = UnicodeAttribute()
    real_name = BooleanAttribute(default=False)
    verify_due_at = UnicodeAttribute()
    answer_due_at = UnicodeAttribute()
    triage = UnicodeAttribute(null=True)
    resume_state = UnicodeAttribute(null=True)
    escalated_for = UnicodeAttribute(null=True)
    reopen_count = NumberAttribute(default=0)
    visited = BooleanAttribute(default=False)
    rectified = BooleanAttribute(default=False)
    answer = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)
    answered_within_deadline = BooleanAttribute(null=True)
    handling_rating = UnicodeAttribute(null=True)
    excluded_from_rates = BooleanAttribute(default=False)
    visited_and_rectified = BooleanAttribute(default=False)
    note = UnicodeAttribute(null=True)
    burst_outcome = UnicodeAttribute(null=True)
    changed_at = UnicodeAttribute(null=True)
    audit_count = NumberAttribute()
    audit_head = UnicodeAttribute()
    open_agency = UnicodeAttribute(null=True)
    open_region = UnicodeAttribute(null=True)
    open_city = UnicodeAttribute(null=True)
    open_province = UnicodeAttribute(null=True)
    open_key = UnicodeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    rate_day_shard = UnicodeAttribute()
    open_by_agency = OpenByAgencyIndex()
    open_by_region = OpenByRegionIndex()
    open_by_city = OpenByCityIndex()
    open_by_province = OpenByProvinceIndex()
    by_due = DueIndex()
    by_rate_day = RateDayIndex()


class CaseAuditItem(Model):
    """`CASE#<ulid>` / `AUDIT#<seq>`: one entry of the case's audit chain, written once, never updated."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    evaluation_id = UnicodeAttribute()
    seq = NumberAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    from_state = UnicodeAttribute(null=True)
    to_state = UnicodeAttribute()
    detail = UnicodeAttribute()
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()


class CaseNoticeItem(Model):
    """`CASE#<ulid>` / `NOTICE#<seq>`: a notice for the evaluator, written with the change that gives it;
    the table's stream carries it to the relay (the outbox). Kept as the record of what was sent."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    evaluation_id = UnicodeAttribute()
    seq = NumberAttribute()
    kind = UnicodeAttribute()
    state = UnicodeAttribute()


class FeedHeadItem(Model):
    """`FEED#<province>` / `HEAD`: the sequence number of the province's latest published case change.
    Every change is written on condition that the head is still the one it read."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seq = NumberAttribute()


class FeedChangeItem(Model):
    """`FEED#<province>` / `CHANGE#<seq, 12 digits>`: one published change of a bad review's case, for the
    platforms' change feed; `case` is its progress as the platform sees it (JSON). Expires after the
    feed's retention (`expires_at`)."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seq = NumberAttribute()
    evaluation_id = UnicodeAttribute()
    region_code = UnicodeAttribute()
    applied_region_code = UnicodeAttribute(null=True)
    case = UnicodeAttribute()
    expires_at = TTLAttribute()


class BurstWatchItem(Model):
    """`BURSTWATCH#<subject>` / `<given utc>#<ulid>`: a bad review of a window or item, counted for the
    burst threshold; expires (TTL) once it is older than the threshold's period."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute()


class BurstPointerItem(Model):
    """`BURSTS#<subject>` / `CURRENT`: the subject's current burst case."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    burst_id = UnicodeAttribute()


class BurstMemberItem(Model):
    """`CASE#<burst>` / `MEMBER#<ulid>`: a bad review held in a burst (the queue's message, no personal
    data); and `CASE#<ulid>` / `BURST` in the review's own partition, naming the burst that holds it."""

    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    burst_id = UnicodeAttribute()
    review = UnicodeAttribute(null=True)
