"""The evaluation rules of DESIGN §2 on the in-memory stores: what a submission must say, one
evaluation per natural key (a replay is not a conflict), service records and their tickets, the
evaluation period per region, and the one follow-up."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from govrate.evaluations.models import EvaluationAccepted, EvaluationSubmission, FollowUpSubmission, Stage
from govrate.evaluations.service import add_follow_up, evaluation_status, submit_evaluation
from govrate.kernel.clock import zone
from govrate.kernel.contracts import field_errors
from govrate.kernel.errors import Conflict, EvaluationPeriodOver, InvalidInput, NotFound
from govrate.kernel.indicators import ServiceMode
from govrate.kernel.scale import Level
from govrate.records.store import StoredRecord
from pydantic import ValidationError

from tests.fakes.world import FakeWorld

COMPLETED = datetime(2026, 11, 20, 10, 0, tzinfo=zone())
RECORD = "BJ-2026-000001"
GOOD: dict[str, Any] = {
    "item_code": "110105-GA-002",  # accept | approve | deliver
    "agency_code": "110105-GA",
    "region_code": "110105",
    "channel": "window_qr",
    "level": 5,
}
BAD: dict[str, Any] = {**GOOD, "level": 1, "reason_codes": ["attitude"]}


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


def submit(
    world: FakeWorld, body: dict[str, Any], *, now: datetime = COMPLETED, idempotency_key: str | None = None
) -> EvaluationAccepted:
    return submit_evaluation(
        EvaluationSubmission.model_validate(body),
        stores=world.intake,
        now=now,
        tickets=lambda: world.tickets,
        idempotency_key=idempotency_key,
    )


def refused_fields(world: FakeWorld, body: dict[str, Any], *, now: datetime = COMPLETED) -> set[str]:
    """The fields named by the refusal of `body`, whether the contract or the rules refuse it."""
    try:
        submit(world, body, now=now)
    except ValidationError as exc:
        return {error["field"] for error in field_errors(exc)}
    except InvalidInput as exc:
        return {error["field"] for error in exc.errors}
    pytest.fail("the submission was accepted")


def register_record(world: FakeWorld, record_id: str = RECORD) -> None:
    world.records.register(
        StoredRecord(
            record_id=record_id,
            region_code="110105",
            item_code="110105-GA-002",
            item_version=2,
            agency_code="110105-GA",
            window_id="W01",
            stages=(Stage.ACCEPT, Stage.APPROVE, Stage.DELIVER),
            completed_at=COMPLETED,
            contact_cipher=None,
            registered_by="test-platform",
            fingerprint="f",
        )
    )


def of_record(body: dict[str, Any], world: FakeWorld, record_id: str = RECORD, stage: str = "accept") -> dict[str, Any]:
    return {**body, "record_id": record_id, "stage": stage, "ticket": world.tickets.sign("110105", record_id)}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "level": 2}, "reason_codes"),
        ({**GOOD, "reason_codes": ["slow"]}, "reason_codes"),
        ({**BAD, "reason_codes": ["slow", "slow"]}, "reason_codes"),
        ({**GOOD, "indicators": {"platform_usability": 4}}, "indicators.platform_usability"),
        ({**GOOD, "channel": "hotline", "indicators": {"attitude": 4}}, "indicators.attitude"),
        ({**GOOD, "item_code": None}, "item_code"),
        ({**GOOD, "channel": "hotline", "record_id": "BJ-1"}, "record_id"),
        ({**GOOD, "item_version": 9}, "item_version"),
        ({**GOOD, "agency_code": "110105-SJ"}, "agency_code"),
        ({**GOOD, "stage": "approve", "item_code": "110105-GA-001"}, "stage"),
        ({**GOOD, "evaluator": {"consent": True}}, "evaluator"),
        ({**GOOD, "evaluator": {"phone": "13800138000", "consent": False}}, "evaluator.consent"),
        ({**GOOD, "evaluator": {"phone": "12345"}}, "evaluator.phone"),
    ],
)
def test_a_refusal_names_the_offending_field(world: FakeWorld, body: dict[str, Any], field: str) -> None:
    assert field in refused_fields(world, body)
    assert world.evaluations.stored == {}


def test_the_indicators_of_the_mode_and_the_catalogue_version_are_stored(world: FakeWorld) -> None:
    online = {**GOOD, "channel": "web_module", "indicators": {"platform_usability": 3, "convenience": 5}}
    stored = world.evaluations.get(submit(world, online).evaluation_id)
    assert stored.mode is ServiceMode.ONLINE
    assert stored.indicators == {"platform_usability": Level(3), "convenience": Level(5)}
    assert stored.item_version == 2


def test_a_bad_review_is_flagged_with_its_reasons(world: FakeWorld) -> None:
    accepted = submit(world, {**BAD, "reason_codes": ["attitude", "slow"]})
    stored = world.evaluations.get(accepted.evaluation_id)
    assert accepted.bad_review and stored.bad_review
    assert [code.value for code in stored.reason_codes] == ["attitude", "slow"]
    assert not submit(world, GOOD).bad_review


def test_an_agency_is_evaluated_without_an_item_only_if_it_is_in_the_catalogue(world: FakeWorld) -> None:
    accepted = submit(world, {**BAD, "item_code": None, "channel": "hotline"})
    assert world.evaluations.get(accepted.evaluation_id).item_code is None
    assert refused_fields(world, {**BAD, "item_code": None, "channel": "hotline", "agency_code": "999999-XX"}) == {
        "agency_code"
    }
    other_region = {**BAD, "item_code": None, "channel": "hotline", "agency_code": "330106-GA"}
    assert refused_fields(world, other_region) == {"region_code"}


def test_the_contact_is_sealed_for_its_evaluation(world: FakeWorld) -> None:
    contact = {"name": "王女士", "phone": "13800138000", "consent": True}
    accepted = submit(world, {**BAD, "evaluator": contact})
    stored = world.evaluations.get(accepted.evaluation_id)
    assert stored.real_name
    assert stored.contact_cipher is not None
    assert json.loads(world.vault.open(stored.contact_cipher, owner=accepted.evaluation_id)) == contact


def test_the_same_submission_again_is_a_replay_and_a_different_one_a_conflict(world: FakeWorld) -> None:
    first = submit(world, BAD, idempotency_key="kiosk-17")
    again = submit(world, BAD, idempotency_key="kiosk-17")
    # The client's key derives the receipt, so the retry gets the receipt of the original.
    assert (again.evaluation_id, again.replayed, again.receipt) == (first.evaluation_id, True, first.receipt)
    with pytest.raises(Conflict):
        submit(world, GOOD, idempotency_key="kiosk-17")
    assert len(world.evaluations.stored) == 1


def test_what_intake_derives_written_out_on_a_retry_is_a_replay(world: FakeWorld) -> None:
    """The catalogue version (current when none is given), the record's window and the mode the
    channel implies count as given: a retry that writes them out is the same evaluation, and one that
    leaves the version out means the original's, even once the catalogue has moved on."""
    first = submit(world, GOOD, idempotency_key="derived-version")
    written_out = {**GOOD, "item_version": 2, "mode": "onsite"}
    assert submit(world, written_out, idempotency_key="derived-version").evaluation_id == first.evaluation_id
    register_record(world)
    of_window = submit(world, of_record(BAD, world))
    assert submit(world, {**of_record(BAD, world), "window_id": "W01"}).evaluation_id == of_window.evaluation_id
    world.catalogue.put(world.catalogue.get("110105-GA-002").model_copy(update={"version": 3}))
    for body in (GOOD, written_out):
        assert submit(world, body, idempotency_key="derived-version").evaluation_id == first.evaluation_id
    with pytest.raises(Conflict):  # the version it names is not the original's
        submit(world, {**GOOD, "item_version": 3}, idempotency_key="derived-version")
    assert len(world.evaluations.stored) == 2


def test_without_a_natural_key_every_submission_is_a_new_evaluation(world: FakeWorld) -> None:
    assert submit(world, GOOD).evaluation_id != submit(world, GOOD, now=COMPLETED + timedelta(seconds=1)).evaluation_id
    assert len(world.evaluations.stored) == 2


def test_one_evaluation_per_record_and_stage(world: FakeWorld) -> None:
    register_record(world)
    accept = of_record(BAD, world)
    first = submit(world, accept)
    replay = submit(world, accept)
    assert (replay.evaluation_id, replay.receipt) == (first.evaluation_id, None)  # no key derives it
    with pytest.raises(Conflict):
        submit(world, {**accept, "level": 5, "reason_codes": []})
    deliver = submit(world, of_record(GOOD, world, stage="deliver"))
    assert not deliver.replayed
    assert len(world.evaluations.stored) == 2


def test_an_evaluation_must_match_its_record(world: FakeWorld) -> None:
    register_record(world)
    assert refused_fields(world, of_record(BAD, world, record_id="BJ-UNKNOWN")) == {"record_id"}
    assert "item_code" in refused_fields(world, {**of_record(BAD, world), "item_code": "110105-GA-001"})


def test_a_record_is_rated_only_with_its_own_ticket(world: FakeWorld) -> None:
    register_record(world)
    register_record(world, "BJ-2026-000002")
    without = {**BAD, "record_id": RECORD, "stage": "accept"}
    assert refused_fields(world, without) == {"ticket"}
    assert refused_fields(world, {**without, "ticket": f"110105.{RECORD}.forgedforgedforgedfo"}) == {"ticket"}
    assert refused_fields(world, {**without, "ticket": world.tickets.sign("110105", "BJ-2026-000002")}) == {"ticket"}
    assert not submit(world, of_record(BAD, world)).replayed


def test_a_trusted_submitter_needs_no_ticket(world: FakeWorld) -> None:
    register_record(world)
    submission = EvaluationSubmission.model_validate({**BAD, "record_id": RECORD, "stage": "accept"})
    accepted = submit_evaluation(submission, stores=world.intake, now=COMPLETED, tickets=None, submitted_by="platform")
    assert world.evaluations.get(accepted.evaluation_id).submitted_by == "platform"


def test_the_evaluation_period_is_the_region_s(world: FakeWorld) -> None:
    register_record(world)
    late = COMPLETED + timedelta(days=7, minutes=1)
    with pytest.raises(EvaluationPeriodOver) as over:
        submit(world, of_record(BAD, world), now=late)
    assert [error["field"] for error in over.value.errors] == ["record_id"]
    assert not submit(world, of_record(BAD, world), now=COMPLETED + timedelta(days=7)).replayed
    world.rules.set("110105", '{"evaluation": {"evaluation_days": 10}}')
    assert not submit(world, of_record(BAD, world, stage="deliver"), now=late).replayed


def test_one_follow_up_within_the_period_the_original_untouched(world: FakeWorld) -> None:
    accepted = submit(world, {**BAD, "comment": "窗口态度差"})
    assert accepted.receipt is not None
    original = world.evaluations.get(accepted.evaluation_id)
    follow_up = FollowUpSubmission(receipt=accepted.receipt, comment="后来工作人员主动联系并解决了", level=Level(4))
    within = COMPLETED + timedelta(days=29)
    add_follow_up(accepted.evaluation_id, follow_up, stores=world.intake, follow_ups=world.follow_ups, now=within)
    with pytest.raises(Conflict):
        add_follow_up(accepted.evaluation_id, follow_up, stores=world.intake, follow_ups=world.follow_ups, now=within)
    status = evaluation_status(
        accepted.evaluation_id,
        accepted.receipt,
        evaluations=world.evaluations,
        cases=world.cases,
        follow_ups=world.follow_ups,
    )
    assert status.follow_up is not None and status.follow_up.level == 4
    assert status.level == 1
    assert world.evaluations.get(accepted.evaluation_id) == original


def test_a_follow_up_needs_the_receipt_and_the_period(world: FakeWorld) -> None:
    accepted = submit(world, BAD)
    assert accepted.receipt is not None
    with pytest.raises(NotFound):
        add_follow_up(
            accepted.evaluation_id,
            FollowUpSubmission(receipt="not-the-receipt", comment="x"),
            stores=world.intake,
            follow_ups=world.follow_ups,
            now=COMPLETED,
        )
    with pytest.raises(InvalidInput):
        add_follow_up(
            accepted.evaluation_id,
            FollowUpSubmission(receipt=accepted.receipt, comment="x"),
            stores=world.intake,
            follow_ups=world.follow_ups,
            now=COMPLETED + timedelta(days=30, seconds=1),
        )
    world.rules.set("110105", '{"evaluation": {"follow_up_days": 60}}')
    add_follow_up(
        accepted.evaluation_id,
        FollowUpSubmission(receipt=accepted.receipt, comment="x"),
        stores=world.intake,
        follow_ups=world.follow_ups,
        now=COMPLETED + timedelta(days=30, seconds=1),
    )
    assert world.follow_ups.get(accepted.evaluation_id).comment == "x"
