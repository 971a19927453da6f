"""Where seals come from and go: the tables' items of a day (low-level DynamoDB, so a leaf covers
every stored attribute), the seal bucket (S3, Object Lock) and the HMAC key (KMS).

Seal objects: `seals/<YYYY-MM-DD>/<sealed at, UTC, YYYYMMDDTHHMMSSffffffZ>.json`, one per seal, so a
day sealed again keeps its earlier seals and the keys sort oldest first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from govrate.evaluations.store import day_shard
from govrate.integrity.seals import MAC_ALGORITHM, CaseChainSource, Item
from govrate.kernel.errors import StorageMisconfigured
from govrate.storage.clients import aws_client
from govrate.storage.errors import error_code, storage_error, translated
from govrate.storage.items import AUDIT_PREFIX
from govrate.storage.tables import ByDayIndex, RateDayIndex

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client

SEALS_PREFIX: Final = "seals"


def seal_key(day: date, sealed_at: datetime) -> str:
    return f"{SEALS_PREFIX}/{day.isoformat()}/{sealed_at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.json"


class TableSealSources:
    """A day's evaluations and cases through the sharded by-day indexes (never a Scan); each case's
    audit entries by one consistent Query of its partition."""

    def __init__(
        self, evaluations_table: str, cases_table: str, day_shards: int, client: DynamoDBClient | None = None
    ) -> None:
        self._evaluations = evaluations_table
        self._cases = cases_table
        self._shards = day_shards
        self._client = client or aws_client("dynamodb")

    def evaluations_on(self, day: date) -> Iterator[Item]:
        for shard in range(self._shards):
            yield from self._query(
                self._evaluations,
                IndexName=ByDayIndex.Meta.index_name,
                KeyConditionExpression="day_shard = :shard",
                ExpressionAttributeValues={":shard": {"S": day_shard(day, shard)}},
            )

    def cases_on(self, day: date) -> Iterator[CaseChainSource]:
        for shard in range(self._shards):
            for case in self._query(
                self._cases,
                IndexName=RateDayIndex.Meta.index_name,
                KeyConditionExpression="rate_day_shard = :shard",
                ExpressionAttributeValues={":shard": {"S": day_shard(day, shard)}},
            ):
                entries = self._query(
                    self._cases,
                    ConsistentRead=True,
                    KeyConditionExpression="pk = :pk AND begins_with(sk, :audit)",
                    ExpressionAttributeValues={":pk": case["pk"], ":audit": {"S": AUDIT_PREFIX}},
                )
                yield CaseChainSource(
                    evaluation_id=case["evaluation_id"]["S"],
                    region_code=case["region_code"]["S"],
                    audit_count=int(case["audit_count"]["N"]),
                    audit_head=case["audit_head"]["S"],
                    entries=tuple(entries),
                )

    def _query(self, table: str, **arguments: Any) -> Iterator[dict[str, Any]]:
        with translated(f"table {table}"):
            for page in self._client.get_paginator("query").paginate(TableName=table, **arguments):
                yield from page["Items"]


class SealBucket:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        if not bucket:
            raise StorageMisconfigured("no seal bucket is configured (GOVRATE_SEAL_BUCKET)")
        self._bucket = bucket
        self._client = client or aws_client("s3")

    def keys(self, day: date) -> list[str]:
        with translated(f"seal bucket {self._bucket}"):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=f"{SEALS_PREFIX}/{day.isoformat()}/"
            )
            return sorted(entry["Key"] for page in pages for entry in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        with translated(f"seal bucket {self._bucket}"):
            return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def put(self, day: date, sealed_at: datetime, body: bytes) -> str:
        """A new object under the bucket's default retention (Object Lock asks for a checksum)."""
        key = seal_key(day, sealed_at)
        with translated(f"seal bucket {self._bucket}"):
            self._client.put_object(
                Bucket=self._bucket, Key=key, Body=body, ContentType="application/json", ChecksumAlgorithm="SHA256"
            )
        return key


class KmsMacKey:
    """The stack's HMAC key in KMS: the key material never leaves KMS."""

    def __init__(self, key_id: str, client: KMSClient | None = None) -> None:
        if not key_id:
            raise StorageMisconfigured("no seal key is configured (GOVRATE_SEAL_KEY_ID)")
        self._key_id = key_id
        self._client = client or aws_client("kms")

    def generate(self, message: bytes) -> bytes:
        with translated(f"seal key {self._key_id}"):
            return self._client.generate_mac(KeyId=self._key_id, Message=message, MacAlgorithm=MAC_ALGORITHM)["Mac"]

    def verify(self, message: bytes, mac: bytes) -> bool:
        """Whether `mac` is the key's MAC of `message`; KMS answers a wrong one with an error."""
        try:
            response = self._client.verify_mac(KeyId=self._key_id, Message=message, MacAlgorithm=MAC_ALGORITHM, Mac=mac)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "KMSInvalidMacException":
                return False
            raise storage_error(exc, f"seal key {self._key_id}") from exc
        return response["MacValid"]
