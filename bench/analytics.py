"""The daily export's writer: rows per second into Parquet on S3 (moto), and bytes per evaluation stored."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from ulid import ULID

ROWS = 200_000
DAY = date(2026, 11, 25)


def run() -> dict[str, float]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    import boto3
    from govrate.analytics.store import AnalyticsStore, EvaluationFact
    from moto import mock_aws

    start = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    facts = [
        EvaluationFact(
            evaluation_id=str(ULID.from_datetime(start + timedelta(seconds=n % 86_400))),
            created_at=start + timedelta(seconds=n % 86_400),
            item_code=f"110105-GA-{n % 32:03d}",
            agency_code=f"110105-A{n % 31:02d}",
            region_code="110105",
            channel="window_qr",
            stage="overall",
            level=5 - n % 5,
            bad_review=n % 5 >= 3,
            has_comment=n % 3 == 0,
        )
        for n in range(ROWS)
    ]
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="bench-analytics")
        started = time.perf_counter()
        written = AnalyticsStore("bench-analytics", s3).write_evaluations(DAY, facts)
        elapsed = time.perf_counter() - started
        size = s3.head_object(Bucket="bench-analytics", Key=written.key)["ContentLength"]
    figures = {"rows": ROWS, "rows_per_second": ROWS / elapsed, "bytes_per_row": size / ROWS}
    print(f"analytics: {ROWS} evaluations of {DAY} written as Parquet to S3 (moto) by AnalyticsStore")
    print(
        f"  {elapsed:.2f} s, {figures['rows_per_second']:.0f} rows/s, {size / 1e6:.2f} MB, {size / ROWS:.1f} bytes/row"
    )
    return figures


if __name__ == "__main__":
    run()
