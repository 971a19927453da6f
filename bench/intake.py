"""Intake cost and latency: the Chalice app in-process on moto, end to end through the service.

Measures handler latency (p50/p95) and evaluations per second for one process, and the stored item
size that decides the write units an evaluation costs. Moto answers in memory, so the latency is an
upper bound on our own code's cost per request, not a cloud figure.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

COUNT = 500


def run() -> dict[str, float]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    # One client posts every evaluation here: lift the per-client and per-item limits (the counters are still written).
    os.environ.setdefault("GOVRATE_LIMIT_PER_CLIENT_PER_HOUR", str(COUNT))
    os.environ.setdefault("GOVRATE_LIMIT_PER_ITEM_PER_MINUTE", str(COUNT))

    import boto3
    from chalice.test import Client
    from moto import mock_aws

    with mock_aws():
        _provision(boto3)
        import intake_api

        with Client(intake_api.app) as client:
            body = {
                "item_code": "110105-GA-001",
                "agency_code": "110105-GA",
                "region_code": "110105",
                "level": 2,
                "reason_codes": ["slow"],
                "mode": "onsite",
                "indicators": {"efficiency": 2, "attitude": 4},
                "comment": "排队一个多小时，窗口只开了一个",
                "evaluator": {"phone": "13800138000", "consent": True},
            }
            latencies = []
            for _ in range(COUNT):
                started = time.perf_counter()
                response = client.http.post(
                    "/v1/evaluations", headers={"content-type": "application/json"}, body=json.dumps(body)
                )
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 201, response.body
            item = boto3.client("dynamodb").scan(TableName="bench-evaluations", Limit=1)["Items"][0]

    size = _item_size(item)
    latencies.sort()
    figures = {
        "requests": COUNT,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * COUNT)] * 1000,
        "per_second_one_process": COUNT / sum(latencies),
        "item_bytes": size,
        "write_units_per_evaluation": -(-size // 1024) * 2,  # the item and its by_day index copy
    }
    print(f"intake: {COUNT} bad reviews with indicators and a sealed contact, Chalice app in-process on moto")
    print(f"  latency p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms")
    print(f"  {figures['per_second_one_process']:.0f} evaluations/s in one process")
    print(f"  stored item {size} bytes -> {figures['write_units_per_evaluation']} write units (item + by_day copy)")
    return figures


def _provision(boto3: Any) -> None:
    from pathlib import Path

    from govrate.catalogue.service import import_catalogue, read_catalogue
    from govrate.catalogue.store import CatalogueRepository
    from govrate.storage.schema import TABLES

    dynamodb = boto3.client("dynamodb")
    for spec in TABLES:
        dynamodb.create_table(**spec.create_table_arguments(f"bench-{spec.name}"))
    key_id = boto3.client("kms").create_key()["KeyMetadata"]["KeyId"]
    os.environ.update(
        GOVRATE_EVALUATIONS_TABLE="bench-evaluations",
        GOVRATE_CASES_TABLE="bench-cases",
        GOVRATE_REFERENCE_TABLE="bench-reference",
        GOVRATE_CONTACT_KEY_ID=key_id,
    )
    catalogue = Path(__file__).resolve().parents[1] / "data" / "catalogue-sample.csv"
    import_catalogue(
        read_catalogue(catalogue.read_text(encoding="utf-8"), "csv"), CatalogueRepository("bench-reference")
    )


def _item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (numbers approximated by their digits)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        total += _value_size(value)
    return total


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "L":
        return 3 + sum(_value_size(element) + 1 for element in inner)
    if kind == "M":
        return 3 + sum(len(key.encode()) + _value_size(element) + 1 for key, element in inner.items())
    raise ValueError(kind)


if __name__ == "__main__":
    run()
