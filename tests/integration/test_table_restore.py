"""Restoring a table from point-in-time recovery (docs/operations.md), as far as moto can show it: moto
restores a table's current items (it keeps no history), so the test takes the restore first and then
does the damage that the restore must repair."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
import pytest

from infra.restore import bring_back_missing, main, restore_copy
from tests.integration.conftest import AwsResources

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def dynamodb(aws: AwsResources) -> DynamoDBClient:
    """The shared cases table with point-in-time recovery on, as every table of the stack has it."""
    client = boto3.client("dynamodb")
    client.update_continuous_backups(
        TableName=aws.cases_table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    return client


def _item(number: int, state: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CASE#{number}"}, "sk": {"S": "CASE"}, "state": {"S": state}}


def test_a_deleted_item_comes_back_and_a_newer_one_is_kept(dynamodb: DynamoDBClient, aws: AwsResources) -> None:
    live = aws.cases_table
    description = dynamodb.describe_continuous_backups(TableName=live)["ContinuousBackupsDescription"]
    assert description["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    for number in range(3):
        dynamodb.put_item(TableName=live, Item=_item(number, "received"))

    restored = restore_copy(dynamodb, live, datetime.now(UTC))
    assert restored.startswith(f"{live}-restored-")
    restored_table = dynamodb.describe_table(TableName=restored)["Table"]
    assert restored_table["KeySchema"] == dynamodb.describe_table(TableName=live)["Table"]["KeySchema"]

    # The damage, after the moment restored: one case deleted, another moved on.
    dynamodb.delete_item(TableName=live, Key={"pk": {"S": "CASE#0"}, "sk": {"S": "CASE"}})
    dynamodb.put_item(TableName=live, Item=_item(1, "answered"))

    assert bring_back_missing(dynamodb, restored, live) == 1
    items = {
        item["pk"]["S"]: item["state"]["S"]
        for item in dynamodb.scan(TableName=live)["Items"]
        if item["pk"]["S"].startswith("CASE#")
    }
    assert items == {"CASE#0": "received", "CASE#1": "answered", "CASE#2": "received"}
    # Again: nothing is missing, nothing is overwritten.
    assert bring_back_missing(dynamodb, restored, live) == 0


def test_the_command_restores_and_reports(
    dynamodb: DynamoDBClient, aws: AwsResources, capsys: pytest.CaptureFixture[str]
) -> None:
    live = aws.cases_table
    dynamodb.put_item(TableName=live, Item=_item(7, "received"))
    at = "2026-03-14T01:59:00+00:00"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3, "client", lambda service: dynamodb)
        assert main(["--table", live, "--at", at]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"restored {live} as of {at} into {live}-restored-202603140159",
        f"brought back 0 items missing from {live}",
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3, "client", lambda service: dynamodb)
        assert main(["--table", live, "--restored", f"{live}-restored-202603140159"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"copying from {live}-restored-202603140159, restored already",
        f"brought back 0 items missing from {live}",
    ]
    with pytest.raises(SystemExit):  # one of the two, not both
        main(["--table", live, "--at", at, "--restored", "x"])
