"""Realistic synthetic facts at any size, written by DuckDB straight to Parquet `dt=` partitions.

The demo catalogue's 32 service items (10 regions, 31 agencies) with skewed sizes (a few items take
most of the traffic), weekday seasonality (weekends at a third), 2-5 % bad reviews depending on the
agency, system-given default ratings, paper forms entered up to 10 days after the service, a case
for every bad review (most answered in time, some late, some excluded by an upheld appeal) and a
service record for every rated transaction plus the records never rated.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
from govrate.analytics.facts import CASES, EVALUATIONS, RECORDS, FactTable
from govrate.analytics.parquet import DUCKDB_TYPES

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "catalogue-sample.csv"


def _select(table: FactTable, expressions: dict[str, str]) -> str:
    """Every column of the table in order, cast to its type; columns not given are null."""
    columns = [
        f"CAST({expressions.get(name, 'NULL')} AS {DUCKDB_TYPES[kind]}) AS {name}" for name, kind in table.columns
    ]
    return ", ".join(columns)


def generate(connection: duckdb.DuckDBPyConnection, target: Path, rows: int, first_day: date, days: int) -> None:
    with CATALOGUE.open(encoding="utf-8") as handle:
        items = [(row["item_code"], row["agency_code"], row["region_code"]) for row in csv.DictReader(handle)]
    values = ", ".join(f"({n}, '{item}', '{agency}', '{region}')" for n, (item, agency, region) in enumerate(items))
    connection.execute(
        "CREATE OR REPLACE TABLE catalogue(n INTEGER, item_code VARCHAR, agency_code VARCHAR, region_code VARCHAR)"
    )
    connection.execute(f"INSERT INTO catalogue VALUES {values}")
    connection.execute("SELECT setseed(0.42)")
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE served AS
        WITH raw AS (
            SELECT i,
                   CAST(floor(pow(random(), 2.5) * {len(items)}) AS INTEGER) AS n,
                   TIMESTAMP '{first_day.isoformat()} 01:00:00'
                       + to_days(CAST(floor(random() * {days}) AS INTEGER))
                       + to_seconds(CAST(floor(random() * 32400) AS BIGINT)) AS at_time,
                   random() AS weekend_draw, random() AS level_draw, random() AS channel_draw,
                   random() AS late_draw, random() AS record_draw, random() AS appeal_draw
            FROM range({rows}) t(i)
        )
        SELECT raw.*, c.item_code, c.agency_code, c.region_code,
               -- weekends at about a third of a weekday: most weekend draws move to the Friday before
               CASE WHEN isodow(at_time) >= 6 AND weekend_draw > 0.33
                    THEN at_time - to_days(isodow(at_time) - 5) ELSE at_time END AS served_at,
               0.02 + 0.03 * (hash(c.agency_code) % 7) / 6.0 AS bad_share
        FROM raw JOIN catalogue c USING (n)
        """
    )
    evaluations = _select(
        EVALUATIONS,
        {
            "evaluation_id": "printf('E%010d', i)",
            "created_at": "given_at",
            "region_code": "region_code",
            "agency_code": "agency_code",
            "item_code": "item_code",
            "record_id": "CASE WHEN system_given OR channel <> 'hotline' THEN printf('R%010d', i) END",
            "channel": "channel",
            "stage": "'overall'",
            "mode": "'onsite'",
            "evaluator_kind": "CASE WHEN i % 9 = 0 THEN 'enterprise' WHEN i % 3 = 0 THEN 'unknown' ELSE 'citizen' END",
            "level": "level",
            "score": "CASE level WHEN 5 THEN 100 WHEN 4 THEN 80 WHEN 3 THEN 60 WHEN 2 THEN 30 ELSE 0 END",
            "bad_review": "level <= 2",
            "system_given": "system_given",
            "real_name": "level <= 2 AND i % 2 = 0",
            "has_comment": "level <= 2 OR i % 5 = 0",
            "excluded": "level <= 2 AND appeal_draw < 0.02",
            "indicator_attitude": "level",
            "reason_slow": "level <= 2 AND i % 3 = 0",
            "reason_attitude": "level <= 2 AND i % 3 = 1",
        },
    )
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE evaluations_generated AS
        WITH shaped AS (
            SELECT *,
                   channel_draw < 0.05 AS system_given,
                   CASE WHEN channel_draw < 0.05 THEN 'system' WHEN channel_draw < 0.15 THEN 'paper'
                        WHEN channel_draw < 0.20 THEN 'hotline' WHEN channel_draw < 0.60 THEN 'window_qr'
                        ELSE 'web_module' END AS channel,
                   CASE WHEN channel_draw < 0.05 THEN 3
                        WHEN level_draw < bad_share * 0.4 THEN 1 WHEN level_draw < bad_share THEN 2
                        WHEN level_draw < bad_share + 0.06 THEN 3 WHEN level_draw < bad_share + 0.25 THEN 4
                        ELSE 5 END AS level
            FROM served
        )
        SELECT {evaluations}, strftime(given_at + INTERVAL 8 HOUR, '%Y-%m-%d') AS dt
        FROM (SELECT *, served_at + CASE WHEN channel = 'paper' THEN to_days(CAST(floor(late_draw * 11) AS INTEGER))
                                         WHEN channel = 'system' THEN INTERVAL 7 DAY ELSE INTERVAL 20 MINUTE END
                                   AS given_at FROM shaped)
        """
    )
    cases = _select(
        CASES,
        {
            "evaluation_id": "evaluation_id",
            "evaluated_at": "created_at",
            "opened_at": "created_at",
            "region_code": "region_code",
            "agency_code": "agency_code",
            "item_code": "item_code",
            "level": "level",
            "state": "CASE WHEN draw < 0.85 THEN 'closed' ELSE 'verified' END",
            "real_name": "real_name",
            "contacted": "real_name AND draw < 0.9",
            "verified": "TRUE",
            "triage": "CASE WHEN draw < 0.03 THEN 'appeal' ELSE 'rectify_by_deadline' END",
            "rectified": "draw < 0.8",
            "answered": "draw < 0.85",
            "answered_at": "CASE WHEN draw < 0.85 THEN created_at + INTERVAL 10 DAY END",
            "verify_due_at": "created_at + INTERVAL 1 DAY",
            "answer_due_at": "created_at + INTERVAL 21 DAY",
            "answered_within_deadline": "draw < 0.78",
            "overdue": "draw >= 0.95",
            "reopened": "draw BETWEEN 0.5 AND 0.52",
            "escalated": "draw >= 0.97",
            "visited_and_rectified": "real_name AND draw < 0.75",
            "handling_rating": "CASE WHEN draw < 0.6 THEN 'satisfied' WHEN draw < 0.75 THEN 'basically_satisfied' "
            "WHEN draw < 0.85 THEN 'dissatisfied' END",
            "appeal_outcome": "CASE WHEN excluded THEN 'upheld' END",
            "excluded_from_rates": "excluded",
        },
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE cases_generated AS SELECT {cases}, dt "
        "FROM (SELECT *, random() AS draw FROM evaluations_generated WHERE bad_review)"
    )
    records = _select(
        RECORDS,
        {
            "record_id": "printf('R%010d', i)",
            "completed_at": "served_at",
            "region_code": "region_code",
            "agency_code": "agency_code",
            "item_code": "item_code",
            "channel": "CASE WHEN i % 2 = 0 THEN 'window' ELSE 'online' END",
            "stages": "1",
            "registered_by": "'platform'",
            "rated": "rated",
        },
    )
    # Every transaction has its record; a fifth more were never rated by anyone. A record is rated as
    # the export flags it: an evaluator-given evaluation of it that day or within 31 days after.
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE records_generated AS SELECT {records}, dt FROM ("
        "SELECT s.i, s.served_at, s.region_code, s.agency_code, s.item_code, "
        "strftime(s.served_at + INTERVAL 8 HOUR, '%Y-%m-%d') AS dt, "
        "COALESCE(CAST(e.dt AS DATE) <= CAST(s.served_at + INTERVAL 8 HOUR AS DATE) + 31, FALSE) AS rated "
        "FROM served s LEFT JOIN evaluations_generated e "
        "ON e.record_id = printf('R%010d', s.i) AND NOT e.system_given WHERE s.record_draw < 0.9 "
        f"UNION ALL SELECT i + {rows}, served_at, region_code, agency_code, item_code, "
        "strftime(served_at + INTERVAL 8 HOUR, '%Y-%m-%d'), FALSE FROM served WHERE record_draw >= 0.8)"
    )
    for table in (EVALUATIONS, CASES, RECORDS):
        connection.execute(
            f"COPY {table.name}_generated TO '{target / table.name}' "
            "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), OVERWRITE_OR_IGNORE)"
        )
