"""The intake HTTP function through Chalice's test client, on moto."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import boto3
import intake_api
import pytest
from botocore.exceptions import ClientError
from chalice.test import Client
from pynamodb.connection.base import Connection

from tests.integration.conftest import AwsResources

BAD_REVIEW = {
    "item_code": "110105-GA-001",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "level": 2,
    "reason_codes": ["unclear_requirements", "repeated_trips"],
    "comment": "材料清单不清楚，跑了两趟",
}
JSON = {"content-type": "application/json"}


@pytest.fixture
def client(aws: AwsResources) -> Any:
    with Client(intake_api.app) as test_client:
        yield test_client


def post(client: Any, body: Any, headers: dict[str, str] = JSON) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.post("/v1/evaluations", headers=headers, body=raw)


def stored_evaluations(aws: AwsResources) -> int:
    return int(boto3.client("dynamodb").scan(TableName=aws.evaluations_table, Select="COUNT")["Count"])


def test_an_evaluation_is_stored_and_followed_with_its_receipt(client: Any, aws: AwsResources) -> None:
    response = post(client, BAD_REVIEW)
    assert response.status_code == 201
    accepted = json.loads(response.body)
    assert response.headers["Location"] == accepted["status_url"]
    assert accepted["bad_review"] is True
    assert len(accepted["evaluation_id"]) == 26

    status = client.http.get(accepted["status_url"])
    assert status.status_code == 200
    shown = json.loads(status.body)
    assert shown["level"] == 2
    assert shown["level_label_zh"] == "不满意"
    assert shown["comment"] == BAD_REVIEW["comment"]
    assert shown["case"] is None  # the verify function has not opened it yet
    assert shown["created_at"].endswith("+08:00")
    assert stored_evaluations(aws) == 1


def test_a_good_review_is_not_a_bad_review(client: Any) -> None:
    accepted = json.loads(post(client, {**BAD_REVIEW, "level": 5, "reason_codes": [], "comment": None}).body)
    assert accepted["bad_review"] is False


def test_a_wrong_or_missing_receipt_reveals_nothing(client: Any) -> None:
    accepted = json.loads(post(client, BAD_REVIEW).body)
    wrong = client.http.get(f"/v1/evaluations/{accepted['evaluation_id']}?receipt=guess-the-receipt")
    assert wrong.status_code == 404
    assert json.loads(wrong.body)["type"] == "/problems/not-found"
    missing = client.http.get(f"/v1/evaluations/{accepted['evaluation_id']}")
    assert missing.status_code == 422
    assert json.loads(missing.body)["errors"][0]["field"] == "receipt"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"item_code": "999999-XX-001"}, "item_code"),
        ({"agency_code": "440305-GA"}, "agency_code"),
        ({"region_code": "440305"}, "region_code"),
        ({"level": 0}, "level"),
        ({"channel": "fax"}, "channel"),
        ({"stage": "approve"}, "stage"),  # 110105-GA-001 has accept and deliver only
    ],
)
def test_invalid_evaluations_are_refused_with_the_field_and_nothing_stored(
    client: Any, aws: AwsResources, change: dict[str, Any], field: str
) -> None:
    response = post(client, {**BAD_REVIEW, **change})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["type"] == "/problems/validation-error"
    assert field in {error["field"] for error in problem["errors"]}
    assert stored_evaluations(aws) == 0


@pytest.mark.parametrize(
    ("body", "headers", "status", "kind"),
    [
        (b"{not json", JSON, 400, "malformed-body"),
        (b"\xff\xfe", JSON, 400, "malformed-body"),
        (b'{"level": 2, "level": 5}', JSON, 400, "malformed-body"),
        (b'{"comment": "\\ud800"}', JSON, 400, "malformed-body"),
        (b"{}", {"content-type": "text/plain"}, 415, "unsupported-media-type"),
        (b"{}", {}, 415, "unsupported-media-type"),
        (b'{"comment": "' + b"x" * 70_000 + b'"}', JSON, 413, "body-too-large"),
    ],
)
def test_unreadable_requests_get_a_problem_not_a_crash(
    client: Any, aws: AwsResources, body: bytes, headers: dict[str, str], status: int, kind: str
) -> None:
    response = post(client, body, headers)
    assert response.status_code == status
    assert json.loads(response.body)["type"] == f"/problems/{kind}"
    assert stored_evaluations(aws) == 0


def test_a_throttled_table_is_a_503_to_retry(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem")
    monkeypatch.setattr(Connection, "_make_api_call", mock.Mock(side_effect=throttled))
    response = post(client, BAD_REVIEW)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert json.loads(response.body)["type"] == "/problems/unavailable"


def test_a_missing_table_is_a_500_no_retry_cures(client: Any, aws: AwsResources) -> None:
    boto3.client("dynamodb").delete_table(TableName=aws.evaluations_table)
    response = post(client, BAD_REVIEW)
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert json.loads(response.body)["type"] == "/problems/internal-error"
