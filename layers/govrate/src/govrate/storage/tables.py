"""PynamoDB table models. Key names here are the contract with the CDK data construct.

Tables:
- evaluations: hash key `pk` (`EVAL#<ulid>`), stream NEW_IMAGE, GSI `by_day` on
  (`day_shard` = `<yyyymmdd>#<shard>`, `created_key` = `<utc iso>#<ulid>`) so that a day is read by
  querying every shard, never by a Scan and never through one hot partition.
- cases: hash key `pk` (`CASE#<evaluation ulid>`), range key `sk`.
- reference: hash key `pk`, range key `sk`; the service-item catalogue and the service windows.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

EVALUATION_ENTITY = "evaluation"

M = TypeVar("M", bound=Model)


def bind(model: type[M], table_name: str) -> type[M]:
    """A subclass of `model` that talks to `table_name` (table names are only known at cold start)."""
    meta: Any = type("Meta", (model.Meta,), {"table_name": table_name})
    return type(model.__name__, (model,), {"Meta": meta})


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
    item_code = UnicodeAttribute()
    agency_code = UnicodeAttribute()
    region_code = UnicodeAttribute()
    channel = UnicodeAttribute()
    stage = UnicodeAttribute()
    level = NumberAttribute()
    bad_review = BooleanAttribute()
    comment = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    receipt_hash = UnicodeAttribute()
    day_shard = UnicodeAttribute()
    created_key = UnicodeAttribute()
    by_day = ByDayIndex()


class CaseItem(Model):
    class Meta:
        table_name = "cases"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    evaluation_id = UnicodeAttribute()
    item_code = UnicodeAttribute()
    agency_code = UnicodeAttribute()
    region_code = UnicodeAttribute()
    level = NumberAttribute()
    state = UnicodeAttribute()
    opened_at = UnicodeAttribute()
    evaluated_at = UnicodeAttribute()


class CatalogueEntryItem(Model):
    """A service item of the catalogue: `ITEM#<code>` / `META` in the reference table."""

    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_version = NumberAttribute(null=True)
    name_zh = UnicodeAttribute(null=True)
    name_en = UnicodeAttribute(null=True)
    agency_code = UnicodeAttribute(null=True)
    agency_name_zh = UnicodeAttribute(null=True)
    region_code = UnicodeAttribute(null=True)
    region_name_zh = UnicodeAttribute(null=True)
    channels = ListAttribute(of=UnicodeAttribute, null=True)
    stages = ListAttribute(of=UnicodeAttribute, null=True)
    promised_days = NumberAttribute(null=True)
