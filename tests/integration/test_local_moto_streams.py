"""The local stack's moto streams only committed writes: a cancelled transaction (a replayed evaluation)
neither leaves records on the stream nor hides the writes after it from open shard iterators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.provision import DUMMY_KEY, REGION, MotoServer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

TABLE = "streamed"


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    """DynamoDB and its streams on the local stack's moto server."""
    server = MotoServer()
    endpoint = server.start()
    session = boto3.Session(aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY, region_name=REGION)
    try:
        yield (
            session.client("dynamodb", endpoint_url=endpoint),
            session.client("dynamodbstreams", endpoint_url=endpoint),
        )
    finally:
        server.stop()


def put(pk: str) -> TransactWriteItemTypeDef:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}}, "ConditionExpression": "attribute_not_exists(pk)"}}


def test_an_open_iterator_sees_the_writes_after_a_cancelled_transaction_and_nothing_of_it(
    clients: tuple[Any, Any],
) -> None:
    dynamodb, streams = clients
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    stream_arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard_id = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="LATEST")
    dynamodb.transact_write_items(TransactItems=[put("GUARD#1")])
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=[put("EVAL#2"), put("GUARD#1")])
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "EVAL#3"}})

    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [record["dynamodb"]["NewImage"]["pk"]["S"] for record in records] == ["GUARD#1", "EVAL#3"]
