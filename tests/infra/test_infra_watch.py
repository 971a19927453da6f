"""The integrity watcher: one function on both streams (the second consumer of each, beside the relay),
with bisection, partial failures and an on-failure queue; the supervisor alert topic; least privilege."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from infra.config import GovrateConfig
from tests.infra.conftest import Synthesized


def _mappings(synth: Synthesized, handler: str) -> dict[str, dict[str, Any]]:
    function_id, _ = synth.function(handler)
    return {
        m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]: m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    }


def test_the_watcher_reads_both_streams_batch_safe(synth: Synthesized) -> None:
    mappings = _mappings(synth, "integrity_watch.handler")
    evaluations, cases = synth.logical_id(synth.stack.data.evaluations), synth.logical_id(synth.stack.data.cases)
    assert set(mappings) == {evaluations, cases}
    failures = {"Fn::GetAtt": [synth.logical_id(synth.stack.watch.failures), "Arn"]}
    for mapping in mappings.values():
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["MaximumRecordAgeInSeconds"] == 20 * 3600
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == failures
    (new_evaluations,) = [json.loads(f["Pattern"]) for f in mappings[evaluations]["FilterCriteria"]["Filters"]]
    assert new_evaluations == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"entity": {"S": ["evaluation", "service_record"]}}},
    }
    (escalations,) = [json.loads(f["Pattern"]) for f in mappings[cases]["FilterCriteria"]["Filters"]]
    assert escalations == {
        "eventName": ["INSERT"],
        "dynamodb": {
            "Keys": {"sk": {"S": [{"prefix": "AUDIT#"}]}},
            "NewImage": {"action": {"S": ["escalate_overdue"]}},
        },
    }


def test_no_stream_has_more_than_two_lambda_consumers(synth: Synthesized) -> None:
    consumers: dict[str, set[str]] = {}
    for mapping in synth.of_type("AWS::Lambda::EventSourceMapping").values():
        source = mapping["Properties"]["EventSourceArn"]
        if "StreamArn" in json.dumps(source):
            consumers.setdefault(source["Fn::GetAtt"][0], set()).add(mapping["Properties"]["FunctionName"]["Ref"])
    assert consumers and all(len(functions) <= 2 for functions in consumers.values())


def test_the_alert_topic_is_encrypted_and_named_to_the_watcher(synth: Synthesized) -> None:
    topic_id = synth.logical_id(synth.stack.watch.topic)
    assert "KmsMasterKeyId" in synth.resources[topic_id]["Properties"]
    _, watcher = synth.function("integrity_watch.handler")
    assert watcher["Environment"]["Variables"]["GOVRATE_SUPERVISOR_ALERT_TOPIC_ARN"] == {"Ref": topic_id}


def _statements(synth: Synthesized, handler: str) -> list[dict[str, Any]]:
    _, function = synth.function(handler)
    role = function["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def test_the_watcher_may_publish_and_touch_only_its_own_items(synth: Synthesized) -> None:
    statements = _statements(synth, "integrity_watch.handler")
    topic_id = synth.logical_id(synth.stack.watch.topic)
    assert any(_actions(s) == {"sns:Publish"} and s["Resource"] == {"Ref": topic_id} for s in statements)
    reference = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.reference), "Arn"]}
    on_reference = [s for s in statements if s.get("Resource") == reference]
    writes = [s for s in on_reference if "dynamodb:PutItem" in _actions(s)]
    assert writes and all(
        s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        == ["SERIES#*", "FLAGS#*", "FLAGGED#*", "ALERT#*"]
        for s in writes
    )
    cases = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.cases), "Arn"]}
    assert [_actions(s) for s in statements if s.get("Resource") == cases] == [{"dynamodb:GetItem"}]


def test_the_analyze_job_reads_the_flag_marks_only(synth: Synthesized) -> None:
    reference = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.reference), "Arn"]}
    (statement,) = [s for s in _statements(synth, "analyze_job.handler") if s.get("Resource") == reference]
    assert _actions(statement) == {"dynamodb:Query"}
    assert statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["FLAGGED#*"]


def test_integrity_settings_come_from_context_per_region() -> None:
    app = App(
        context={
            "govrate:integrity": {
                "watch_top_burst_per_window": 12,
                "staff_networks": {"hall staff LAN": ["10.20.0.0/16"]},
            }
        }
    )
    config = GovrateConfig.from_context(app.node)
    assert config.integrity == {
        "GOVRATE_STAFF_NETWORKS": '{"hall staff LAN": ["10.20.0.0/16"]}',
        "GOVRATE_WATCH_TOP_BURST_PER_WINDOW": "12",
    }
    for wrong in (
        {"limit_per_client_per_hour": 5},
        {"watch_top_burst_per_window": 1},
        {"staff_networks": {"x": ["nope"]}},
    ):
        with pytest.raises(ValueError, match=r"integrity|validation"):
            GovrateConfig.from_context(App(context={"govrate:integrity": wrong}).node)


def test_the_alert_topics_arn_is_a_stack_output_for_the_supervisors_subscriptions(synth: Synthesized) -> None:
    topic_id = synth.logical_id(synth.stack.watch.topic)
    outputs = synth.document["Outputs"]
    (output_id,) = [key for key, output in outputs.items() if output["Value"] == {"Ref": topic_id}]
    assert output_id.startswith("WatchSupervisorAlertTopicArn")
