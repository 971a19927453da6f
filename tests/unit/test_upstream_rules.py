"""The upstream relay on in-memory stores: what crosses a level and what never does, the order of a
case's states, and that the upstream takes each evaluation once and each case state only when newer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from govrate.evaluations.models import EvaluationSubmission, ServiceRecordRegistration
from govrate.evaluations.outbox import StreamChange, negative_review_from_stream
from govrate.integrity.stream import observed
from govrate.kernel.errors import Forbidden
from govrate.kernel.ids import new_id
from govrate.platforms.outcomes import platform_outcome
from govrate.platforms.registry import PlatformKey
from govrate.platforms.service import register_platform_record, submit_platform_batch, submit_platform_evaluation
from govrate.records.service import SignedTicketLinks
from govrate.upstream.models import (
    RelayBatch,
    RelayedCaseState,
    RelayedEvaluation,
    UpstreamMessage,
)
from govrate.upstream.outbox import relay_upstream, upstream_message
from govrate.upstream.service import Delivery, UpstreamFailed, send_upstream
from pydantic import ValidationError

from tests.fakes.upstream import InMemoryCaseStates, InMemoryDeadLetters, InMemoryFifoQueue, InMemoryUpstream
from tests.fakes.world import FakeWorld

_serializer = TypeSerializer()
AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PROVINCE = PlatformKey(platform_id="sichuan-province", regions=("510000",), secret_arn="arn:secret", downstream=True)

# What an evaluation item holds that must never leave its region.
PERSONAL = {
    "contact_cipher": {"B": "AQIDBA=="},  # as Lambda hands binaries over: base64 text
    "comment": "王女士 13800138000 排队太久",
    "receipt_hash": "9f2c…",
    "client_key": "c0ffee",
    "staff_network": "window-lan",
    "fingerprint": "abc",
}


def _image(**attributes: Any) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in attributes.items() if value is not None}


def evaluation_image(evaluation_id: str, *, level: int = 1, **overrides: Any) -> dict[str, Any]:
    attributes = {
        "pk": f"EVAL#{evaluation_id}",
        "entity": "evaluation",
        "evaluation_id": evaluation_id,
        "item_code": "510104-GA-001",
        "item_version": 2,
        "agency_code": "510104-GA",
        "region_code": "510104",
        "channel": "window_device",
        "stage": "overall",
        "level": level,
        "bad_review": level <= 2,
        "mode": "onsite",
        "indicators": {"attitude": 1, "efficiency": 2},
        "reason_codes": ["attitude", "slow"],
        "record_id": "SC-2026-000123",
        "window_id": "510104-W01",
        "real_name": True,
        "system_given": False,
        "evaluator_kind": "citizen",
        "created_at": AT.isoformat(),
        "day_shard": "20261125#003",
        **overrides,
    }
    image = _image(**attributes)
    return {**image, **{k: (v if isinstance(v, dict) else _serializer.serialize(v)) for k, v in PERSONAL.items()}}


def case_image(case_id: str, version: int, state: str, *, sk: str = "CASE", event: str = "MODIFY") -> StreamChange:
    attributes = {
        "pk": f"CASE#{case_id}",
        "sk": sk,
        "evaluation_id": case_id,
        "kind": "bad_review",
        "agency_code": "510104-GA",
        "region_code": "510104",
        "item_code": "510104-GA-001",
        "level": 1,
        "state": state,
        "audit_count": version,
        "opened_at": AT.isoformat(),
        "evaluated_at": AT.isoformat(),
        "real_name": True,
        "verify_due_at": (AT + timedelta(days=1)).isoformat(),
        "answer_due_at": (AT + timedelta(days=21)).isoformat(),
        "answer": "已致电王女士并道歉",
        "note": "13800138000",
        "answered_at": (AT + timedelta(days=2)).isoformat() if state == "answered" else None,
        "answered_within_deadline": True if state == "answered" else None,
        "visited_and_rectified": False,
        "excluded_from_rates": False,
        "reopen_count": 0,
        "open_agency": "510104-GA",
        "rate_day_shard": "20261125#003",
    }
    return StreamChange(f"{case_id}-{version}", event, _image(**attributes))


def inserted(evaluation_id: str, **overrides: Any) -> StreamChange:
    return StreamChange(f"{evaluation_id}-0", "INSERT", evaluation_image(evaluation_id, **overrides))


def test_an_evaluation_crosses_as_its_facts_and_never_its_evaluator() -> None:
    evaluation_id = new_id(AT)
    message = upstream_message(inserted(evaluation_id))
    assert message is not None
    assert message.evaluation is not None
    crossed = message.evaluation.model_dump(mode="json")
    assert crossed == {
        "evaluation_id": evaluation_id,
        "item_code": "510104-GA-001",
        "item_version": 2,
        "agency_code": "510104-GA",
        "region_code": "510104",
        "applied_region_code": None,
        "channel": "window_device",
        "stage": "overall",
        "level": 1,
        "mode": "onsite",
        "indicators": {"attitude": 1, "efficiency": 2},
        "reason_codes": ["attitude", "slow"],
        "record_id": "SC-2026-000123",
        "window_id": "510104-W01",
        "real_name": True,
        "system_given": False,
        "evaluator_kind": "citizen",
        "created_at": "2026-11-25T09:30:00Z",
    }
    wire = message.model_dump_json()
    for value in ("王女士", "13800138000", "AQIDBA", "c0ffee", "window-lan", "9f2c"):
        assert value not in wire


def test_the_contract_itself_has_no_field_for_personal_data() -> None:
    personal = {"contact", "contact_cipher", "comment", "receipt_hash", "client_key", "staff_network", "answer", "note"}
    assert not personal & set(RelayedEvaluation.model_fields)
    assert not personal & set(RelayedCaseState.model_fields)


def test_every_change_of_a_case_crosses_as_its_state_at_its_version_without_the_answer() -> None:
    case_id = new_id(AT)
    message = upstream_message(case_image(case_id, 4, "answered"))
    assert message is not None
    assert message.case_state is not None
    state = message.case_state
    assert (state.case_id, state.version, state.state.value, state.answered_within_deadline) == (
        case_id,
        4,
        "answered",
        True,
    )
    assert "已致电" not in message.model_dump_json()
    assert "13800138000" not in message.model_dump_json()
    # What a downstream relayed is passed on alike: a province relays its cities' cases to the nation.
    relayed = upstream_message(case_image(case_id, 5, "closed", sk="RELAYED"))
    assert relayed is not None
    assert relayed.case_state is not None
    assert relayed.case_state.version == 5


def test_notices_audit_entries_guards_and_removals_do_not_cross() -> None:
    case_id = new_id(AT)
    assert upstream_message(case_image(case_id, 1, "received", sk="NOTICE#000001", event="INSERT")) is None
    assert upstream_message(case_image(case_id, 1, "received", sk="AUDIT#000001", event="INSERT")) is None
    assert upstream_message(StreamChange("1", "INSERT", _image(pk="GUARD#x", entity="guard"))) is None
    assert upstream_message(StreamChange("2", "REMOVE", None)) is None
    # An evaluation is relayed when it is inserted; it is never changed afterwards.
    assert upstream_message(StreamChange("3", "MODIFY", evaluation_image(new_id(AT)))) is None


def test_an_evaluation_and_its_case_share_a_group_and_each_version_is_its_own_message() -> None:
    case_id = new_id(AT)
    evaluation = upstream_message(inserted(case_id))
    received, answered = (upstream_message(case_image(case_id, v, s)) for v, s in ((1, "received"), (6, "answered")))
    assert evaluation is not None
    assert received is not None
    assert answered is not None
    assert evaluation.group_id == received.group_id == answered.group_id == case_id
    assert len({evaluation.deduplication_id, received.deduplication_id, answered.deduplication_id}) == 3


def test_the_relay_publishes_in_stream_order_and_fails_every_record_from_the_first_unpublished() -> None:
    case_id = new_id(AT)
    changes = [
        inserted(case_id),
        StreamChange("guard", "INSERT", _image(pk="GUARD#x", entity="guard")),
        case_image(case_id, 1, "received", event="INSERT"),
        case_image(case_id, 2, "contacted"),
        case_image(case_id, 3, "verified"),
    ]
    queue = InMemoryFifoQueue(fail_from=2)
    published, failed = relay_upstream(changes, queue)
    assert list(published) == [f"{case_id}-0", f"{case_id}-1"]
    assert list(failed) == [f"{case_id}-2", f"{case_id}-3"]
    # The stream delivers the batch again from the first failure: nothing is doubled, nothing overtaken.
    queue.fail_from = None
    published, failed = relay_upstream(changes[2:], queue)
    assert not failed
    assert [m.deduplication_id for m in queue.messages] == [
        f"evaluation-{case_id}",
        f"case-{case_id}-1",
        f"case-{case_id}-2",
        f"case-{case_id}-3",
    ]


def _deliveries(messages: list[UpstreamMessage]) -> list[Delivery]:
    return [Delivery(f"m{index}", message) for index, message in enumerate(messages)]


def _relayed(*changes: StreamChange) -> list[UpstreamMessage]:
    queue = InMemoryFifoQueue()
    relay_upstream(list(changes), queue)
    return [UpstreamMessage.model_validate_json(m.model_dump_json()) for m in queue.messages]


def test_while_the_upstream_is_down_nothing_is_settled_and_afterwards_everything_arrives_once() -> None:
    upstream = InMemoryUpstream(PROVINCE, down=True)
    dead_letters = InMemoryDeadLetters()
    ids = [new_id(AT + timedelta(seconds=i)) for i in range(3)]
    messages = _relayed(*(inserted(i) for i in ids))
    with pytest.raises(UpstreamFailed):
        send_upstream(_deliveries(messages), upstream=upstream, dead_letters=dead_letters)
    assert not upstream.evaluations.stored
    upstream.down = False
    report = send_upstream(_deliveries(messages), upstream=upstream, dead_letters=dead_letters)
    assert report.delivered == ["m0", "m1", "m2"]
    # A redelivery (the batch was sent but its deletion failed) is a duplicate upstream, not a second vote.
    again = send_upstream(_deliveries(messages), upstream=upstream, dead_letters=dead_letters)
    assert again.counts() == {"stored": 0, "duplicate": 3, "stale": 0, "rejected": 0}
    assert sorted(upstream.evaluations.stored) == sorted(ids)
    stored = upstream.evaluations.stored[ids[0]]
    assert (stored.relayed_by, stored.submitted_by, stored.comment, stored.contact_cipher) == (
        "sichuan-province",
        "sichuan-province",
        None,
        None,
    )
    assert stored.real_name is True
    assert not dead_letters.messages


def test_the_upstream_keeps_a_case_state_only_when_it_is_newer() -> None:
    upstream = InMemoryUpstream(PROVINCE)
    case_id = new_id(AT)
    newer, older = _relayed(case_image(case_id, 5, "answered"), case_image(case_id, 3, "verified"))
    report = send_upstream(_deliveries([newer, older]), upstream=upstream, dead_letters=InMemoryDeadLetters())
    assert report.delivered == ["m0", "m1"]
    assert report.counts() == {"stored": 1, "duplicate": 0, "stale": 1, "rejected": 0}
    assert upstream.case_states.kept[case_id][0].version == 5
    assert upstream.case_states.applied == [(case_id, 5)]


def test_an_item_of_a_region_not_the_downstreams_goes_to_the_dead_letters_and_the_rest_on() -> None:
    upstream = InMemoryUpstream(PROVINCE)
    dead_letters = InMemoryDeadLetters()
    ours, theirs = new_id(AT), new_id(AT + timedelta(seconds=1))
    messages = _relayed(inserted(ours), inserted(theirs, region_code="440300", agency_code="440300-GA"))
    report = send_upstream(_deliveries(messages), upstream=upstream, dead_letters=dead_letters)
    assert report.delivered == ["m0"]
    assert report.dead_lettered["m1"].problem.status == 403
    assert report.dead_lettered["m1"].problem.errors[0].field == "evaluations.region_code"
    assert report.dead_lettered["m1"].item == f"evaluation {theirs}"
    assert report.counts() == {"stored": 1, "duplicate": 0, "stale": 0, "rejected": 1}
    assert [m.evaluation.evaluation_id for m in dead_letters.messages if m.evaluation] == [theirs]
    assert list(upstream.evaluations.stored) == [ours]


def test_a_relayed_bad_review_opens_no_case_and_is_not_watched_upstream() -> None:
    image = evaluation_image(new_id(AT), relayed_by="chengdu-city")
    assert negative_review_from_stream("INSERT", image) is None
    assert observed("INSERT", image, AT) is None
    # Its own stage's bad review still does.
    assert negative_review_from_stream("INSERT", evaluation_image(new_id(AT))) is not None


def test_an_evaluation_without_a_service_item_or_record_crosses_too() -> None:
    evaluation_id = new_id(AT)
    image = {
        key: value
        for key, value in evaluation_image(evaluation_id, channel="hotline").items()
        if key not in ("item_code", "item_version", "record_id", "window_id", "mode", "indicators")
    }
    message = upstream_message(StreamChange("1", "INSERT", image))
    assert message is not None
    assert message.evaluation is not None
    assert (message.evaluation.item_code, message.evaluation.record_id) == (None, None)


def test_a_trans_regional_evaluation_crosses_with_both_regions_and_is_taken_for_either() -> None:
    """Handled in Guangdong but applied for in Sichuan: the Sichuan stage took it, and so does its upstream,
    with its case's states; an item of neither region is still refused."""
    upstream = InMemoryUpstream(PROVINCE)
    dead_letters = InMemoryDeadLetters()
    applied_here, neither = new_id(AT), new_id(AT + timedelta(seconds=1))
    elsewhere = {"region_code": "440300", "agency_code": "440300-GA"}
    case = case_image(applied_here, 2, "answered")
    assert case.new_image is not None
    case_change = StreamChange(
        case.sequence_number,
        case.event_name,
        {**case.new_image, **_image(**elsewhere, applied_region_code="510104")},
    )
    messages = _relayed(
        inserted(applied_here, applied_region_code="510104", **elsewhere),
        case_change,
        inserted(neither, applied_region_code="450100", **elsewhere),
    )
    first = messages[0].evaluation
    assert first is not None
    assert (first.region_code, first.applied_region_code) == ("440300", "510104")
    report = send_upstream(_deliveries(messages), upstream=upstream, dead_letters=dead_letters)
    assert report.counts() == {"stored": 2, "duplicate": 0, "stale": 0, "rejected": 1}
    assert upstream.evaluations.stored[applied_here].applied_region_code == "510104"
    assert upstream.case_states.kept[applied_here][0].applied_region_code == "510104"
    assert [refused.item for refused in report.dead_lettered.values()] == [f"evaluation {neither}"]


def test_only_a_downstream_stage_relays() -> None:
    """A regional platform of the same regions may not relay: the whole batch is refused, nothing stored."""
    platform = PlatformKey(platform_id="sichuan-gov", regions=("510000",), secret_arn="arn:secret")
    upstream = InMemoryUpstream(platform)
    messages = _relayed(inserted(new_id(AT)), case_image(new_id(AT), 99, "answered"))
    with pytest.raises(Forbidden, match="not registered as a downstream"):
        upstream.post(RelayBatch.of(messages))
    assert not upstream.evaluations.stored
    assert not upstream.case_states.kept


def test_a_downstream_stage_relays_instead_of_posting_and_reads_its_regions_outcomes() -> None:
    """What a stage took opens its case at the stage: posted here as a platform's, it would open a second."""
    world = FakeWorld()
    beijing_stage = PlatformKey(platform_id="beijing", regions=("110000",), secret_arn="arn:stage", downstream=True)
    beijing_gov = PlatformKey(platform_id="beijing-gov", regions=("110000",), secret_arn="arn:gov")
    where = {"item_code": "110105-GA-002", "agency_code": "110105-GA", "region_code": "110105"}
    submission = EvaluationSubmission.model_validate(
        {**where, "channel": "window_device", "level": 4, "external_id": "EXT-0001"}
    )
    registration = ServiceRecordRegistration.model_validate(
        {**where, "record_id": "BJ-2026-000123", "completed_at": AT.isoformat()}
    )
    tickets = SignedTicketLinks(world.tickets, "https://govrate.example")
    refused = "beijing is a downstream Govrate stage"
    with pytest.raises(Forbidden, match=refused):
        submit_platform_evaluation(submission, platform=beijing_stage, stores=world.intake, now=AT)
    with pytest.raises(Forbidden, match=refused):
        submit_platform_batch([submission], platform=beijing_stage, stores=world.intake, now=AT)
    with pytest.raises(Forbidden, match=refused):
        register_platform_record(registration, platform=beijing_stage, stores=world.intake, tickets=tickets)
    accepted = submit_platform_evaluation(submission, platform=beijing_gov, stores=world.intake, now=AT)
    shown = platform_outcome(
        accepted.evaluation_id,
        platform=beijing_stage,
        evaluations=world.evaluations,
        cases=world.cases,
        follow_ups=world.follow_ups,
        relayed_cases=InMemoryCaseStates(),
    )
    assert shown.evaluation_id == accepted.evaluation_id


def test_an_id_beyond_128_bits_is_no_ulid_and_is_refused_as_input() -> None:
    with pytest.raises(ValidationError, match="evaluation_id"):
        RelayedEvaluation.model_validate(
            {
                "evaluation_id": "8" + "0" * 25,
                "agency_code": "510104-GA",
                "region_code": "510104",
                "channel": "window_device",
                "stage": "overall",
                "level": 3,
                "real_name": False,
                "created_at": AT.isoformat(),
            }
        )


def test_a_relayed_evaluation_names_only_indicators_of_its_set() -> None:
    facts = {
        "evaluation_id": "01KAXB2N6Q3V9T0ZJ4W8R5M7C1",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "channel": "hotline",
        "stage": "overall",
        "level": 4,
        "real_name": False,
        "created_at": "2026-11-25T20:09:06+08:00",
    }
    assert RelayedEvaluation.model_validate({**facts, "mode": "onsite", "indicators": {"attitude": 4}}).indicators
    for mode, indicators in ((None, {"\ud8a9": 3}), ("online", {"attitude": 4})):
        with pytest.raises(ValidationError) as refused:
            RelayedEvaluation.model_validate({**facts, "mode": mode, "indicators": indicators})
        assert refused.value.errors()[0]["loc"] == ("indicators",)
