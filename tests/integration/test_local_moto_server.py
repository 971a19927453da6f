"""The local stack's moto server keeps no object it no longer needs: moto's registry of every model
object it ever made (an item per read, copy and delete, a stream record per write) is off there."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.core.common_models import BaseModel
from moto.dynamodb.models.dynamo_type import Item

from local.moto_server import keep_no_model_registry
from local.provision import DUMMY_KEY, REGION

TABLE = "registry"


def test_items_read_written_and_deleted_are_not_kept_by_motos_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # the in-process mock is the other tests' moto too: the registry comes back after this test
    monkeypatch.setattr(BaseModel, "__new__", BaseModel.__dict__["__new__"])
    keep_no_model_registry()
    with mock_aws():
        dynamodb = boto3.Session(
            aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY, region_name=REGION
        ).client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        tracked_before = len(Item.instances_tracked)  # type: ignore[attr-defined]
        try:
            for number in range(20):
                key = {"pk": {"S": f"item-{number}"}}
                dynamodb.put_item(TableName=TABLE, Item={**key, "level": {"N": "3"}})
                assert dynamodb.get_item(TableName=TABLE, Key=key)["Item"]["level"] == {"N": "3"}
                dynamodb.delete_item(TableName=TABLE, Key=key)
            assert dynamodb.scan(TableName=TABLE)["Count"] == 0
            assert len(Item.instances_tracked) == tracked_before  # type: ignore[attr-defined]
        finally:
            dynamodb.delete_table(TableName=TABLE)
