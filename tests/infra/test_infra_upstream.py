"""The upstream relay's nested stack: FIFO queue and its DLQ, the credentials' secret and the sender;
its alarms in Monitoring; none of it on a stage without an upstream."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnElement, Stack
from constructs import Construct

from tests.infra.conftest import PROD_UPSTREAM, Synthesized


def _id(construct: Construct) -> str:
    return Stack.of(construct).get_logical_id(construct.node.default_child)  # type: ignore[arg-type]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_the_upstream_queue_is_fifo_kept_14_days_and_redrives_after_an_outage_of_days(synth: Synthesized) -> None:
    upstream = synth.stack.upstream
    assert upstream is not None
    queue_id, dlq_id = _id(upstream.queue), _id(upstream.dead_letters)
    queue, dlq = synth.nested_resources[queue_id], synth.nested_resources[dlq_id]
    for resource in (queue, dlq):
        props = resource["Properties"]
        assert props["FifoQueue"] is True
        assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
        assert props["SqsManagedSseEnabled"] is True
        # Deduplication by the message's own id (evaluation, or case and version), not by its content.
        assert "ContentBasedDeduplication" not in props
        assert resource["DeletionPolicy"] == "Retain"  # prod
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": 1000}
    # 1000 receives, 5 minutes apart: more than three days of outage before a message leaves the queue.
    assert queue["Properties"]["VisibilityTimeout"] * redrive["maxReceiveCount"] > 3 * 24 * 3600


def test_the_sender_reads_the_queue_signs_with_the_secret_and_moves_refused_items(synth: Synthesized) -> None:
    upstream = synth.stack.upstream
    assert upstream is not None
    sender_id, sender = synth.function("upstream_sender.handler")
    variables = sender["Environment"]["Variables"]
    assert variables["GOVRATE_UPSTREAM_URL"] == PROD_UPSTREAM["url"]
    assert variables["GOVRATE_UPSTREAM_KEY_ID"] == PROD_UPSTREAM["key_id"]
    secret_id = Stack.of(upstream.secret).get_logical_id(upstream.secret.node.default_child)  # type: ignore[arg-type]
    secret = synth.nested_resources[secret_id]["Properties"]
    assert secret["Name"] == "Govrate-gd-prod/upstream"
    assert json.loads(secret["SecretString"]) == {"key": "", "api_key": ""}
    assert variables["GOVRATE_UPSTREAM_SECRET_ARN"] == {"Ref": secret_id}
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": sender_id}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [_id(upstream.queue), "Arn"]}
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    statements = synth.role_statements("upstream_sender.handler")
    granted = {(action, json.dumps(s["Resource"])) for s in statements for action in _actions(s)}
    assert ("secretsmanager:GetSecretValue", json.dumps({"Ref": secret_id})) in granted
    assert ("sqs:SendMessage", json.dumps({"Fn::GetAtt": [_id(upstream.dead_letters), "Arn"]})) in granted


def test_the_relay_publishes_to_the_upstream_queue(synth: Synthesized) -> None:
    _, relay = synth.function("relay.handler")
    assert "GOVRATE_UPSTREAM_QUEUE_URL" in relay["Environment"]["Variables"]
    assert any(
        "sqs:SendMessage" in _actions(s) and "Upstream" in json.dumps(s["Resource"])
        for s in synth.role_statements("relay.handler")
    )


def test_alarms_fire_when_the_upstream_falls_behind_and_on_its_dead_letters(synth: Synthesized) -> None:
    upstream = synth.stack.upstream
    assert upstream is not None
    monitoring = synth.stack.monitoring
    alarms = [
        synth.nested_resources[Stack.of(alarm).get_logical_id(alarm.node.default_child)]["Properties"]  # type: ignore[arg-type]
        for alarm in monitoring.alarms
    ]
    path = upstream.queue.node.path
    (oldest,) = [a for a in alarms if a.get("MetricName") == "ApproximateAgeOfOldestMessage"]
    assert (oldest["Threshold"], oldest["Period"], oldest["Statistic"]) == (300, 60, "Maximum")
    assert path in json.dumps(oldest["AlarmDescription"])
    assert "docs/operations.md#alarm-upstream-behind" in json.dumps(oldest["AlarmDescription"])
    described = [json.dumps(a["AlarmDescription"]) for a in alarms]
    assert any(upstream.dead_letters.node.path in d and "alarm-dead-letters" in d for d in described)
    assert any(upstream.sender.node.path in d and "alarm-function-errors" in d for d in described)


def test_a_stage_without_an_upstream_deploys_none_of_it(synth_with_existing_staff_pool: Synthesized) -> None:
    synth = synth_with_existing_staff_pool
    assert synth.stack.upstream is None
    assert not any(q["Properties"].get("FifoQueue") for q in synth.of_type("AWS::SQS::Queue").values())
    handlers = {f["Properties"]["Handler"] for f in synth.of_type("AWS::Lambda::Function").values()}
    assert "upstream_sender.handler" not in handlers
    _, relay = synth.function("relay.handler")
    assert "GOVRATE_UPSTREAM_QUEUE_URL" not in relay["Environment"]["Variables"]


def test_the_main_stack_holds_one_resource_for_it(synth: Synthesized) -> None:
    upstream = synth.stack.upstream
    assert upstream is not None
    resource = upstream.nested_stack_resource
    assert isinstance(resource, CfnElement)
    assert synth.resources[synth.stack.get_logical_id(resource)]["Type"] == "AWS::CloudFormation::Stack"
