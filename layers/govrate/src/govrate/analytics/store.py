"""The analytics bucket: Parquet facts by day, and the results documents the public API reads.

Layout:
- `<table>/dt=YYYY-MM-DD/<table>.parquet`: one object per table and local day. Writing a day again
  replaces its object, so a rerun or a backfill never doubles a row.
- `results/cells/YYYY-MM.json`: every rate's day cells and the rankings of one month (internal).
- `results/v1/…json`: one document per scope, written whole after each run (see govrate.analytics.results).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

from botocore.exceptions import ClientError

from govrate.analytics.facts import FactTable
from govrate.kernel.errors import NotFound, StorageMisconfigured
from govrate.storage.clients import aws_client
from govrate.storage.errors import error_code, translated

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RESULTS_PREFIX: Final = "results"
_MISSING: Final = frozenset({"NoSuchKey", "404", "NotFound"})
_RESOURCE: Final = "analytics bucket"


def partition_key(table: FactTable, day: date) -> str:
    return f"{table.name}/dt={day.isoformat()}/{table.name}.parquet"


class StoredDocument(NamedTuple):
    body: bytes
    etag: str


class AnalyticsBucket:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        if not bucket:
            raise StorageMisconfigured("no analytics bucket is configured (GOVRATE_ANALYTICS_BUCKET)")
        self._bucket = bucket
        self._client = client or aws_client("s3")

    # --- facts --------------------------------------------------------------------------------------

    def put_partition(self, table: FactTable, day: date, path: Path) -> str:
        """Replace the day's object of the table; S3 swaps it whole, so no reader sees half a day."""
        key = partition_key(table, day)
        # One request per object (a day's facts are far below S3's 5 GB for one): the transfer
        # manager's threads and parts cost more than they save at this size.
        with translated(_RESOURCE), path.open("rb") as body:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=body)
        return key

    def download_partitions(self, table: FactTable, first: date, last: date, target: Path) -> list[Path]:
        """The table's objects of the days first..last into `target` (same layout); days never exported
        are skipped. One listing finds them, so a missing day costs no request of its own."""
        paths = []
        for key in self._partition_keys(table, first, last):
            path = target / key
            path.parent.mkdir(parents=True, exist_ok=True)
            with translated(_RESOURCE):
                answer = self._client.get_object(Bucket=self._bucket, Key=key)
                with path.open("wb") as file:
                    shutil.copyfileobj(answer["Body"], file)
            paths.append(path)
        return paths

    def _partition_keys(self, table: FactTable, first: date, last: date) -> list[str]:
        # Keys sort by day: list from just before the first day's key, and stop after the last day's.
        start_after, final = partition_key(table, first - timedelta(days=1)), partition_key(table, last)
        keys: list[str] = []
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=f"{table.name}/dt=", StartAfter=start_after
        )
        with translated(_RESOURCE):
            for page in pages:
                for entry in page.get("Contents", []):
                    if entry["Key"] > final:
                        return keys
                    if entry["Key"].endswith(f"/{table.name}.parquet"):
                        keys.append(entry["Key"])
        return keys

    # --- results ------------------------------------------------------------------------------------

    def put_document(self, key: str, body: bytes) -> None:
        with translated(_RESOURCE):
            self._client.put_object(
                Bucket=self._bucket, Key=f"{RESULTS_PREFIX}/{key}", Body=body, ContentType="application/json"
            )

    def get_document(self, key: str, missing: str = "") -> StoredDocument:
        """A stored document; NotFound saying `missing` (or naming the key) when there is none."""
        with translated(_RESOURCE):
            try:
                answer = self._client.get_object(Bucket=self._bucket, Key=f"{RESULTS_PREFIX}/{key}")
            except ClientError as exc:
                if error_code(exc) in _MISSING:
                    raise NotFound(missing or f"results {key}") from exc
                raise
            body = answer["Body"].read()
        return StoredDocument(body, answer["ETag"])
