"""Bring back items of a table from its point-in-time recovery: `python -m infra.restore`.

    .venv/bin/python -m infra.restore --table <live table> --at 2026-03-14T01:59:00Z
    .venv/bin/python -m infra.restore --table <live table> --restored <a table restored already>

Restores the table as it was at `--at` into a new table (`<live>-restored-<yyyymmddhhmm>`), waits for it,
then copies into the live table every item the live table no longer has. It never overwrites an item
that exists (a case that moved on after `--at` keeps its newer state and audit chain) and never deletes
one; the restored table stays for comparison until you delete it. The live table keeps its name, stream
and settings, so nothing else changes. See docs/operations.md, "Restoring a table".
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def restore_copy(client: DynamoDBClient, table: str, at: datetime) -> str:
    """Restores `table` as it was at `at` into a new table; returns the new table's name once it is active."""
    target = f"{table}-restored-{at.astimezone(UTC):%Y%m%d%H%M}"
    client.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=target, RestoreDateTime=at)
    client.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 20, "MaxAttempts": 180})
    return target


def bring_back_missing(client: DynamoDBClient, restored: str, live: str) -> int:
    """Puts every item of `restored` that `live` lacks into `live`; returns how many."""
    keys = [key["AttributeName"] for key in client.describe_table(TableName=live)["Table"]["KeySchema"]]
    missing = " AND ".join(f"attribute_not_exists(#{index})" for index in range(len(keys)))
    names = {f"#{index}": name for index, name in enumerate(keys)}
    restored_count = 0
    for page in client.get_paginator("scan").paginate(TableName=restored, ConsistentRead=True):
        for item in page["Items"]:
            if _put_if_missing(client, live, item, missing, names):
                restored_count += 1
    return restored_count


def _put_if_missing(
    client: DynamoDBClient, table: str, item: dict[str, Any], condition: str, names: dict[str, str]
) -> bool:
    try:
        client.put_item(TableName=table, Item=item, ConditionExpression=condition, ExpressionAttributeNames=names)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.restore", description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True, help="the live table (its physical name)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--at",
        type=datetime.fromisoformat,
        help="restore the table as of this moment, RFC 3339, e.g. 2026-03-14T01:59Z",
    )
    source.add_argument("--restored", help="copy from a table restored already (no restore is made)")
    args = parser.parse_args(argv)
    client = boto3.client("dynamodb")
    if args.restored:
        restored = args.restored
        print(f"copying from {restored}, restored already")
    else:
        if args.at.tzinfo is None:
            parser.error("--at needs an offset (Z or +08:00)")
        restored = restore_copy(client, args.table, args.at)
        print(f"restored {args.table} as of {args.at.isoformat()} into {restored}")
    print(f"brought back {bring_back_missing(client, restored, args.table)} items missing from {args.table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
