"""`bench.analytics`: every rate and ranking with the deployed SQL on DuckDB over 1 M and 10 M
synthetic evaluations; wall time, CPU time, peak memory, time against rows, and what Athena would scan
and cost.

For each size one process generates the facts as Parquet `dt=` partitions (bench.synthetic); then
every rate and ranking query runs for every month, as the analyze job does after downloading a
month's objects, in fresh processes of their own (so the peak RSS is the queries', not the
generator's), RUNS times, keeping the best wall time. The machine is shared, so each run also reports
its CPU time (user + sys), which other load does not inflate, and the load average when it ran.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.costs import dollars

SIZES = (1_000_000, 10_000_000)
RUNS = 3
FIRST_DAY = date(2026, 9, 1)
DAYS = 91  # three months
QUERY_MEMORY_LIMIT = "1GB"
ATHENA_MINIMUM_BYTES = 10 * 1024**2  # Athena bills at least 10 MB per query


def generate_facts(rows: int, target: Path) -> float:
    """In this process: write `rows` synthetic evaluations and their cases and records; the seconds taken."""
    from govrate.analytics.parquet import connect

    from bench.synthetic import generate

    with connect(memory_limit="4GB", temp_directory=target) as connection:
        started = time.perf_counter()
        generate(connection, target, rows, FIRST_DAY, DAYS)
        return time.perf_counter() - started


def measure_queries(target: Path) -> dict[str, float]:
    """In this process: every query over every month of the facts under `target`."""
    from govrate.analytics.compute import month_end, months_between
    from govrate.analytics.facts import CASES, EVALUATIONS, RECORDS
    from govrate.analytics.parquet import connect, fetch_rows, register_table
    from govrate.analytics.queries import all_queries

    load = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    cells = 0
    with (
        tempfile.TemporaryDirectory(prefix="govrate-spill-") as spill,
        connect(memory_limit=QUERY_MEMORY_LIMIT, temp_directory=Path(spill)) as connection,
    ):
        for table in (EVALUATIONS, CASES, RECORDS):
            register_table(connection, table, target.glob(f"{table.name}/*/*.parquet"))
        last_day = FIRST_DAY + timedelta(days=DAYS - 1)
        for month in months_between(FIRST_DAY, last_day):
            values = {
                "from_day": month.isoformat(),
                "to_day": month_end(month).isoformat(),
                "min_count": 30,
            }
            for query in all_queries():
                cells += len(fetch_rows(connection, query.sql, query.arguments(values)))
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        scanned = athena_bytes(connection, target)
    return {
        "queries_s": elapsed,
        "cpu_s": cpu,
        "cells": cells,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": load,
        "athena_bytes_per_run": scanned,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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


def _child(*arguments: str) -> dict[str, float]:
    answer = subprocess.run(
        [sys.executable, "-m", "bench.analytics", *arguments], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def measure(rows: int) -> dict[str, float]:
    """Generate in one process, then query RUNS times in fresh ones; the best run by wall time."""
    with tempfile.TemporaryDirectory(prefix="govrate-bench-") as scratch:
        generated = _child("--generate", str(rows), scratch)
        parquet_bytes = sum(path.stat().st_size for path in Path(scratch).rglob("*.parquet"))
        runs = [_child("--queries", scratch) for _ in range(RUNS)]
    best = min(runs, key=lambda run: run["queries_s"])
    return {
        **best,
        "rows": rows,
        "generate_s": generated["generate_s"],
        "parquet_mb": parquet_bytes / 1e6,
        "min_cpu_s": min(run["cpu_s"] for run in runs),
        "max_peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
    }


def run() -> dict[str, float]:
    results = [measure(rows) for rows in SIZES]
    print(
        f"analytics: every rate and ranking SQL on DuckDB (2 threads, {QUERY_MEMORY_LIMIT} limit), {DAYS} days, "
        f"every month; queries in their own process, best of {RUNS}"
    )
    for result in results:
        monthly = dollars("athena", result["athena_bytes_per_run"] * 30)
        print(
            f"  {result['rows']:>10,} evaluations: queries {result['queries_s']:.2f} s wall, "
            f"{result['min_cpu_s']:.2f} s CPU (user+sys), load average {result['load_average']:.1f}, "
            f"{result['cells']:,} cells, peak RSS {result['max_peak_rss_mb']:.0f} MB; "
            f"Parquet {result['parquet_mb']:.0f} MB, generated in {result['generate_s']:.1f} s; Athena: "
            f"{result['athena_bytes_per_run'] / 1e6:.0f} MB per run of every query over a month, "
            f"${monthly:.2f}/month run daily"
        )
    small, large = results
    growth = large["queries_s"] / small["queries_s"]
    cpu_growth = large["min_cpu_s"] / small["min_cpu_s"]
    memory_growth = large["max_peak_rss_mb"] / small["max_peak_rss_mb"]
    print(
        f"  for {large['rows'] / small['rows']:.0f}x the rows: wall time {growth:.1f}x, CPU time {cpu_growth:.1f}x, "
        f"peak RSS {memory_growth:.1f}x"
    )
    return {
        "queries_10m_s": large["queries_s"],
        "growth": growth,
        "parquet_mb_per_million": small["parquet_mb"] / (small["rows"] / 1e6),
        "athena_bytes_per_run": small["athena_bytes_per_run"],
    }


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        print(json.dumps({"generate_s": generate_facts(int(sys.argv[2]), Path(sys.argv[3]))}))
    elif len(sys.argv) == 3 and sys.argv[1] == "--queries":
        print(json.dumps(measure_queries(Path(sys.argv[2]))))
    else:
        run()
