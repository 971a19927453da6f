"""The daily sweep of unrated service records: one invitation after three days, and a region's
default rating after the evaluation period, never over an evaluator's own rating."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import record_sweep
import time_machine
from govrate import runtime
from govrate.evaluations.models import ApplicantContact, Channel, EvaluationSubmission, Stage
from govrate.evaluations.service import submit_evaluation
from govrate.identity.model import Actor, Role
from govrate.kernel.clock import zone
from govrate.kernel.errors import StorageMisconfigured
from govrate.kernel.scale import Level
from govrate.records.store import StoredRecord
from govrate.regions.service import change_rules
from govrate.regions.store import RulesRepository

from tests.integration.conftest import AwsResources

BASE_URL = "https://pj.zwfw.example.gov.cn"
COMPLETED = datetime(2026, 11, 16, 15, 0, tzinfo=zone())


@pytest.fixture
def sweep_env(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> AwsResources:
    monkeypatch.setenv("GOVRATE_PUBLIC_BASE_URL", BASE_URL)
    runtime.reset()
    return aws


def register(record_id: str, *, contact: bool = True, completed_at: datetime = COMPLETED) -> None:
    stores = runtime.intake_stores()
    owner = f"record:110105:{record_id}"
    stores.records.register(
        StoredRecord(
            record_id=record_id,
            region_code="110105",
            item_code="110105-GA-001",
            item_version=3,
            agency_code="110105-GA",
            window_id=None,
            stages=(Stage.ACCEPT, Stage.DELIVER),
            completed_at=completed_at,
            contact_cipher=stores.vault.seal(ApplicantContact(phone="13800138000").model_dump_json(), owner)
            if contact
            else None,
            registered_by="test-platform",
            fingerprint=record_id,
        )
    )


def rate(record_id: str, stage: Stage, level: int = 4) -> None:
    submit_evaluation(
        EvaluationSubmission(
            item_code="110105-GA-001",
            agency_code="110105-GA",
            region_code="110105",
            channel=Channel.WINDOW_QR,
            level=Level(level),
            record_id=record_id,
            stage=stage,
        ),
        stores=runtime.intake_stores(),
        now=COMPLETED + timedelta(days=1),
        tickets=None,
    )


def run_sweep(day: str, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = record_sweep.handler({"day": day}, lambda_context)
    return result


def invitations(aws: AwsResources) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=aws.invitation_queue_url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def test_an_applicant_with_a_contact_is_invited_once_three_days_after(
    sweep_env: AwsResources, lambda_context: Any
) -> None:
    register("BJ-INV-1")
    register("BJ-INV-2", contact=False)
    register("BJ-INV-3")
    rate("BJ-INV-3", Stage.ACCEPT)
    rate("BJ-INV-3", Stage.DELIVER)

    assert run_sweep("2026-11-18", lambda_context)["invited"] == 0  # two days after: too early
    assert run_sweep("2026-11-19", lambda_context)["invited"] == 1
    assert run_sweep("2026-11-19", lambda_context)["invited"] == 0  # never twice

    (invitation,) = invitations(sweep_env)
    assert invitation["record_id"] == "BJ-INV-1"
    assert invitation["unrated_stages"] == ["accept", "deliver"]
    assert "13800138000" not in json.dumps(invitation)
    token = invitation["ticket_url"].removeprefix(f"{BASE_URL}/t/")
    claims = runtime.ticket_signer().verify(token)
    assert (claims.region_code, claims.record_id) == ("110105", "BJ-INV-1")


def test_a_failed_send_is_tried_again_by_the_next_sweep(sweep_env: AwsResources, lambda_context: Any) -> None:
    register("BJ-INV-9")
    sqs = boto3.client("sqs")
    sqs.delete_queue(QueueUrl=sweep_env.invitation_queue_url)
    with pytest.raises(StorageMisconfigured):
        run_sweep("2026-11-19", lambda_context)
    sqs.create_queue(QueueName="test-invitations")
    assert run_sweep("2026-11-19", lambda_context)["invited"] == 1


def test_the_default_rating_fills_only_unrated_stages_after_the_period(
    sweep_env: AwsResources, lambda_context: Any
) -> None:
    # Set for the whole province: the district follows it through the same reader as intake and cases.
    change_rules(
        Actor(role=Role.SUPERVISOR, subject="sub-bj", name="wang.fang", region_code="110000"),
        "110000",
        '{"evaluation": {"default_level": 3}}',
        store=RulesRepository(sweep_env.reference_table),
        now=runtime.now(),
        operator="arn:aws:iam::123456789012:user/ops",
    )
    register("BJ-DEF-1")
    rate("BJ-DEF-1", Stage.ACCEPT, level=5)

    assert run_sweep("2026-11-23", lambda_context)["defaulted"] == 0  # the 7-day period runs until the 23rd
    assert run_sweep("2026-11-24", lambda_context)["defaulted"] == 1
    assert run_sweep("2026-11-24", lambda_context)["defaulted"] == 0

    table = boto3.resource("dynamodb").Table(sweep_env.evaluations_table)
    items = [item for item in table.scan()["Items"] if item.get("entity") == "evaluation"]
    by_stage = {item["stage"]: (item["system_given"], item["channel"], str(item["level"])) for item in items}
    assert by_stage == {"accept": (False, "window_qr", "5"), "deliver": (True, "system", "3")}


@time_machine.travel(datetime(2026, 11, 19, 2, 0, tzinfo=zone()), tick=False)
def test_the_scheduled_event_sweeps_its_local_day(sweep_env: AwsResources, lambda_context: Any) -> None:
    register("BJ-INV-5")
    # 2026-11-18T18:00Z is already the 19th in China.
    assert record_sweep.handler({"time": "2026-11-18T18:00:00Z"}, lambda_context)["invited"] == 1
