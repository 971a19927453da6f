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

    def evaluation_count(self) -> int:
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._evaluations,
            FilterExpression="entity = :evaluation",
            ExpressionAttributeValues={":evaluation": {"S": "evaluation"}},
            Select="COUNT",
            ConsistentRead=True,
        )
        return sum(page["Count"] for page in pages)

    def is_stored(self, evaluation_id: str) -> bool:
        found = self._dynamodb.get_item(
            TableName=self._evaluations, Key={"pk": {"S": f"EVAL#{evaluation_id}"}}, ConsistentRead=True
        )
        return "Item" in found

    def has_case(self, evaluation_id: str) -> bool:
        """A case is keyed by its evaluation, so there is never more than one."""
        found = self._dynamodb.get_item(
            TableName=self._cases,
            Key={"pk": {"S": f"CASE#{evaluation_id}"}, "sk": {"S": "CASE"}},
            ConsistentRead=True,
        )
        return "Item" in found


def check(tables: StackTables, accepted: list[Accepted], evaluations_before: int) -> Findings:
    ids_by_key: dict[str, set[str]] = defaultdict(set)
    bad: set[str] = set()
    for entry in accepted:
        ids_by_key[entry.key].add(entry.evaluation_id)
        if entry.bad_review:
            bad.add(entry.evaluation_id)
    ids = {evaluation_id for found in ids_by_key.values() for evaluation_id in found}
    findings = Findings(accepted=len(ids), bad_reviews=len(bad))
    findings.broken += [f"key {key} answered {sorted(found)}" for key, found in ids_by_key.items() if len(found) > 1]
    findings.broken += [
        f"evaluation {i} answered 2xx but is not stored" for i in sorted(ids) if not tables.is_stored(i)
    ]
    stored = tables.evaluation_count() - evaluations_before
    if stored != len(ids):
        findings.broken.append(f"{stored} evaluations stored during the run, {len(ids)} accepted")
    started = time.monotonic()
    waiting = set(bad)
    while waiting and time.monotonic() - started < CASE_WAIT_S:
        waiting = {evaluation_id for evaluation_id in waiting if not tables.has_case(evaluation_id)}
        if waiting:
            time.sleep(1)
    findings.cases_waited_s = time.monotonic() - started
    findings.broken += [f"bad review {i} has no case after {CASE_WAIT_S} s" for i in sorted(waiting)]
    return findings
