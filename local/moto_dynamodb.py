"""moto's DynamoDB made to hold under concurrency and over hours, as the local stack needs it.

moto's server answers each request in a thread of its own, and its DynamoDB was written for one test
at a time:

- TransactWriteItems deep-copies every table it touches (stream records included) before it starts,
  and puts the copies back when it is cancelled: any write another thread made meanwhile vanishes,
  open stream iterators keep reading the abandoned shard, and the copies pile up in memory.
  Two concurrent transactions can also both pass `attribute_not_exists` and both write.
- Its generic response serializer walks every item it answers against the API's shapes, attribute by
  attribute: that was most of moto's time answering the analysis's queries.
- Stream records and shard iterators are never dropped, so memory grows with every write.
- Every Query sorts the whole table first (then filters it to the key and sorts the matches again):
  with the weeks of demo history, the stack spent most of its time sorting. Within the partition it
  then sizes, compares and copies every item, matching or not: a count over the last minutes of a
  partition that grows all day (moto never expires items by TTL) grew slower with every write.

Here every DynamoDB and DynamoDB Streams request runs under one lock (moto's work is pure Python,
which the GIL serializes anyway); a transaction saves only the items it touches and, when it is
cancelled, puts back exactly those items and removes the stream records of its undone writes. Shard
iterators expire after 15 minutes as in DynamoDB, and a stream record is dropped a few minutes after
every reader of its shard has passed it. Items are answered as the DynamoDB JSON they already are. A
Query reads only its partition, and of a partition with string sort keys only the items its key
condition matches.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import get_comparison_func
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

DYNAMODB_LOCK = threading.RLock()
# The actions that answer items (and nothing but DynamoDB JSON, counts and keys).
ITEM_ACTIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)
ITERATOR_LIFETIME_S = 15 * 60  # DynamoDB Streams: "a shard iterator expires 15 minutes after it is returned"
TRIM_EVERY_S = 5.0
# How long a record every reader has passed is still kept: long enough for a replay of a skipped batch
# from its recorded positions (docs/reliability.md) a few minutes later; DynamoDB keeps 24 hours.
READ_RECORDS_KEPT_S = 5 * 60


@functools.cache  # once per process
def hold_under_concurrency() -> None:
    """Install the changes described above into moto (idempotent)."""
    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        handler.call_action = _serialized(handler.call_action)  # type: ignore[method-assign]
    _transactions_roll_back_items()
    _stream_retention()
    DynamoDBStreamsHandler.get_records = _records_as_json  # type: ignore[method-assign,assignment]
    for action in ITEM_ACTIONS:
        setattr(DynamoHandler, action, _items_as_json(getattr(DynamoHandler, action)))
    Table.query = _query_without_sorting_the_table(Table.query)  # type: ignore[method-assign]


def _serialized(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(call_action)
    def call_action_under_lock(handler: Any) -> Any:
        with DYNAMODB_LOCK:
            return call_action(handler)

    return call_action_under_lock


def _query_without_sorting_the_table(query: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(query)

    @functools.wraps(query)
    def query_the_key(table: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(table, *args, **kwargs).arguments
        hash_key, index_name = arguments["hash_key"], arguments.get("index_name")
        items: Any = table.items

        def candidates() -> list[Item]:
            if index_name is None and hash_key is not None:
                partition = items.get(hash_key)
                if partition is None:
                    return []
                if not table.range_key_attr:
                    return [partition]
                within = _sort_key_test(arguments.get("range_comparison"), arguments.get("range_objs") or [])
                return [item for item in partition.values() if within is None or within(item)]
            if table.range_key_attr:
                return [item for partition in items.values() for item in partition.values()]
            return list(items.values())

        with DYNAMODB_LOCK:  # the instance attribute hides the sorting method for this query only
            table.all_items = candidates  # type: ignore[method-assign]
            try:
                return query(table, *args, **kwargs)
            finally:
                del table.all_items

    return query_the_key


def _sort_key_test(range_comparison: str | None, range_objs: list[DynamoType]) -> Callable[[Item], bool] | None:
    """The key condition on string sort keys as a plain test, so that moto's query (which sizes and
    compares every candidate with its own types) sees only the matching items; None for any other
    condition, which moto then applies to the whole partition itself."""
    compare = get_comparison_func(range_comparison) if range_comparison else None
    if compare is None or not range_objs or any(obj.type != "S" for obj in range_objs):
        return None
    bounds = [obj.value for obj in range_objs]

    def test(item: Item) -> bool:
        key = item.range_key
        return key is not None and key.type == "S" and bool(compare(key.value, *bounds))

    return test


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB backend: a table "copied" before a
    transaction is the table itself, so moto's rollback puts back what is already there. Items are
    still deep-copied where moto copies them (update_item's old image)."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


@dataclass(frozen=True)
class _SavedItem:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None

    def restore(self) -> None:
        items: Any = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
            return
        if self.item is None:
            items.get(self.hash_key, {}).pop(self.range_key, None)
            if not items.get(self.hash_key, True):
                del items[self.hash_key]
        else:
            items[self.hash_key][self.range_key] = self.item


def _saved_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[_SavedItem]:
    """Copies of the items a transaction is about to touch (None where there is none yet). An
    operation whose table or key is malformed is skipped: moto refuses it before writing."""
    saved: list[_SavedItem] = []
    for entry in transact_items:
        for kind, operation in entry.items():
            table = backend.tables.get(operation.get("TableName", ""))
            attributes = operation.get("Item") if kind == "Put" else operation.get("Key")
            if table is None or not isinstance(attributes, dict) or table.hash_key_attr not in attributes:
                continue
            hash_key = DynamoType(attributes[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attributes:
                    continue
                range_key = DynamoType(attributes[table.range_key_attr])
            current = table.get_item(hash_key, range_key)
            saved.append(_SavedItem(table, hash_key, range_key, copy.deepcopy(current)))
    return saved


def _transactions_roll_back_items() -> None:
    dynamodb_models.copy = _TablesNotCopied  # type: ignore[attr-defined,assignment]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with DYNAMODB_LOCK:
            saved = _saved_items(backend, transact_items)
            shards = {
                id(table.stream_shard): (table.stream_shard, len(table.stream_shard.items))
                for table in {entry.table for entry in saved}
                if table.stream_shard is not None
            }
            try:
                original(backend, transact_items)
            except Exception:
                for entry in reversed(saved):
                    entry.restore()
                for shard, length in shards.values():
                    del shard.items[length:]  # the records of the undone writes
                raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]


def _stream_retention() -> None:
    original_init = ShardIterator.__init__
    last_trim = [0.0]

    def init(iterator: ShardIterator, *args: Any, **kwargs: Any) -> None:
        original_init(iterator, *args, **kwargs)
        iterator.issued_at = time.monotonic()  # type: ignore[attr-defined]

    def get_records(backend: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
        now = time.monotonic()
        if now - last_trim[0] >= TRIM_EVERY_S:
            last_trim[0] = now
            _expire_iterators(backend, now)
            _trim_shards(backend)
        iterator = backend.shard_iterators.get(iterator_arn)
        if iterator is None:
            raise JsonRESTError("ExpiredIteratorException", "Iterator expired: issued over 15 minutes ago")
        if iterator.sequence_number < iterator.stream_shard.starting_sequence_number:
            raise JsonRESTError("TrimmedDataAccessException", "The records at this position were trimmed")
        iterator.read = True  # type: ignore[attr-defined]  # its reader goes on from the next iterator
        return iterator.get(limit)

    ShardIterator.__init__ = init  # type: ignore[method-assign,assignment]
    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign,assignment]


def _records_as_json(handler: DynamoDBStreamsHandler) -> str:
    """GetRecords answered as moto's DynamoDB answers its own JSON: the records are DynamoDB JSON
    already, and moto's generic response serializer, which walks them against the API's shapes, was
    a quarter of moto's time under a platform's batches (every stream reader reads every record)."""
    iterator = handler._get_param("ShardIterator")
    limit = handler._get_param("Limit") or 1000
    return dynamo_json_dump(handler.backend.get_records(iterator, limit))


def _items_as_json(action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The action's answer dumped as DynamoDB JSON, as `_records_as_json` answers stream records. Over
    the integration tests' 15,000 answers it was what the serializer gives, but for DeleteItem's legacy
    `ConsumedCapacityUnits`, which is in no shape and which clients skip."""

    @functools.wraps(action)
    def answered(handler: DynamoHandler) -> Any:
        result = action(handler)
        if isinstance(result, ActionResult) and isinstance(result.result, dict):
            return dynamo_json_dump(result.result)
        return result

    return answered


def _expire_iterators(backend: DynamoDBStreamsBackend, now: float) -> None:
    """Iterators are kept in the order they were issued: drop the expired ones from the front."""
    for arn in list(backend.shard_iterators):
        if now - getattr(backend.shard_iterators[arn], "issued_at", now) < ITERATOR_LIFETIME_S:
            break
        del backend.shard_iterators[arn]


def _trim_shards(backend: DynamoDBStreamsBackend) -> None:
    """Drop the records that every reader of their shard has passed (the position of each live
    iterator not yet read: a reader goes on from the next iterator it was given) and that are older
    than READ_RECORDS_KEPT_S; a shard starts at its oldest record, as a trimmed shard does in DynamoDB
    (TRIM_HORIZON)."""
    positions: dict[int, tuple[StreamShard, int]] = {}
    for iterator in backend.shard_iterators.values():
        if getattr(iterator, "read", False):
            continue
        shard = iterator.stream_shard
        known = positions.get(id(shard))
        if known is None or iterator.sequence_number < known[1]:
            positions[id(shard)] = (shard, iterator.sequence_number)
    kept_since = utcnow() - timedelta(seconds=READ_RECORDS_KEPT_S)
    for shard, position in positions.values():
        passed = min(position - shard.starting_sequence_number, len(shard.items))
        old = 0
        while old < passed and shard.items[old].record["dynamodb"]["ApproximateCreationDateTime"] <= kept_since:
            old += 1
        if old > 0:
            del shard.items[:old]
            shard.starting_sequence_number += old
