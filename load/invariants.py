"""What must hold after a load run, read straight from the stack's DynamoDB: every key the clients
used names one evaluation, every evaluation answered with a 2xx is stored, nothing more was stored
than was accepted, and every bad review has its case (one: a case is keyed by its evaluation)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import boto3

from load.traffic import Accepted

CASE_WAIT_S = 120


@dataclass
class Findings:
    accepted: int = 0
    bad_reviews: int = 0
    cases_waited_s: float = 0.0
    broken: list[str] = field(default_factory=list)


class StackTables:
    def __init__(self, ready: dict[str, Any]) -> None:
        self._dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=ready["aws_endpoint"],
            region_name=ready["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        self._evaluations = ready["environment"]["GOVRATE_EVALUATIONS_TABLE"]
        self._cases = ready["environment"]["GOVRATE_CASES_TABLE"]

    def evaluation_ids(self) -> set[str]:
        """Every stored evaluation's id, in one scan (per-item reads would take minutes after a long run)."""
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._evaluations,
            FilterExpression="entity = :evaluation",
            ExpressionAttributeValues={":evaluation": {"S": "evaluation"}},
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
        return {item["pk"]["S"].removeprefix("EVAL#") for page in pages for item in page["Items"]}

    def evaluations_with_a_case(self) -> set[str]:
        """A case is keyed by its evaluation, so there is never more than one."""
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._cases,
            FilterExpression="sk = :case",
            ExpressionAttributeValues={":case": {"S": "CASE"}},
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
        return {item["pk"]["S"].removeprefix("CASE#") for page in pages for item in page["Items"]}


def check(tables: StackTables, accepted: list[Accepted], stored_before: set[str]) -> Findings:
    ids_by_key: dict[str, set[str]] = defaultdict(set)
    bad: set[str] = set()
    for entry in accepted:
        ids_by_key[entry.key].add(entry.evaluation_id)
        if entry.bad_review:
            bad.add(entry.evaluation_id)
    ids = {evaluation_id for found in ids_by_key.values() for evaluation_id in found}
    findings = Findings(accepted=len(ids), bad_reviews=len(bad))
    findings.broken += [f"key {key} answered {sorted(found)}" for key, found in ids_by_key.items() if len(found) > 1]
    stored = tables.evaluation_ids() - stored_before
    findings.broken += [f"evaluation {i} answered 2xx, not stored" for i in sorted(ids - stored)]
    findings.broken += [f"evaluation {i} stored, never answered 2xx" for i in sorted(stored - ids)]
    started = time.monotonic()
    waiting = bad - tables.evaluations_with_a_case()
    while waiting and time.monotonic() - started < CASE_WAIT_S:
        time.sleep(5)
        waiting -= tables.evaluations_with_a_case()
    findings.cases_waited_s = time.monotonic() - started
    if waiting:
        findings.broken.append(f"{len(waiting)} of {len(bad)} bad reviews have no case after {CASE_WAIT_S} s")
    return findings
