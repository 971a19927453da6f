"""The local stack's moto holds under concurrency: a cancelled transaction (a replayed evaluation)
neither leaves records on the stream nor hides or undoes other writes; concurrent conditional
transactions let exactly one through; stream records that every reader has passed are dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local import moto_dynamodb
from local.moto_dynamodb import hold_under_concurrency
from local.provision import ACCOUNT, DUMMY_KEY, REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

TABLE = "streamed"


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    """DynamoDB and its streams on moto in this process, changed as the local stack's moto is."""
    hold_under_concurrency()
    with mock_aws():
        session = boto3.Session(aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY, region_name=REGION)
        dynamodb = session.client("dynamodb")
        try:
            # moto's in-process mock knows the streams' classic address only, not botocore's current one
            streams = session.client("dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com")
            yield dynamodb, streams
        finally:
            # moto's state may be the other tests' world: only the test's own table goes
            if TABLE in dynamodb.list_tables()["TableNames"]:
                dynamodb.delete_table(TableName=TABLE)


def put(pk: str) -> TransactWriteItemTypeDef:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}}, "ConditionExpression": "attribute_not_exists(pk)"}}


def create_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )


def shard_iterator(dynamodb: Any, streams: Any, kind: str = "LATEST") -> str:
    stream_arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard_id = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator: str = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType=kind)[
        "ShardIterator"
    ]
    return iterator


def test_an_open_iterator_sees_the_writes_after_a_cancelled_transaction_and_nothing_of_it(
    clients: tuple[Any, Any],
) -> None:
    dynamodb, streams = clients
    create_table(dynamodb)
    iterator = shard_iterator(dynamodb, streams)
    dynamodb.transact_write_items(TransactItems=[put("GUARD#1")])
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=[put("EVAL#2"), put("GUARD#1")])
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "EVAL#3"}})

    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [record["dynamodb"]["NewImage"]["pk"]["S"] for record in records] == ["GUARD#1", "EVAL#3"]


def test_concurrent_transactions_on_one_key_let_one_through_and_lose_no_other_write(
    clients: tuple[Any, Any],
) -> None:
    dynamodb, _ = clients
    create_table(dynamodb)

    def attempt(thread: int) -> bool:
        """One transaction on the shared guard, and a write of this thread's own between retries."""
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"OWN#{thread}"}})
        try:
            dynamodb.transact_write_items(TransactItems=[put(f"EVAL#{thread}"), put("GUARD#shared")])
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException"
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))

    assert outcomes.count(True) == 1
    keys = {item["pk"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]}
    assert keys == {f"OWN#{thread}" for thread in range(8)} | {"GUARD#shared", f"EVAL#{outcomes.index(True)}"}


def test_a_cancelled_transaction_puts_back_the_items_it_changed(clients: tuple[Any, Any]) -> None:
    dynamodb, _ = clients
    create_table(dynamodb)
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "COUNTER"}, "n": {"N": "1"}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "GUARD#1"}})
    increment = {
        "Update": {
            "TableName": TABLE,
            "Key": {"pk": {"S": "COUNTER"}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=[increment, put("EVAL#2"), put("GUARD#1")])

    assert dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "COUNTER"}})["Item"]["n"] == {"N": "1"}
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "EVAL#2"}})


def test_stream_records_every_reader_has_passed_are_dropped_after_a_while(
    clients: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, streams = clients
    monkeypatch.setattr(moto_dynamodb, "TRIM_EVERY_S", 0.0)
    create_table(dynamodb)
    abandoned = shard_iterator(dynamodb, streams)  # a reader that never reads
    iterator = shard_iterator(dynamodb, streams)
    for n in range(5):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"EVAL#{n}"}})
    page = streams.get_records(ShardIterator=iterator)
    assert len(page["Records"]) == 5

    def from_the_start() -> list[str]:
        records = streams.get_records(ShardIterator=shard_iterator(dynamodb, streams, "TRIM_HORIZON"))["Records"]
        return [record["dynamodb"]["NewImage"]["pk"]["S"] for record in records]

    # The reader that has not read holds them; past its lifetime it does not (an iterator that was
    # read never does: its reader goes on from the next), but the records are recent.
    assert from_the_start() == [f"EVAL#{n}" for n in range(5)]
    iterators = dynamodbstreams_backends[ACCOUNT][REGION].shard_iterators
    for arn in list(iterators):  # the abandoned one and every one issued before it
        iterators[arn].issued_at = time.monotonic() - moto_dynamodb.ITERATOR_LIFETIME_S - 1  # type: ignore[attr-defined]
        if arn == abandoned:
            break
    assert from_the_start() == [f"EVAL#{n}" for n in range(5)]
    # Once they are older than the time records are kept after every reader passed them, they go.
    monkeypatch.setattr(moto_dynamodb, "READ_RECORDS_KEPT_S", 0)
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "EVAL#5"}})

    fresh = streams.get_records(ShardIterator=page["NextShardIterator"])

    assert [record["dynamodb"]["NewImage"]["pk"]["S"] for record in fresh["Records"]] == ["EVAL#5"]
    assert from_the_start() == ["EVAL#5"]


def test_queries_read_their_key_in_order_and_page_as_dynamodb_does(clients: tuple[Any, Any]) -> None:
    dynamodb, _ = clients
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "day", "at")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_day",
                "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    for written in range(60):  # out of order, over three partitions and two days
        n = (written * 37) % 60
        item = {"pk": f"P{n % 3}", "sk": f"S{n:02d}", "at": f"T{59 - n:02d}"}
        dynamodb.put_item(TableName=TABLE, Item={k: {"S": v} for k, v in item.items()} | {"day": {"S": f"D{n % 2}"}})

    def pages(**query: Any) -> list[str]:
        found: list[str] = []
        start: dict[str, Any] = {}
        while True:
            page = dynamodb.query(TableName=TABLE, Limit=4, **query, **start)
            found += [item["sk"]["S"] for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    p1 = {":p": {"S": "P1"}}
    assert pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p1) == [
        f"S{n:02d}" for n in range(60) if n % 3 == 1
    ]
    assert pages(
        KeyConditionExpression="pk = :p AND sk > :s",
        ExpressionAttributeValues=p1 | {":s": {"S": "S30"}},
        ScanIndexForward=False,
    ) == [f"S{n:02d}" for n in reversed(range(31, 60)) if n % 3 == 1]
    assert pages(
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues=p1 | {":a": {"S": "S10"}, ":b": {"S": "S40"}},
    ) == [f"S{n:02d}" for n in range(10, 41) if n % 3 == 1]
    assert pages(
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)", ExpressionAttributeValues=p1 | {":s": {"S": "S2"}}
    ) == ["S22", "S25", "S28"]
    counted = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND sk <= :s",
        ExpressionAttributeValues=p1 | {":s": {"S": "S30"}},
        Select="COUNT",
        Limit=5,
    )
    assert (counted["Count"], counted["LastEvaluatedKey"]["sk"]) == (5, {"S": "S13"})
    assert pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "P9"}}) == []
    assert pages(
        IndexName="by_day",
        KeyConditionExpression="#d = :d",
        ExpressionAttributeNames={"#d": "day"},
        ExpressionAttributeValues={":d": {"S": "D0"}},
    ) == [f"S{n:02d}" for n in reversed(range(60)) if n % 2 == 0]  # by `at`, which runs against `sk`
