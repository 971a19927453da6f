"""Restoring a table from point-in-time recovery (docs/operations.md), as far as moto can show it: moto
restores a table's current items (it keeps no history), so the test takes the restore first and then
does the damage that the restore must repair."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
import pytest
from govrate.storage.schema import CASES
from moto import mock_aws

from infra.restore import bring_back_missing, main, restore_copy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LIVE = "govrate-cases"


@pytest.fixture
def dynamodb() -> Iterator[DynamoDBClient]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**CASES.create_table_arguments(LIVE))
        client.update_continuous_backups(
            TableName=LIVE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        yield client


def _item(number: int, state: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CASE#{number}"}, "sk": {"S": "CASE"}, "state": {"S": state}}


def test_a_deleted_item_comes_back_and_a_newer_one_is_kept(dynamodb: DynamoDBClient) -> None:
    description = dynamodb.describe_continuous_backups(TableName=LIVE)["ContinuousBackupsDescription"]
    assert description["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    for number in range(3):
        dynamodb.put_item(TableName=LIVE, Item=_item(number, "received"))

    restored = restore_copy(dynamodb, LIVE, datetime.now(UTC))
    assert restored.startswith(f"{LIVE}-restored-")
    restored_table = dynamodb.describe_table(TableName=restored)["Table"]
    assert restored_table["KeySchema"] == dynamodb.describe_table(TableName=LIVE)["Table"]["KeySchema"]

    # The damage, after the moment restored: one case deleted, another moved on.
    dynamodb.delete_item(TableName=LIVE, Key={"pk": {"S": "CASE#0"}, "sk": {"S": "CASE"}})
    dynamodb.put_item(TableName=LIVE, Item=_item(1, "answered"))

    assert bring_back_missing(dynamodb, restored, LIVE) == 1
    items = {item["pk"]["S"]: item["state"]["S"] for item in dynamodb.scan(TableName=LIVE)["Items"]}
    assert items == {"CASE#0": "received", "CASE#1": "answered", "CASE#2": "received"}
    # Again: nothing is missing, nothing is overwritten.
    assert bring_back_missing(dynamodb, restored, LIVE) == 0


def test_the_command_restores_and_reports(dynamodb: DynamoDBClient, capsys: pytest.CaptureFixture[str]) -> None:
    dynamodb.put_item(TableName=LIVE, Item=_item(7, "received"))
    at = "2026-03-14T01:59:00+00:00"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3, "client", lambda service: dynamodb)
        assert main(["--table", LIVE, "--at", at]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"restored {LIVE} as of {at} into {LIVE}-restored-202603140159",
        f"brought back 0 items missing from {LIVE}",
    ]
