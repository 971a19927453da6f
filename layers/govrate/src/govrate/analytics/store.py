"""The analytics bucket: Parquet facts by day, and the results documents the public API reads.

Layout:
- `<table>/dt=YYYY-MM-DD/<table>.parquet`: one object per table and local day. Writing a day again
  replaces its object, so a rerun or a backfill never doubles a row.
- `results/cells/YYYY-MM.json`: every rate's day cells and the rankings of one month (internal).
- `results/v1/…json`: one document per scope, written whole after each run (see govrate.analytics.results).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from govrate.analytics.facts import FactTable
from govrate.kernel.clock import days
from govrate.kernel.errors import NotFound, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RESULTS_PREFIX: Final = "results"
_MISSING: Final = frozenset({"NoSuchKey", "404", "NotFound"})


def partition_key(table: FactTable, day: date) -> str:
    return f"{table.name}/dt={day.isoformat()}/{table.name}.parquet"


class StoredDocument(NamedTuple):
    body: bytes
    etag: str


class AnalyticsBucket:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        if not bucket:
            raise StorageUnavailable("no analytics bucket is configured")
        self._bucket = bucket
        self._client = client or boto3.client("s3")

    # --- facts --------------------------------------------------------------------------------------

    def put_partition(self, table: FactTable, day: date, path: Path) -> str:
        """Replace the day's object of the table; S3 swaps it whole, so no reader sees half a day."""
        key = partition_key(table, day)
        try:
            self._client.upload_file(str(path), self._bucket, key)
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise StorageUnavailable("analytics bucket unavailable") from exc
        return key

    def download_partitions(self, table: FactTable, first: date, last: date, target: Path) -> list[Path]:
        """The table's objects of the days first..last into `target` (same layout); days never exported
        are skipped."""
        paths = []
        for day in days(first, last):
            key = partition_key(table, day)
            path = target / key
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._client.download_file(self._bucket, key, str(path))
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    continue
                raise StorageUnavailable("analytics bucket unavailable") from exc
            except BotoCoreError as exc:
                raise StorageUnavailable("analytics bucket unavailable") from exc
            paths.append(path)
        return paths

    # --- results ------------------------------------------------------------------------------------

    def put_document(self, key: str, body: bytes) -> None:
        try:
            self._client.put_object(
                Bucket=self._bucket, Key=f"{RESULTS_PREFIX}/{key}", Body=body, ContentType="application/json"
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable("analytics bucket unavailable") from exc

    def get_document(self, key: str, missing: str = "") -> StoredDocument:
        """A stored document; NotFound saying `missing` (or naming the key) when there is none."""
        try:
            answer = self._client.get_object(Bucket=self._bucket, Key=f"{RESULTS_PREFIX}/{key}")
            body = answer["Body"].read()
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFound(missing or f"results {key}") from exc
            raise StorageUnavailable("analytics bucket unavailable") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable("analytics bucket unavailable") from exc
        return StoredDocument(body, answer["ETag"])


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
