"""Fact rows to Parquet and Parquet back to SQL tables, with DuckDB (no Arrow).

Rows are streamed into a temporary CSV file and DuckDB copies that into Parquet, so a busy day never
sits in memory. DuckDB's Parquet and JSON support is linked into its wheel; extensions are never
installed or loaded at run time (Lambda has no network for it), and S3 objects are moved with boto3.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb

from govrate.analytics.facts import BOOLEAN, INT, STRING, TIMESTAMP, FactTable, Row

DUCKDB_TYPES: Final = {STRING: "VARCHAR", INT: "INTEGER", BOOLEAN: "BOOLEAN", TIMESTAMP: "TIMESTAMP"}
_NULL: Final = "\\N"
ROW_GROUP_SIZE: Final = 122_880


def connect(
    memory_limit: str = "1GB", threads: int = 2, temp_directory: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never fetches an extension and spills to `temp_directory` when full."""
    connection = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": memory_limit,
            "threads": threads,
        }
    )
    # Every query of a run reads the same files: parse each file's footer once.
    connection.execute("SET parquet_metadata_cache = true")
    if temp_directory is not None:
        connection.execute(f"SET temp_directory = '{_literal(temp_directory)}'")
    return connection


def write_parquet(
    connection: duckdb.DuckDBPyConnection,
    table: FactTable,
    rows: Iterable[Row],
    target: Path,
    scratch: Path,
    *,
    derived: Mapping[str, str] | None = None,
) -> int:
    """Write the rows to `target` as Parquet with exactly the table's columns; return the row count.

    `derived` gives some columns as SQL expressions over the others (the staged rows, aliased `staged`)
    instead of taking them from the rows. No rows still make a valid file with the full schema, which
    Athena reads as an empty partition.
    """
    derived = derived or {}
    staged_columns = [(name, kind) for name, kind in table.columns if name not in derived]
    staged = scratch / f"{table.name}.csv"
    count = 0
    with staged.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow([_cell(row[name]) for name, _ in staged_columns])
            count += 1
    columns = ", ".join(f"'{name}': '{DUCKDB_TYPES[kind]}'" for name, kind in staged_columns)
    selected = ", ".join(
        f"CAST(({derived[name]}) AS {DUCKDB_TYPES[kind]}) AS {name}" if name in derived else name
        for name, kind in table.columns
    )
    connection.execute(
        f"COPY (SELECT {selected} FROM read_csv('{_literal(staged)}', header = false, "  # noqa: S608
        f"nullstr = '{_NULL}', columns = {{{columns}}}, auto_detect = false) AS staged) "
        f"TO '{_literal(target)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_SIZE})"
    )
    staged.unlink()
    return count


def register_table(connection: duckdb.DuckDBPyConnection, table: FactTable, files: Iterable[Path]) -> None:
    """Make `table` a view over Parquet files laid out as `<table>/dt=YYYY-MM-DD/…` (dt from the path),
    or an empty table of the same columns when there are none. Columns are matched by name: a file
    written before a column was added reads it as null."""
    paths = sorted(str(path) for path in files)
    if paths:
        listed = ", ".join(f"'{_literal(path)}'" for path in paths)
        connection.execute(
            f"CREATE OR REPLACE VIEW {table.name} AS SELECT * FROM read_parquet([{listed}], "  # noqa: S608
            "hive_partitioning = true, hive_types = {'dt': VARCHAR}, union_by_name = true)"
        )
        return
    columns = ", ".join(f"{name} {DUCKDB_TYPES[kind]}" for name, kind in (*table.columns, ("dt", STRING)))
    connection.execute(f"CREATE OR REPLACE TABLE {table.name} ({columns})")


def fetch_rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any]) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, parameters)
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of one Parquet file (for tests and checks, not for the rates)."""
    with connect() as connection:
        return fetch_rows(connection, f"SELECT * FROM read_parquet('{_literal(path)}')", [])  # noqa: S608


def _cell(value: Any) -> Any:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    return value


def _literal(path: Path | str) -> str:
    """A path as an SQL string literal's content (the SQL above interpolates only our own paths)."""
    return str(path).replace("'", "''")
