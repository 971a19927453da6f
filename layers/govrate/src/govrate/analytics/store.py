"""The analytics bucket: one Parquet file per local day, read by Athena through the Glue table.

Layout: `s3://<bucket>/evaluations/dt=YYYY-MM-DD/evaluations.parquet`. Writing a day again replaces
its file, so a rerun or a backfill never duplicates rows. Imports pyarrow, which only the analyze
function's layer carries.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Final, NamedTuple

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

from govrate.analytics.schema import EVALUATION_COLUMNS, EVALUATIONS_PREFIX
from govrate.kernel.errors import StorageMisconfigured
from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Glue/Hive column types → Arrow types. Athena reads Parquet timestamps as UTC instants.
ARROW_TYPES: Final = {
    "string": pa.string(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "int": pa.int32(),
    "boolean": pa.bool_(),
}
EVALUATIONS_FILE: Final = "evaluations.parquet"
ROWS_PER_GROUP: Final = 100_000


class EvaluationFact(NamedTuple):
    """One row of the evaluations table; its fields are the analytics columns, and no personal data."""

    evaluation_id: str
    created_at: datetime
    item_code: str | None  # None for an evaluation of an agency (hotline, suggestion box, …)
    agency_code: str
    region_code: str
    channel: str
    stage: str
    level: int
    bad_review: bool
    has_comment: bool


class WrittenPartition(NamedTuple):
    key: str
    rows: int


def evaluation_schema() -> pa.Schema:
    return pa.schema([pa.field(name, ARROW_TYPES[glue_type]) for name, glue_type in EVALUATION_COLUMNS])


def evaluations_key(day: date) -> str:
    return f"{EVALUATIONS_PREFIX}/dt={day.isoformat()}/{EVALUATIONS_FILE}"


class AnalyticsStore:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client or boto3.client("s3")

    def write_evaluations(self, day: date, facts: Iterable[EvaluationFact]) -> WrittenPartition:
        """Replace the day's file with these rows; no rows still make a valid file with the schema.

        Rows are written in row groups through a temporary file, so a busy day never sits in memory;
        S3 replaces the object whole, so a reader never sees half a day.
        """
        if not self._bucket:
            raise StorageMisconfigured("no analytics bucket is configured")
        schema = evaluation_schema()
        key = evaluations_key(day)
        rows = 0
        with tempfile.TemporaryFile() as parquet_file:
            with pq.ParquetWriter(parquet_file, schema) as writer:
                for group in _groups(facts, ROWS_PER_GROUP):
                    columns = {name: [getattr(fact, name) for fact in group] for name, _ in EVALUATION_COLUMNS}
                    writer.write_table(pa.Table.from_pydict(columns, schema=schema))
                    rows += len(group)
            parquet_file.seek(0)
            with translated("analytics bucket"):
                self._client.upload_fileobj(parquet_file, self._bucket, key)
        return WrittenPartition(key, rows)


def _groups(facts: Iterable[EvaluationFact], size: int) -> Iterator[list[EvaluationFact]]:
    iterator = iter(facts)
    while group := list(islice(iterator, size)):
        yield group
