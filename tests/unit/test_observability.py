"""The shared Powertools setup: business events as CloudWatch EMF lines, and the handler decorator."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from govrate.kernel.clock import zone
from govrate.kernel.observability import OBSERVED, BusinessEvent, count, handler, logger
from govrate.regions.calendar import WorkingCalendar


class FakeContext:
    function_name = "govrate-test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:govrate-test"
    aws_request_id = "request-1"


def _emf(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def test_an_event_with_a_breakdown_is_counted_in_total_and_under_its_value(capsys: pytest.CaptureFixture[str]) -> None:
    count(BusinessEvent.EVALUATION_ACCEPTED, breakdown="window_qr")
    total, by_channel = _emf(capsys.readouterr().out)
    for line in (total, by_channel):
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Govrate"
        assert directive["Metrics"] == [{"Name": "EvaluationAccepted", "Unit": "Count"}]
        assert line["EvaluationAccepted"] == [1.0]
    assert total["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert sorted(by_channel["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == ["channel", "service"]
    assert by_channel["channel"] == "window_qr"


def test_an_event_without_a_breakdown_or_with_nothing_to_count(capsys: pytest.CaptureFixture[str]) -> None:
    count(BusinessEvent.CASE_OVERDUE, 0)
    assert _emf(capsys.readouterr().out) == []
    count(BusinessEvent.CASE_OPENED, breakdown="ignored")
    (line,) = _emf(capsys.readouterr().out)
    assert line["CaseOpened"] == [1.0]
    assert "ignored" not in json.dumps(line)


def test_the_handler_decorator_logs_the_events_correlation_id() -> None:
    seen: dict[str, Any] = {}

    @handler(correlation_id_path="id")
    def scheduled(event: dict[str, Any], context: Any) -> str:
        seen["correlation_id"] = logger.get_correlation_id()
        seen["request"] = logger.get_current_keys().get("function_request_id")
        return "done"

    assert getattr(scheduled, OBSERVED) is True
    assert scheduled({"id": "event-42"}, FakeContext()) == "done"
    assert seen == {"correlation_id": "event-42", "request": "request-1"}


def test_working_time_is_office_hours_of_a_working_day() -> None:
    calendar = WorkingCalendar()
    china = zone(8)
    assert calendar.is_working_time(datetime(2025, 9, 30, 10, 0, tzinfo=china))  # a Tuesday
    assert not calendar.is_working_time(datetime(2025, 9, 30, 17, 0, tzinfo=china))
    assert not calendar.is_working_time(datetime(2025, 10, 2, 10, 0, tzinfo=china))  # National Day
    assert calendar.is_working_time(datetime(2025, 10, 11, 10, 0, tzinfo=china))  # an adjusted working Saturday
