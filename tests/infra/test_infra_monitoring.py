"""Alarms for dead letters, relay lag, function errors and API 5xx, all to the alarm topic."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synthesized


def _alarms(synth: Synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()]


def _dimension_refs(alarm: dict[str, Any]) -> list[Any]:
    return [d["Value"] for d in alarm.get("Dimensions", [])]


def test_every_alarm_notifies_the_encrypted_topic(synth: Synthesized) -> None:
    topic_id, topic = synth.one("AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    for alarm in _alarms(synth):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]


def test_both_dead_letter_queues_alarm_on_the_first_message(synth: Synthesized) -> None:
    for queue in synth.stack.pipeline.dead_letter_queues:
        queue_name = {"Fn::GetAtt": [synth.logical_id(queue), "QueueName"]}
        (alarm,) = [a for a in _alarms(synth) if queue_name in _dimension_refs(a)]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


def test_relay_iterator_age_and_every_function_error_alarm(synth: Synthesized) -> None:
    relay_id, _ = synth.function("relay.handler")
    assert any(a["MetricName"] == "IteratorAge" and {"Ref": relay_id} in _dimension_refs(a) for a in _alarms(synth))
    for function_id in synth.of_type("AWS::Lambda::Function"):
        assert any(a["MetricName"] == "Errors" and {"Ref": function_id} in _dimension_refs(a) for a in _alarms(synth))


def test_api_server_errors_alarm(synth: Synthesized) -> None:
    assert any(a["MetricName"] == "5XXError" and a["Namespace"] == "AWS/ApiGateway" for a in _alarms(synth))
