"""Two levels on this machine (docs/relay.md): a "national" and a "province" local stack, the province
registered at the national level as a platform and relaying to it. Evaluations posted at the province
arrive upstream; while the national stack does not answer, the province keeps them queued; when it
answers again, every evaluation is there exactly once and every case at its latest state.

Each stack is its own process with its own moto; the outage is the national process stopped (SIGSTOP),
its data kept, and resumed (SIGCONT)."""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from govrate.platforms.signing import platform_signer

from tests.e2e.conftest import poll, started_stack, wait_until_ready
from tests.e2e.shared_stacks import StartedStack

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

# Two stacks start in this module's set-up, each from a CDK synthesis of its own context: on a fresh
# clone with the two cores shared, that alone passed the suite's 300 s per test.
pytestmark = pytest.mark.timeout(900)

RELAY_TIMEOUT_S = 120
KEY_ID = "province-local"
# The province retries a batch the national stack did not take after this, not after the cloud's 5 minutes.
RETRY_AFTER_S = "2"


def _local(stack: dict[str, Any]) -> dict[str, Any]:
    return {
        "endpoint_url": stack["aws_endpoint"],
        "region_name": stack["region"],
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }


def dynamodb(stack: dict[str, Any]) -> DynamoDBClient:
    return boto3.client("dynamodb", **_local(stack))


def sqs(stack: dict[str, Any]) -> SQSClient:
    return boto3.client("sqs", **_local(stack))


def post_evaluations(province: dict[str, Any], levels: list[int]) -> list[str]:
    """Post hotline evaluations at the province as its demo platform does; their ids."""
    platform = next(p for p in province["platforms"] if p["platform_id"] == "demo-platform")
    evaluations = [
        {
            "agency_code": "110105-GA",
            "region_code": "110105",
            "channel": "hotline",
            "level": level,
            "reason_codes": ["slow"] if level <= 2 else [],
            "comment": "王女士 13800138000 排队太久",
            "external_id": f"relay-{uuid.uuid4().hex[:12]}",
            "evaluator": {"name": "王女士", "phone": "13800138000", "consent": True},
        }
        for level in levels
    ]
    response = requests.post(
        f"{province['api_url']}/v1/platform/evaluations/batch",
        json={"evaluations": evaluations},
        auth=platform_signer(platform["key_id"], platform["key"].encode()),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert {result["status"] for result in results} == {"accepted"}, results
    return [result["evaluation"]["evaluation_id"] for result in results]


def relayed(national: dict[str, Any]) -> list[dict[str, Any]]:
    """The evaluations the national stack holds from the province (a Scan: a test table)."""
    items = dynamodb(national).scan(TableName=national["environment"]["GOVRATE_EVALUATIONS_TABLE"])["Items"]
    return [item for item in items if item.get("relayed_by", {}).get("S") == "province"]


def case_versions(stack: dict[str, Any], sort_key: str) -> dict[str, int]:
    items = dynamodb(stack).scan(TableName=stack["environment"]["GOVRATE_CASES_TABLE"])["Items"]
    return {item["evaluation_id"]["S"]: int(item["audit_count"]["N"]) for item in items if item["sk"]["S"] == sort_key}


def queued(province: dict[str, Any]) -> int:
    attributes = sqs(province).get_queue_attributes(
        QueueUrl=province["environment"]["GOVRATE_UPSTREAM_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@contextmanager
def stopped(started: StartedStack) -> Iterator[None]:
    os.kill(started.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(started.pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def levels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], StartedStack, dict[str, Any]]]:
    # The relay needs no scheduled function: neither level runs them.
    with started_stack(
        tmp_path_factory,
        "--no-history",
        "--province",
        "national",
        "--downstream",
        f"province:{KEY_ID}:110000,440300",
        schedule_every=0,
    ) as national_process:
        national = wait_until_ready(national_process)
        key = next(p["key"] for p in national["platforms"] if p["platform_id"] == "province")
        upstream = ["--upstream", national["api_url"], "--upstream-key-id", KEY_ID, "--upstream-key", key]
        with started_stack(
            tmp_path_factory, "--no-history", "--province", "province", *upstream, schedule_every=0
        ) as province_process:
            province = wait_until_ready(province_process)
            sqs(province).set_queue_attributes(
                QueueUrl=province["environment"]["GOVRATE_UPSTREAM_QUEUE_URL"],
                Attributes={"VisibilityTimeout": RETRY_AFTER_S},
            )
            yield national, national_process, province


def test_what_a_province_takes_arrives_upstream_once_through_an_outage(
    levels: tuple[dict[str, Any], StartedStack, dict[str, Any]],
) -> None:
    national, national_process, province = levels
    assert any(line.startswith("schedule→") and line.endswith("not run here)") for line in province["wiring"])
    before = post_evaluations(province, [1, 5, 4])
    poll(lambda: len(relayed(national)) == 3, RELAY_TIMEOUT_S)

    with stopped(national_process):
        during = post_evaluations(province, [2, 1, 5])
        poll(lambda: queued(province) > 0, RELAY_TIMEOUT_S)

    poll(lambda: len(relayed(national)) == 6 and queued(province) == 0, RELAY_TIMEOUT_S)
    arrived = relayed(national)
    assert sorted(item["evaluation_id"]["S"] for item in arrived) == sorted(before + during)
    for item in arrived:  # the facts only
        assert "contact_cipher" not in item
        assert item.get("comment", {"NULL": True}) == {"NULL": True}
        assert item["real_name"] == {"BOOL": True}
    # Every case of the province, upstream at its latest version, and no case of the national level's own.
    bad_reviews = {before[0], during[0], during[1]}
    poll(lambda: set(case_versions(province, "CASE")) == bad_reviews, RELAY_TIMEOUT_S)
    poll(lambda: case_versions(national, "RELAYED") == case_versions(province, "CASE"), RELAY_TIMEOUT_S)
    assert case_versions(national, "CASE") == {}
    assert json.dumps(arrived, ensure_ascii=False).count("13800138000") == 0
