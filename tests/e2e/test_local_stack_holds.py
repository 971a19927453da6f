"""The local stack under concurrency and at its edges: the same evaluation from 8 threads is stored
once, a batch of 100 is answered quickly with its results in order, and the gateway answers unknown
paths and wrong methods as problems."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e.govrate_client import BEIJING, post_platform_batch

pytestmark = pytest.mark.e2e

GOOD_REVIEW = {
    "item_code": "110105-GA-001",
    "agency_code": "110105-GA",
    "region_code": BEIJING,
    "level": 4,
}


def test_the_same_evaluation_from_8_threads_is_stored_once_and_its_receipt_reads(stack: dict[str, Any]) -> None:
    api = stack["api_url"]
    key = uuid.uuid4().hex

    def post(_: int) -> requests.Response:
        return requests.post(f"{api}/v1/evaluations", json=GOOD_REVIEW, headers={"Idempotency-Key": key}, timeout=30)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(8)))

    assert sorted(answer.status_code for answer in answers) == [200] * 7 + [201], [a.text for a in answers]
    assert len({answer.json()["evaluation_id"] for answer in answers}) == 1
    assert all(answer.json()["replayed"] for answer in answers if answer.status_code == 200)
    (first,) = (answer.json() for answer in answers if answer.status_code == 201)
    status = requests.get(f"{api}{first['status_url']}", timeout=10)
    assert status.status_code == 200, status.text
    assert status.json()["evaluation_id"] == first["evaluation_id"]


def test_a_batch_of_100_is_answered_with_its_results_in_order(stack: dict[str, Any]) -> None:
    run = uuid.uuid4().hex[:8]
    items: list[dict[str, Any]] = [
        {**GOOD_REVIEW, "channel": "hotline", "external_id": f"batch-{run}-{index}", "level": 5} for index in range(100)
    ]
    items[7] = {**items[7], "level": 2}  # refused: a bad review needs a reason code
    items[42] = {**items[42], "level": 1, "reason_codes": ["slow"]}
    items[99] = items[98]  # the same evaluation twice in one batch

    answer = post_platform_batch(stack, items)

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [result["index"] for result in results] == list(range(100))
    assert [result["status"] for result in results] == ["accepted"] * 7 + ["rejected"] + ["accepted"] * 91 + [
        "duplicate"
    ]
    assert results[7]["problem"]["errors"][0]["field"] == "reason_codes"
    assert results[42]["evaluation"]["bad_review"] is True
    assert results[99]["evaluation"]["evaluation_id"] == results[98]["evaluation"]["evaluation_id"]


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("DELETE", "/v1/evaluations", 405, "/problems/method-not-allowed"),
        ("PUT", "/v1/platform/evaluations/batch", 405, "/problems/method-not-allowed"),
        ("GET", "/v1/no-such-thing", 404, "/problems/not-found"),
        ("POST", "/nowhere/at/all", 404, "/problems/not-found"),
    ],
)
def test_the_gateway_answers_unknown_paths_and_wrong_methods_as_problems(
    stack: dict[str, Any], method: str, path: str, status: int, kind: str
) -> None:
    answer = requests.request(method, f"{stack['api_url']}{path}", timeout=10)

    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["type"] == kind
    assert answer.json()["instance"] == path
    if status == 405:
        assert "POST" in answer.headers["Allow"]
