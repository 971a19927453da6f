"""The columns of the analytics tables: one list that the Parquet writer and the Glue table both read.

No personal data: evaluator identity, contact and the free-text comment never leave DynamoDB.
"""

from __future__ import annotations

from typing import Final

# (column name, Glue/Hive type). Parquet files carry exactly these columns in this order.
EVALUATION_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("evaluation_id", "string"),
    ("created_at", "timestamp"),
    ("item_code", "string"),
    ("agency_code", "string"),
    ("region_code", "string"),
    ("channel", "string"),
    ("stage", "string"),
    ("level", "int"),
    ("bad_review", "boolean"),
    ("has_comment", "boolean"),
)

# Hive-style partition of the S3 layout: s3://<bucket>/evaluations/dt=YYYY-MM-DD/…parquet
EVALUATION_PARTITION_KEYS: Final[tuple[tuple[str, str], ...]] = (("dt", "string"),)
EVALUATIONS_PREFIX: Final = "evaluations"
EVALUATIONS_TABLE: Final = "evaluations"
