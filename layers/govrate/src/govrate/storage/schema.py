"""Key schema of every DynamoDB table: one description that the CDK data construct, the test
fixtures and a consistency test against the PynamoDB models all read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    stream: bool = False
    ttl_attribute: str | None = None
    attributes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        keys = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.indexes:
            keys += [index.partition_key, index.sort_key]
        object.__setattr__(self, "attributes", tuple(dict.fromkeys(keys)))

    def create_table_arguments(self, table_name: str) -> dict[str, Any]:
        """boto3 `create_table` arguments (tests and tools; the cloud gets the same from CDK)."""
        key_schema = [{"AttributeName": self.partition_key, "KeyType": "HASH"}]
        if self.sort_key:
            key_schema.append({"AttributeName": self.sort_key, "KeyType": "RANGE"})
        arguments: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": key_schema,
            "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in self.attributes],
        }
        if self.indexes:
            arguments["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.partition_key, "KeyType": "HASH"},
                        {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ]
        if self.stream:
            arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        return arguments


EVALUATIONS = TableSpec(
    name="evaluations",
    partition_key="pk",
    indexes=(
        IndexSpec("by_day", "day_shard", "created_key"),
        IndexSpec("records_by_day", "record_day_shard", "record_key"),
    ),
    stream=True,
)

CASES = TableSpec(
    name="cases",
    partition_key="pk",
    sort_key="sk",
    indexes=(
        IndexSpec("open_by_agency", "open_agency", "open_key"),
        IndexSpec("open_by_region", "open_region", "open_key"),
        IndexSpec("open_by_city", "open_city", "open_key"),
        IndexSpec("open_by_province", "open_province", "open_key"),
        IndexSpec("by_due", "due_shard", "due_key"),
        IndexSpec("by_rate_day", "rate_day_shard", "evaluation_id"),
    ),
    # The outbox of the evaluator's notices.
    stream=True,
    # The bad reviews seen per window or item for the burst threshold (`BURSTWATCH#…`) expire.
    ttl_attribute="expires_at",
)

REFERENCE = TableSpec(
    name="reference",
    partition_key="pk",
    sort_key="sk",
    indexes=(
        IndexSpec("items_by_region", "list_region", "list_code"),
        IndexSpec("items_by_agency", "list_agency", "list_code"),
        IndexSpec("items_by_kind", "list_kind", "list_code"),
    ),
    ttl_attribute="expires_at",
)

TABLES: tuple[TableSpec, ...] = (EVALUATIONS, CASES, REFERENCE)
