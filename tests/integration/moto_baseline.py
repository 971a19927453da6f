"""The moto world of a test run put back, after every test, to what it was when the resources were created:
creating them (and importing the catalogue) costs seconds, putting them back a few milliseconds.

Everything a test may leave behind is undone: the tables, queues, buckets, secrets, user pools and app
clients it created are deleted; the items of the tables (console sessions and sign-in counters among
them) and the values of the secrets are as they were; queues and buckets are empty; the user pools have
no accounts and only the groups they had. A table, queue or bucket a test deleted is created again as
it was. What Cognito cannot undo (a pool's custom attributes) a test changes in a pool of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from unittest import mock

import boto3
from moto.cognitoidp.models import CognitoIdpBackend, cognitoidp_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.s3.models import S3Backend, s3_backends
from moto.secretsmanager.models import SecretsManagerBackend, secretsmanager_backends
from moto.sqs.models import SQSBackend, sqs_backends
from moto.utilities.utils import get_partition

from tests.integration.staff_support import COGNITO_REGION

if TYPE_CHECKING:
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef
    from mypy_boto3_sqs.literals import QueueAttributeNameType

    QueueAttributes = dict[QueueAttributeNameType, str]

# moto refuses a second purge within 60 s, as SQS does; tests empty their queues far more often.
LENIENT_PURGE = {"MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"}


@dataclass(frozen=True)
class TableBaseline:
    create_arguments: dict[str, Any]
    key_names: tuple[str, ...]
    items: dict[tuple[str, ...], dict[str, Any]]


class MotoBaseline:
    """A snapshot of the moto account, taken once the shared resources exist, and `restore()` to it."""

    def __init__(self, table_arguments: list[dict[str, Any]], queue_attributes: dict[str, QueueAttributes]) -> None:
        """`table_arguments`: the CreateTable arguments of every table; `queue_attributes`: the attributes
        each queue was created with, by name."""
        self._dynamodb = boto3.client("dynamodb")
        self._sqs = boto3.client("sqs")
        self._s3 = boto3.client("s3")
        self._secrets = boto3.client("secretsmanager")
        # The account is read (and mostly put back) in moto's own backends, not over its API: the
        # twenty-odd calls through botocore after every test cost more than most tests.
        region = self._dynamodb.meta.region_name
        self._dynamodb_backend: DynamoDBBackend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
        self._sqs_backend: SQSBackend = sqs_backends[DEFAULT_ACCOUNT_ID][region]
        self._s3_backend: S3Backend = s3_backends[DEFAULT_ACCOUNT_ID][get_partition(region)]
        self._secrets_backend: SecretsManagerBackend = secretsmanager_backends[DEFAULT_ACCOUNT_ID][region]
        self._cognito_backend: CognitoIdpBackend = cognitoidp_backends[DEFAULT_ACCOUNT_ID][COGNITO_REGION]
        self._tables = {
            arguments["TableName"]: TableBaseline(
                arguments,
                tuple(key["AttributeName"] for key in arguments["KeySchema"]),
                {},
            )
            for arguments in table_arguments
        }
        for name, table in self._tables.items():
            table.items.update((self._key(table, item), item) for item in self._items(name))
        self._queues = dict(queue_attributes)
        self._buckets = set(self._s3_backend.buckets)
        self._secret_values = {
            secret.arn: self._secret_string(secret.arn) for secret in self._secrets_backend.secrets.values()
        }
        pools = self._cognito_backend.user_pools
        self._pool_clients = {pool_id: set(pool.clients) for pool_id, pool in pools.items()}
        self._pool_groups = {pool_id: set(pool.groups) for pool_id, pool in pools.items()}

    def restore(self) -> None:
        self._restore_tables()
        self._restore_queues()
        self._restore_buckets()
        self._restore_secrets()
        self._restore_staff_pools()

    # --- DynamoDB --------------------------------------------------------------------------------

    @staticmethod
    def _key(table: TableBaseline, item: dict[str, Any]) -> tuple[str, ...]:
        return tuple(repr(item[name]) for name in table.key_names)

    def _items(self, table_name: str) -> Iterator[dict[str, Any]]:
        """The table's items as DynamoDB's JSON has them (binary values in base64)."""
        for item in self._dynamodb_backend.get_table(table_name).all_items():
            yield item.to_json()["Attributes"]

    def _restore_tables(self) -> None:
        existing = set(self._dynamodb_backend.tables)
        for name in existing - self._tables.keys():
            self._dynamodb.delete_table(TableName=name)
        for name, table in self._tables.items():
            if name not in existing:
                self._dynamodb.create_table(**table.create_arguments)
            current = {self._key(table, item): item for item in self._items(name)}
            for key, item in current.items():
                if key not in table.items:
                    self._dynamodb_backend.delete_item(
                        name, {attribute: item[attribute] for attribute in table.key_names}
                    )
            for key, item in table.items.items():
                if current.get(key) != item:
                    self._dynamodb_backend.put_item(name, item)

    # --- SQS -------------------------------------------------------------------------------------

    def _restore_queues(self) -> None:
        existing = set(self._sqs_backend.queues)
        for name in existing - self._queues.keys():
            self._sqs_backend.delete_queue(name)
        # Dead-letter queues first: a redrive policy names its queue.
        with mock.patch.dict(os.environ, LENIENT_PURGE):
            for name, attributes in sorted(self._queues.items(), key=lambda entry: "RedrivePolicy" in entry[1]):
                if name not in existing:
                    self._sqs.create_queue(QueueName=name, Attributes=attributes)
                self._sqs_backend.purge_queue(name)

    # --- S3 --------------------------------------------------------------------------------------

    def _restore_buckets(self) -> None:
        existing = set(self._s3_backend.buckets)
        for name in existing:
            if not self._s3_backend.buckets[name].keys:
                if name not in self._buckets:
                    self._s3.delete_bucket(Bucket=name)
                continue
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=name):
                objects: list[ObjectIdentifierTypeDef] = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
                if objects:
                    self._s3.delete_objects(Bucket=name, Delete={"Objects": objects})
            if name not in self._buckets:
                self._s3.delete_bucket(Bucket=name)
        for name in self._buckets - existing:
            self._s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={
                    "LocationConstraint": cast("BucketLocationConstraintType", self._s3.meta.region_name)
                },
            )

    # --- Secrets Manager -------------------------------------------------------------------------

    def _restore_secrets(self) -> None:
        for secret in list(self._secrets_backend.secrets.values()):
            arn = secret.arn
            if arn not in self._secret_values:
                self._secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
            elif self._secret_string(arn) != self._secret_values[arn]:
                self._secrets.put_secret_value(SecretId=arn, SecretString=self._secret_values[arn])

    def _secret_string(self, arn: str) -> str:
        return str(self._secrets_backend.get_secret_value(arn, None, None)["SecretString"])  # type: ignore[arg-type]

    # --- Cognito ---------------------------------------------------------------------------------

    def _restore_staff_pools(self) -> None:
        backend = self._cognito_backend
        for pool_id, pool in list(backend.user_pools.items()):
            if pool_id not in self._pool_clients:
                backend.delete_user_pool(pool_id)
                continue
            for client_id in set(pool.clients) - self._pool_clients[pool_id]:
                backend.delete_user_pool_client(pool_id, client_id)
            for username in list(pool.users):
                backend.admin_delete_user(pool_id, username)
            # The groups the staff administrators' command created (`role:`, `agency:`, `division:`).
            for group in set(pool.groups) - self._pool_groups[pool_id]:
                backend.delete_group(pool_id, group)
