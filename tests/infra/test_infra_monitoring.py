"""Alarms, each to the alarm topic with its runbook entry, and the operators' dashboard."""

from __future__ import annotations

import json
import re
from typing import Any

from govrate.kernel.observability import BusinessEvent

from infra.bundling import REPO_ROOT
from infra.components.monitoring import RUNBOOK, RUNBOOKS
from tests.infra.conftest import Synthesized

OPERATIONS = REPO_ROOT / "docs" / "operations.md"


def _alarms(synth: Synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()]


def _dimension_refs(alarm: dict[str, Any]) -> list[Any]:
    return [d["Value"] for d in alarm.get("Dimensions", [])]


def _metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in alarm.get("Metrics", []) if "MetricStat" in m}


def test_every_alarm_notifies_the_encrypted_topic_and_names_its_runbook(synth: Synthesized) -> None:
    topic_id = synth.logical_id(synth.stack.monitoring.topic)
    assert "KmsMasterKeyId" in synth.nested_resources[topic_id]["Properties"]
    anchors = _anchors()
    for alarm in _alarms(synth):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
        (anchor,) = re.findall(re.escape(RUNBOOK) + r"([a-z0-9-]+)", json.dumps(alarm["AlarmDescription"]))
        assert anchor in anchors, anchor


def test_alarms_and_dashboard_are_a_nested_stack_of_their_own(synth: Synthesized) -> None:
    for resource_type in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"):
        assert not [r for r in synth.resources.values() if r["Type"] == resource_type], resource_type
    assert len(synth.of_type("AWS::CloudWatch::Alarm")) > 2 * len(synth.of_type("AWS::Lambda::Function"))


def test_every_runbook_entry_is_written(synth: Synthesized) -> None:
    assert {runbook.anchor for runbook in RUNBOOKS} <= _anchors()


def _anchors() -> set[str]:
    """The anchors docs/operations.md declares (`<a id="…">` before a heading)."""
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', OPERATIONS.read_text(encoding="utf-8")))


def test_dead_letter_queues_alarm_on_the_first_message(synth: Synthesized) -> None:
    for queue in synth.stack.pipeline.dead_letter_queues:
        queue_name = {"Fn::GetAtt": [synth.logical_id(queue), "QueueName"]}
        (alarm,) = [a for a in _alarms(synth) if queue_name in _dimension_refs(a)]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


def test_relay_iterator_age_and_every_function_errors_and_throttles(synth: Synthesized) -> None:
    relay_id, _ = synth.function("relay.handler")
    assert any(a["MetricName"] == "IteratorAge" and {"Ref": relay_id} in _dimension_refs(a) for a in _alarms(synth))
    for function_id in synth.of_type("AWS::Lambda::Function"):
        for metric in ("Errors", "Throttles"):
            assert any(
                a.get("MetricName") == metric and {"Ref": function_id} in _dimension_refs(a) for a in _alarms(synth)
            ), (function_id, metric)


def test_api_5xx_rate_and_p99_latency_from_context(synth: Synthesized) -> None:
    api = [a for a in _alarms(synth) if a.get("Namespace") == "AWS/ApiGateway"]
    (rate,) = [a for a in api if a["MetricName"] == "5XXError"]
    assert (rate["Statistic"], rate["Threshold"]) == ("Average", 0.01)
    (latency,) = [a for a in api if a["MetricName"] == "Latency"]
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p99", 3000)


def test_business_alarms_on_overdue_cases_and_quiet_working_hours(synth: Synthesized) -> None:
    alarms = _alarms(synth)
    (overdue,) = [a for a in alarms if _metric_names(a) == {BusinessEvent.CASE_OVERDUE.value}]
    assert overdue["Namespace"] == "Govrate"
    (quiet,) = [a for a in alarms if _metric_names(a) == {"WorkingTime", BusinessEvent.EVALUATION_ACCEPTED.value}]
    (expression,) = [m["Expression"] for m in quiet["Metrics"] if "Expression" in m]
    assert "FILL(accepted, 0) == 0" in expression
    periods = {m["MetricStat"]["Period"] for m in quiet["Metrics"] if "MetricStat" in m}
    assert periods == {3 * 3600}


def test_the_dashboard_shows_business_events_and_technical_signals(synth: Synthesized) -> None:
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for event in BusinessEvent:
        assert event.value in body, event
    for signal in ("5XXError", "Latency", "Throttles", "IteratorAge", "ApproximateNumberOfMessagesVisible"):
        assert signal in body, signal
    assert "BlockedRequests" in body


def test_the_main_stack_gives_the_alarm_topics_arn_as_an_output(synth: Synthesized) -> None:
    output = synth.document["Outputs"]["AlarmTopicArn"]
    (nested_id,) = [
        logical_id
        for logical_id, resource in synth.resources.items()
        if resource["Type"] == "AWS::CloudFormation::Stack" and "Monitoring" in logical_id
    ]
    assert output["Value"]["Fn::GetAtt"][0] == nested_id
    assert output["Value"]["Fn::GetAtt"][1].startswith("Outputs.")
