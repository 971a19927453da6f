"""`bench.analytics`: every rate and ranking with the deployed SQL on DuckDB over 1 M and 10 M
synthetic evaluations; wall time, peak memory, time against rows, and what Athena would scan and cost.

Each size runs in a fresh process (its peak memory is its own): first the generator writes the facts
as Parquet `dt=` partitions (bench.synthetic), then every rate query runs for every month and every
ranking query for every month, as the analyze job does after downloading a month's objects.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

SIZES = (1_000_000, 10_000_000)
FIRST_DAY = date(2026, 9, 1)
DAYS = 91  # three months
ATHENA_DOLLARS_PER_TB = 5.0
ATHENA_MINIMUM_BYTES = 10 * 1024**2  # Athena bills at least 10 MB per query


def measure(rows: int) -> dict[str, float]:
    """In this process: generate `rows` evaluations, then time every query over every month."""
    from govrate.analytics.compute import RATED_WITHIN_DAYS, month_end, months_between
    from govrate.analytics.facts import CASES, EVALUATIONS, RECORDS
    from govrate.analytics.parquet import connect, fetch_rows, register_table
    from govrate.analytics.queries import all_queries

    from bench.synthetic import generate

    with tempfile.TemporaryDirectory(prefix="govrate-bench-") as scratch:
        target = Path(scratch)
        with connect(memory_limit="4GB", temp_directory=target) as connection:
            started = time.perf_counter()
            generate(connection, target, rows, FIRST_DAY, DAYS)
            generated = time.perf_counter() - started
        parquet_bytes = sum(path.stat().st_size for path in target.rglob("*.parquet"))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        cells = 0
        with connect(memory_limit="1GB", temp_directory=target) as connection:
            for table in (EVALUATIONS, CASES, RECORDS):
                register_table(connection, table, target.glob(f"{table.name}/*/*.parquet"))
            last_day = FIRST_DAY + timedelta(days=DAYS - 1)
            for month in months_between(FIRST_DAY, last_day):
                values = {
                    "from_day": month.isoformat(),
                    "to_day": month_end(month).isoformat(),
                    "rated_until": (month_end(month) + timedelta(days=RATED_WITHIN_DAYS)).isoformat(),
                    "min_count": 30,
                }
                for query in all_queries():
                    cells += len(fetch_rows(connection, query.sql, query.arguments(values)))
            elapsed = time.perf_counter() - started
            scanned = athena_bytes(connection, target)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": rows,
        "generate_s": generated,
        "queries_s": elapsed,
        "cells": cells,
        "parquet_mb": parquet_bytes / 1e6,
        "peak_rss_mb": peak / 1024,
        "rss_before_queries_mb": rss_before / 1024,
        "athena_bytes_per_run": scanned,
    }


def athena_bytes(connection: object, target: Path) -> float:
    """What one run of every named query over one month would scan in Athena: Athena reads only the
    columns a query names, so the compressed size of those column chunks (Parquet metadata) of one
    month's partitions, at least 10 MB per query."""
    from govrate.analytics.facts import FACT_TABLES
    from govrate.analytics.queries import all_queries

    sizes: dict[tuple[str, str], int] = {}
    for table in FACT_TABLES:
        files = sorted(target.glob(f"{table.name}/dt=2026-10-*/*.parquet"))
        listed = ", ".join(f"'{path}'" for path in files)
        for column, size in connection.execute(  # type: ignore[attr-defined]
            f"SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata([{listed}]) GROUP BY 1"
        ).fetchall():
            sizes[(table.name, column)] = int(size)
    total = 0.0
    for query in all_queries():
        words = set(re.findall(r"[a-z_]+", query.sql))
        tables = {table.name for table in FACT_TABLES if table.name in words}
        scanned = sum(size for (table, column), size in sizes.items() if table in tables and column in words)
        total += max(scanned, ATHENA_MINIMUM_BYTES)
    return total


def run() -> dict[str, float]:
    results = []
    for rows in SIZES:
        answer = subprocess.run(
            [sys.executable, "-m", "bench.analytics", "--measure", str(rows)],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(answer.stdout.strip().splitlines()[-1]))
    print(f"analytics: every rate and ranking SQL on DuckDB (2 threads, 1 GB limit), {DAYS} days, every month")
    for result in results:
        monthly = result["athena_bytes_per_run"] * 30 / 1e12 * ATHENA_DOLLARS_PER_TB
        print(
            f"  {result['rows']:>10,} evaluations: queries {result['queries_s']:.2f} s, {result['cells']:,} cells, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB (after generating {result['rss_before_queries_mb']:.0f} MB), "
            f"Parquet {result['parquet_mb']:.0f} MB, generated in {result['generate_s']:.1f} s; Athena: "
            f"{result['athena_bytes_per_run'] / 1e6:.0f} MB per run of every query over a month, "
            f"${monthly:.2f}/month run daily"
        )
    small, large = results
    growth = large["queries_s"] / small["queries_s"]
    print(f"  time grows {growth:.1f}x for {large['rows'] / small['rows']:.0f}x the rows")
    return {"queries_10m_s": large["queries_s"], "growth": growth}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        run()
