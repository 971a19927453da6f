"""Every AWS call a process makes, counted with botocore event hooks, and the DynamoDB capacity its
writes and reads are billed.

`AwsCalls.observing()` hooks every client created while it is open (boto3's and PynamoDB's alike:
each gets its hooks from `Session.create_client`). It counts calls by service and operation, asks
DynamoDB for `ReturnConsumedCapacity` on every write and keeps what the answer reports, and computes
the units DynamoDB bills from the items' sizes:

- a write: 1 write unit per started KB of the item, per item, and one more copy of that size for each
  global secondary index the item is in (every index here projects ALL); a transaction's items 2x,
  its index copies at the standard rate (indexes are updated after the transaction, not in it);
- a read: 1 read unit per started 4 KB, half for an eventually consistent read, 2x in a transaction;
  a query is billed on the sum of the items it returns.

An update is billed on the item after it, a delete and a condition check on the item as it was; the
items are read with a client of its own, which is not counted.
"""

from __future__ import annotations

import base64
import json
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import botocore.session

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@dataclass
class Usage:
    """What a span of work cost: AWS calls by (service, operation) and DynamoDB units."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    # By write operation: its calls, the units their answers reported in ConsumedCapacity (and how
    # many answers had none), and the units computed from the item sizes.
    writes: Counter[str] = field(default_factory=Counter)
    reported: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    unreported: Counter[str] = field(default_factory=Counter)
    computed: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    written: list[str] = field(default_factory=list)  # "table entity: units" of each item written

    def round_trips(self, service: str | None = None) -> int:
        return sum(count for (name, _), count in self.calls.items() if service in (None, name))


class AwsCalls:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage = Usage()
        self._reader = boto3.client("dynamodb")  # made before the hooks: its calls are not counted
        self._indexes: dict[str, list[list[str]]] = {}
        self._before: dict[int, list[dict[str, Any] | None]] = {}

    @contextmanager
    def observing(self) -> Iterator[AwsCalls]:
        original = botocore.session.Session.create_client
        calls = self

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            calls.hook(client)
            return client

        with mock.patch.object(botocore.session.Session, "create_client", create_client):
            yield self

    @contextmanager
    def span(self) -> Iterator[Usage]:
        """The usage of the work done inside the block (the counters start from zero)."""
        with self._lock:
            self._usage = Usage()
        usage = self._usage
        yield usage

    def hook(self, client: Any) -> None:
        client.meta.events.register("provide-client-params", self._ask_capacity)
        client.meta.events.register("before-call", self._read_prior_items)
        client.meta.events.register("after-call", self._count)

    def _ask_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.service_model.service_name == "dynamodb" and model.name in _WRITES:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")

    def _read_prior_items(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        """Keep the request as sent (attribute values, whether a boto3 resource or PynamoDB made them),
        and the items a delete or a condition check is billed on, as they are before the call."""
        if model.service_model.service_name != "dynamodb":
            return
        request = context["billed_request"] = json.loads(params["body"] or b"{}")
        if model.name == "DeleteItem":
            context["billed_before"] = [self._item(request["TableName"], request["Key"])]
        elif model.name == "TransactWriteItems":
            context["billed_before"] = [
                self._item(entry[kind]["TableName"], entry[kind]["Key"])
                if (kind := next(iter(entry))) in {"Delete", "ConditionCheck"}
                else None
                for entry in request["TransactItems"]
            ]

    def _count(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        with self._lock:
            usage = self._usage
            usage.calls[service, model.name] += 1
        if service != "dynamodb" or http_response.status_code != 200:
            return
        request = context.get("billed_request", {})
        units = self._units(model.name, request, parsed, context.get("billed_before", []))
        with self._lock:
            if model.name in _WRITES:
                reported = parsed.get("ConsumedCapacity")
                usage.writes[model.name] += 1
                usage.unreported[model.name] += 0 if reported else 1
                for capacity in reported if isinstance(reported, list) else [reported] if reported else []:
                    usage.reported[model.name] += float(capacity.get("CapacityUnits", 0))
                usage.computed[model.name] += units.write_units
            usage.write_units += units.write_units
            usage.read_units += units.read_units
            usage.written += units.written

    def _units(
        self, operation: str, request: dict[str, Any], parsed: dict[str, Any], before: list[dict[str, Any] | None]
    ) -> Usage:
        units = Usage()
        if operation in _WRITES:
            self._write_units(units, operation, request, before)
        elif operation == "GetItem":
            units.read_units += _read_units([parsed.get("Item")], consistent=request.get("ConsistentRead", False))
        elif operation in {"Query", "Scan"}:
            units.read_units += _read_units(parsed.get("Items", []), consistent=request.get("ConsistentRead", False))
        elif operation == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                units.read_units += sum(_read_units([item], consistent=False) for item in items)
        elif operation == "TransactGetItems":
            units.read_units += sum(2 * _read_units([r.get("Item")], consistent=True) for r in parsed["Responses"])
        return units

    def _write_units(
        self, units: Usage, operation: str, request: dict[str, Any], before: list[dict[str, Any] | None]
    ) -> None:
        if operation == "PutItem":
            self._write(units, request["TableName"], request["Item"], 1)
        elif operation == "UpdateItem":
            self._write(units, request["TableName"], self._item(request["TableName"], request["Key"]), 1)
        elif operation == "DeleteItem":
            self._write(units, request["TableName"], before[0], 1, indexed=False)
        elif operation == "BatchWriteItem":
            for table, entries in request["RequestItems"].items():
                for entry in entries:
                    if "PutRequest" in entry:
                        self._write(units, table, entry["PutRequest"]["Item"], 1)
        else:  # TransactWriteItems
            for entry, prior in zip(request["TransactItems"], before, strict=True):
                kind, action = next(iter(entry.items()))
                table = action["TableName"]
                if kind == "Put":
                    self._write(units, table, action["Item"], 2)
                elif kind == "Update":
                    self._write(units, table, self._item(table, action["Key"]), 2)
                else:  # a delete or a condition check: the item as it was, no index write for a check
                    self._write(units, table, prior, 2, indexed=kind == "Delete")

    def _write(
        self, units: Usage, table: str, item: dict[str, Any] | None, factor: int, *, indexed: bool = True
    ) -> None:
        if item is None:
            units.write_units += factor  # nothing there: still one unit
            return
        size = item_size(item)
        copies = sum(all(key in item for key in keys) for keys in self._index_keys(table)) if indexed else 0
        cost = factor * math.ceil(size / WRITE_UNIT_BYTES) + copies * math.ceil(size / WRITE_UNIT_BYTES)
        units.write_units += cost
        entity = item.get("entity", {}).get("S") or item.get("pk", {}).get("S", "").split("#")[0]
        units.written.append(f"{table.removeprefix('bench-')} {entity}: {cost}")

    def _index_keys(self, table: str) -> list[list[str]]:
        if table not in self._indexes:
            description = self._reader.describe_table(TableName=table)["Table"]
            self._indexes[table] = [
                [key["AttributeName"] for key in index["KeySchema"]]
                for index in description.get("GlobalSecondaryIndexes", [])
            ]
        return self._indexes[table]

    def _item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item


def _read_units(items: list[dict[str, Any] | None], *, consistent: bool) -> float:
    size = sum(item_size(item) for item in items if item)
    return max(1, math.ceil(size / READ_UNIT_BYTES)) * (1.0 if consistent else 0.5)


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (numbers approximated by their digits)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "L":
        return 3 + sum(_value_size(element) + 1 for element in inner)
    if kind == "M":
        return 3 + sum(len(key.encode()) + _value_size(element) + 1 for key, element in inner.items())
    if kind in {"SS", "NS", "BS"}:
        return sum(_scalar_size(kind[0], element) for element in inner)
    return _scalar_size(kind, inner)


def _scalar_size(kind: str, inner: Any) -> int:
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner) // 2 + 1
    if kind == "B":  # bytes in an answer, base64 text in a request as sent
        return len(inner) if isinstance(inner, bytes) else len(base64.b64decode(inner))
    if kind in {"BOOL", "NULL"}:
        return 1
    raise ValueError(kind)
