"""What must hold after a load run, read straight from the stack's DynamoDB: every key the clients
used names one evaluation, every evaluation answered with a 2xx is stored, nothing more was stored
than was accepted, and every bad review has its case (one: a case is keyed by its evaluation)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:  # load.traffic imports locust, which patches the standard library as it loads
    from load.traffic import Accepted

# The cases of the bad reviews are waited for as long as the consumer makes progress: on a shared
# two-core machine the local consumer drains its queue after the load rather than keeping pace with it
# (docs/reliability.md). The check fails when no case is added for CASE_STALL_S (a consumer that
# stopped, or messages lost), or after CASE_WAIT_MAX_S in all. A message whose handling failed (a
# transaction that lost a race, say) returns to the queue only after its visibility timeout, 180 s:
# the stall allowed is longer (tests/infra/test_infra_pipeline.py keeps it so).
CASE_STALL_S = 240
BATCH_GET_KEYS = 100  # the most one BatchGetItem takes
CASE_WAIT_MAX_S = 15 * 60


@dataclass
class Findings:
    accepted: int = 0
    bad_reviews: int = 0
    without_case_when_load_ended: int = 0
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

    def with_a_case(self, evaluation_ids: set[str]) -> set[str]:
        """Those of the evaluations that have their case (keyed by its evaluation, so never more than
        one), read 100 keys a call: a scan of the cases table every few seconds took moto's process
        from the consumer it waits for."""
        found: set[str] = set()
        ordered = sorted(evaluation_ids)
        for start in range(0, len(ordered), BATCH_GET_KEYS):
            keys = [{"pk": {"S": f"CASE#{i}"}, "sk": {"S": "CASE"}} for i in ordered[start : start + BATCH_GET_KEYS]]
            request: Any = {self._cases: {"Keys": keys, "ProjectionExpression": "pk", "ConsistentRead": True}}
            while request:
                answer = self._dynamodb.batch_get_item(RequestItems=request)
                found |= {item["pk"]["S"].removeprefix("CASE#") for item in answer["Responses"].get(self._cases, [])}
                request = answer.get("UnprocessedKeys") or None
        return found


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
    started = progress = time.monotonic()
    waiting = bad - tables.with_a_case(bad)
    findings.without_case_when_load_ended = len(waiting)
    while waiting and time.monotonic() - progress < CASE_STALL_S and time.monotonic() - started < CASE_WAIT_MAX_S:
        time.sleep(5)
        still = waiting - tables.with_a_case(waiting)
        if len(still) < len(waiting):
            progress = time.monotonic()
        waiting = still
    findings.cases_waited_s = time.monotonic() - started
    if waiting:
        findings.broken.append(
            f"{len(waiting)} of {len(bad)} bad reviews have no case after {findings.cases_waited_s:.0f} s "
            f"(none added in the last {time.monotonic() - progress:.0f} s)"
        )
    return findings
