"""What the integrity watcher reads from the streams: new evaluations, new service records (with the
time the stream saw them registered) and overdue escalations; nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from govrate.integrity.patterns import Pattern
from govrate.integrity.stream import observed
from govrate.integrity.watch import ObservedEscalation, ObservedEvaluation, ObservedRecord
from govrate.kernel.scale import Level

_serializer = TypeSerializer()
SEEN_AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def image(**attributes: Any) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in attributes.items()}


def test_a_new_evaluation_with_what_intake_saw() -> None:
    seen = observed(
        "INSERT",
        {
            **image(
                pk="EVAL#01JDQ4W7N0000000000000000",
                entity="evaluation",
                evaluation_id="01JDQ4W7N0000000000000000",
                region_code="110105",
                agency_code="110105-GA",
                item_code="110105-GA-001",
                window_id="W01",
                level=5,
                created_at="2026-11-24T09:00:00+08:00",
                client_key="c" * 32,
                intake_flags=["staff_network"],
                staff_network="hall staff LAN",
            ),
            "contact_cipher": {"B": "AQIDBA=="},  # Lambda's base64 text: never read
        },
        SEEN_AT,
    )
    assert isinstance(seen, ObservedEvaluation)
    assert (seen.level, seen.window_id, seen.intake_flags) == (Level.VERY_SATISFIED, "W01", (Pattern.STAFF_NETWORK,))


def test_a_new_service_record_is_registered_when_the_stream_saw_it() -> None:
    seen = observed(
        "INSERT",
        image(
            pk="RECORD#110105#BJ-1",
            entity="service_record",
            record_id="BJ-1",
            region_code="110105",
            agency_code="110105-GA",
            completed_at="2026-11-17T12:00:00+08:00",
        ),
        SEEN_AT,
    )
    assert isinstance(seen, ObservedRecord)
    assert seen.registered_at == SEEN_AT


def test_an_overdue_escalation_and_nothing_else_of_the_cases_table() -> None:
    audit = image(
        pk="CASE#01JDQ4W7N0000000000000000",
        sk="AUDIT#000004",
        evaluation_id="01JDQ4W7N0000000000000000",
        action="escalate_overdue",
        at="2026-11-26T00:15:00+08:00",
    )
    assert observed("INSERT", audit, SEEN_AT) == ObservedEscalation(
        "01JDQ4W7N0000000000000000", datetime.fromisoformat("2026-11-26T00:15:00+08:00")
    )
    assert observed("INSERT", {**audit, **image(action="contact")}, SEEN_AT) is None
    assert observed("MODIFY", audit, SEEN_AT) is None
    assert observed("INSERT", image(pk="GUARD#x", entity="guard"), SEEN_AT) is None
