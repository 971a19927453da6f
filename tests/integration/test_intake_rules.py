"""The evaluation rules of DESIGN §2 through the intake API: indicators, reasons, contact, records,
one evaluation per (record, stage), the evaluation period, follow-ups and the catalogue listing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import intake_api
import pytest
import time_machine
from chalice.test import Client
from govrate import runtime
from govrate.evaluations.models import Stage
from govrate.kernel.clock import zone
from govrate.records.store import StoredRecord

from tests.integration.conftest import AwsResources

JSON = {"content-type": "application/json"}
COMPLETED = datetime(2026, 11, 20, 10, 0, tzinfo=zone())
GOOD = {
    "item_code": "110105-GA-002",  # accept | approve | deliver
    "agency_code": "110105-GA",
    "region_code": "110105",
    "level": 5,
}
BAD = {**GOOD, "level": 1, "reason_codes": ["attitude"]}


@pytest.fixture
def client(aws: AwsResources) -> Any:
    with Client(intake_api.app) as test_client:
        yield test_client


def post(client: Any, body: dict[str, Any], headers: dict[str, str] = JSON) -> Any:
    return client.http.post("/v1/evaluations", headers=headers, body=json.dumps(body))


def fields(response: Any) -> set[str]:
    return {error["field"] for error in json.loads(response.body).get("errors", [])}


def stored_item(aws: AwsResources, evaluation_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(aws.evaluations_table)
    return dict(table.get_item(Key={"pk": f"EVAL#{evaluation_id}"})["Item"])


def ticket(record_id: str = "BJ-2026-000001") -> str:
    return runtime.ticket_signer().sign("110105", record_id)


def register_record(record_id: str = "BJ-2026-000001", completed_at: datetime = COMPLETED) -> None:
    runtime.intake_stores().records.register(
        StoredRecord(
            record_id=record_id,
            region_code="110105",
            item_code="110105-GA-002",
            item_version=2,
            agency_code="110105-GA",
            window_id="W01",
            stages=(Stage.ACCEPT, Stage.APPROVE, Stage.DELIVER),
            completed_at=completed_at,
            contact_cipher=None,
            registered_by="test-platform",
            fingerprint="f",
        )
    )


def test_the_evaluator_contact_is_stored_encrypted(client: Any, aws: AwsResources) -> None:
    contact = {"name": "王女士", "phone": "13800138000", "consent": True}
    accepted = json.loads(post(client, {**BAD, "evaluator": contact}).body)
    item = stored_item(aws, accepted["evaluation_id"])
    raw = json.dumps(
        {key: value for key, value in item.items() if key != "contact_cipher"}, default=str, ensure_ascii=False
    )
    raw += bytes(item["contact_cipher"]).decode("latin-1")
    assert "13800138000" not in raw
    assert "王女士" not in raw
    assert item["real_name"] is True
    opened = runtime.intake_stores().vault.open(bytes(item["contact_cipher"]), owner=accepted["evaluation_id"])
    assert json.loads(opened) == contact


def test_a_replayed_post_with_an_idempotency_key_is_not_a_second_vote(client: Any, aws: AwsResources) -> None:
    headers = {**JSON, "Idempotency-Key": "3f6c1a9e-kiosk-17-Qx7mR2pL"}
    first = post(client, BAD, headers)
    again = post(client, BAD, headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert json.loads(again.body)["evaluation_id"] == json.loads(first.body)["evaluation_id"]
    assert json.loads(again.body)["replayed"] is True
    assert json.loads(again.body)["receipt"] == json.loads(first.body)["receipt"]
    assert post(client, GOOD, headers).status_code == 409


@pytest.mark.parametrize("key", ["abc", "0123456789abcdef", "kiosk 17 with spaces in it", "k" * 129])
def test_a_guessable_idempotency_key_is_refused_by_its_name(client: Any, aws: AwsResources, key: str) -> None:
    response = post(client, BAD, {**JSON, "Idempotency-Key": key})
    assert response.status_code == 422
    assert fields(response) == {"Idempotency-Key"}
    assert post(client, BAD, {**JSON, "Idempotency-Key": "Vb2nC1dZ0qX8rT4yK6mP3w"}).status_code == 201


@pytest.mark.parametrize("lost_answers", [1, 4])
def test_a_post_whose_answers_were_lost_gets_its_receipt_and_is_stored_once(
    client: Any, aws: AwsResources, lost_answers: int
) -> None:
    """The client posts, the answer never arrives (once, or every time until the last try), and it
    posts the same again with the same key: one evaluation, and the receipt of the first post."""
    headers = {**JSON, "Idempotency-Key": "b1d7f0c2-9a3e-4f61-8c55-3e2a7d9c0f14"}
    lost = [post(client, BAD, headers) for _ in range(lost_answers)]
    answered = post(client, BAD, headers)

    assert answered.status_code == 200
    answer = json.loads(answered.body)
    assert answer["replayed"] is True
    assert answer["evaluation_id"] == json.loads(lost[0].body)["evaluation_id"]
    assert answer["receipt"] == json.loads(lost[0].body)["receipt"]
    status = client.http.get(answer["status_url"])
    assert status.status_code == 200, status.body
    items = boto3.resource("dynamodb").Table(aws.evaluations_table).scan()["Items"]
    assert [item["entity"] for item in items].count("evaluation") == 1


@time_machine.travel(COMPLETED + timedelta(hours=2), tick=False)
def test_one_evaluation_per_record_and_stage(client: Any, aws: AwsResources) -> None:
    register_record()
    accept = {**BAD, "record_id": "BJ-2026-000001", "stage": "accept", "ticket": ticket()}
    first = post(client, accept)
    assert first.status_code == 201
    replay = post(client, accept)
    assert replay.status_code == 200
    assert json.loads(replay.body)["evaluation_id"] == json.loads(first.body)["evaluation_id"]
    different = post(client, {**accept, "level": 5, "reason_codes": []})
    assert different.status_code == 409
    assert json.loads(different.body)["type"] == "/problems/conflict"
    deliver = {**GOOD, "record_id": "BJ-2026-000001", "stage": "deliver", "ticket": ticket()}
    assert post(client, deliver).status_code == 201
    count = boto3.client("dynamodb").scan(TableName=aws.evaluations_table, Select="COUNT")["Count"]
    assert count == 2 + 2 + 1  # two evaluations, their two guards, the record


def test_one_follow_up_within_the_period_and_the_original_untouched(client: Any, aws: AwsResources) -> None:
    with time_machine.travel(COMPLETED, tick=False):
        accepted = json.loads(post(client, {**BAD, "comment": "窗口态度差"}).body)
    before = stored_item(aws, accepted["evaluation_id"])
    path = f"/v1/evaluations/{accepted['evaluation_id']}/follow-up"
    follow_up = {"receipt": accepted["receipt"], "comment": "后来工作人员主动联系并解决了", "level": 4}
    with time_machine.travel(COMPLETED + timedelta(days=29), tick=False):
        assert client.http.post(path, headers=JSON, body=json.dumps(follow_up)).status_code == 201
        second = client.http.post(path, headers=JSON, body=json.dumps(follow_up))
        assert second.status_code == 409
        status = json.loads(client.http.get(accepted["status_url"]).body)
    assert status["follow_up"]["level"] == 4
    assert status["level"] == 1
    assert stored_item(aws, accepted["evaluation_id"]) == before
    wrong = client.http.post(path, headers=JSON, body=json.dumps({**follow_up, "receipt": "not-the-receipt"}))
    assert wrong.status_code == 404


def test_the_catalogue_is_listed_by_region_agency_and_keyword_page_by_page(client: Any) -> None:
    by_region = json.loads(client.http.get("/v1/service-items?region=110105").body)
    assert by_region["items"] and {item["region_code"] for item in by_region["items"]} == {"110105"}
    by_agency = json.loads(client.http.get("/v1/service-items?agency=110105-GA").body)
    assert {item["item_code"] for item in by_agency["items"]} == {"110105-GA-001", "110105-GA-002"}
    keyword = json.loads(client.http.get("/v1/service-items?q=%E8%BA%AB%E4%BB%BD%E8%AF%81").body)  # 身份证
    assert keyword["items"] and all("身份证" in item["name_zh"] for item in keyword["items"])

    seen: list[str] = []
    cursor = None
    while True:
        query = "/v1/service-items?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = json.loads(client.http.get(query).body)
        seen += [item["item_code"] for item in page["items"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 32


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=101", "cursor=%%%"])
def test_bad_listing_parameters_are_validation_errors(client: Any, query: str) -> None:
    response = client.http.get(f"/v1/service-items?{query}")
    assert response.status_code == 422
    assert fields(response) == {query.split("=", maxsplit=1)[0]}
