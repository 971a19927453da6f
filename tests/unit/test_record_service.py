"""Service records on the in-memory stores: registration against the catalogue (a replay returns the
same ticket, a different record under a taken id is a conflict), the sealed applicant contact, the
region's evaluation period, and the daily sweep (one invitation, default ratings of unrated stages)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from govrate.evaluations.models import (
    Channel,
    EvaluationSubmission,
    ServiceRecordRegistered,
    ServiceRecordRegistration,
    Stage,
)
from govrate.evaluations.service import submit_evaluation
from govrate.kernel.clock import zone
from govrate.kernel.errors import Conflict, InvalidInput, StorageUnavailable
from govrate.kernel.scale import Level
from govrate.records.service import SignedTicketLinks, register_record
from govrate.records.sweep import sweep_unrated_records
from govrate.regions.rules import EvaluationPolicy

from tests.fakes.records import InvitationOutbox
from tests.fakes.world import BASE_URL, FakeWorld

COMPLETED = datetime(2026, 11, 20, 10, 0, tzinfo=zone())
RECORD: dict[str, Any] = {
    "record_id": "BJ-2026-000001",
    "item_code": "110105-GA-002",  # accept | approve | deliver
    "agency_code": "110105-GA",
    "region_code": "110105",
    "window_id": "110105-GA-W01",
    "stages": ["accept", "deliver"],
    "completed_at": COMPLETED.isoformat(),
    "applicant": {"phone": "13800138000"},
}


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


def register(world: FakeWorld, body: dict[str, Any]) -> ServiceRecordRegistered:
    return register_record(
        ServiceRecordRegistration.model_validate(body),
        stores=world.intake,
        tickets=SignedTicketLinks(world.tickets, BASE_URL),
        registered_by="platform-bj",
    )


def rating(stage: str, level: int) -> EvaluationSubmission:
    """The applicant's own rating of a stage of the record, as a trusted platform posts it."""
    return EvaluationSubmission.model_validate(
        {
            "item_code": "110105-GA-002",
            "agency_code": "110105-GA",
            "region_code": "110105",
            "channel": "window_qr",
            "level": level,
            "reason_codes": ["slow"] if level <= 2 else [],
            "record_id": "BJ-2026-000001",
            "stage": stage,
        }
    )


def sweep(world: FakeWorld, today: date, outbox: InvitationOutbox) -> tuple[int, int]:
    now = datetime.combine(today, datetime.min.time(), zone()) + timedelta(hours=1)
    report = sweep_unrated_records(
        today, stores=world.intake, sender=outbox, tickets=SignedTicketLinks(world.tickets, BASE_URL), now=now
    )
    return report.invited, report.defaulted


def test_a_record_gets_a_ticket_and_its_evaluation_deadline(world: FakeWorld) -> None:
    registered = register(world, RECORD)
    assert not registered.replayed
    assert registered.evaluation_deadline == COMPLETED + timedelta(days=7)
    ticket = registered.ticket_url.rsplit("/t/", 1)[1]
    claims = world.tickets.verify(ticket)
    assert (claims.region_code, claims.record_id) == ("110105", "BJ-2026-000001")
    stored = world.records.get("110105", "BJ-2026-000001")
    assert (stored.item_version, stored.stages, stored.registered_by) == (
        2,
        (Stage.ACCEPT, Stage.DELIVER),
        "platform-bj",
    )
    world.rules.set("110105", '{"evaluation": {"evaluation_days": 15}}')
    assert register(world, {**RECORD, "record_id": "BJ-2"}).evaluation_deadline == COMPLETED + timedelta(days=15)


def test_the_same_registration_again_is_a_replay_and_a_different_one_a_conflict(world: FakeWorld) -> None:
    first = register(world, RECORD)
    again = register(world, RECORD)
    assert (again.replayed, again.ticket_url) == (True, first.ticket_url)
    with pytest.raises(Conflict):
        register(world, {**RECORD, "stages": ["overall"]})
    assert world.records.get("110105", "BJ-2026-000001").stages == (Stage.ACCEPT, Stage.DELIVER)


def test_the_catalogue_version_written_out_or_left_out_on_a_retry_is_the_same_record(world: FakeWorld) -> None:
    """Left out, `item_version` means the version the record was registered under, even once the
    catalogue has moved on; named, it must be that version. A replay answers the original's deadline."""
    first = register(world, RECORD)
    assert register(world, {**RECORD, "item_version": 2}).ticket_url == first.ticket_url
    named = {**RECORD, "record_id": "BJ-2026-000002", "item_version": 2}
    register(world, named)
    world.catalogue.put(world.catalogue.get("110105-GA-002").model_copy(update={"version": 3}))
    for body in (RECORD, {**named, "item_version": None}):
        assert register(world, body).replayed
    with pytest.raises(Conflict):
        register(world, {**RECORD, "item_version": 3})
    in_utc = {**RECORD, "completed_at": COMPLETED.astimezone(UTC).isoformat()}
    assert register(world, in_utc).evaluation_deadline.isoformat() == first.evaluation_deadline.isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"item_code": "999999-XX-001"}, "item_code"),
        ({"item_version": 9}, "item_version"),
        ({"agency_code": "110105-SJ"}, "agency_code"),
        ({"region_code": "330106"}, "region_code"),
        ({"stages": ["accept", "accept"]}, "stages"),
        ({"stages": ["overall", "accept"]}, "stages"),
        ({"item_code": "110105-GA-001", "item_version": None, "stages": ["approve"]}, "stages"),
    ],
)
def test_a_record_must_match_the_catalogue(world: FakeWorld, change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(world, {**RECORD, **change})
    assert field in {error["field"] for error in refused.value.errors}
    assert world.records.stored == {}


def test_the_applicant_contact_is_sealed_for_the_record_and_only_when_there_is_one(world: FakeWorld) -> None:
    register(world, RECORD)
    cipher = world.records.get("110105", "BJ-2026-000001").contact_cipher
    assert cipher is not None
    assert "13800138000" in world.vault.open(cipher, owner="record:110105:BJ-2026-000001")
    register(world, {**RECORD, "record_id": "BJ-2", "applicant": {}})
    assert world.records.get("110105", "BJ-2").contact_cipher is None


def test_an_applicant_is_invited_once_after_three_days_for_the_unrated_stages(world: FakeWorld) -> None:
    register(world, RECORD)
    register(world, {**RECORD, "record_id": "BJ-ANON", "applicant": None})
    submit_evaluation(rating("accept", 5), stores=world.intake, now=COMPLETED, tickets=None)
    outbox = InvitationOutbox()
    day = COMPLETED.date()
    assert sweep(world, day + timedelta(days=2), outbox) == (0, 0)
    assert sweep(world, day + timedelta(days=3), outbox) == (1, 0)
    assert sweep(world, day + timedelta(days=3), outbox) == (0, 0)
    assert [(sent.record_id, sent.unrated_stages) for sent in outbox.sent] == [("BJ-2026-000001", (Stage.DELIVER,))]


def test_a_failed_send_is_tried_again_by_the_next_sweep(world: FakeWorld) -> None:
    register(world, RECORD)
    outbox = InvitationOutbox()
    outbox.unavailable = True
    today = COMPLETED.date() + timedelta(days=3)
    with pytest.raises(StorageUnavailable):
        sweep(world, today, outbox)
    outbox.unavailable = False
    assert sweep(world, today, outbox) == (1, 0)


def test_the_default_rating_fills_only_the_unrated_stages_after_the_period(world: FakeWorld) -> None:
    world.rules.set("110105", '{"evaluation": {"default_level": 5}}')
    register(world, RECORD)
    submit_evaluation(rating("deliver", 1), stores=world.intake, now=COMPLETED, tickets=None)
    outbox = InvitationOutbox()
    last_day = COMPLETED.date() + timedelta(days=7)
    assert sweep(world, last_day, outbox)[1] == 0  # the period ends at the end of that day
    assert sweep(world, last_day + timedelta(days=1), outbox)[1] == 1
    assert sweep(world, last_day + timedelta(days=1), outbox)[1] == 0
    given = [evaluation for evaluation in world.evaluations.stored.values() if evaluation.system_given]
    assert [(evaluation.stage, evaluation.level, evaluation.channel) for evaluation in given] == [
        (Stage.ACCEPT, Level(5), Channel.SYSTEM)
    ]


def test_a_region_without_a_default_level_stays_unrated(world: FakeWorld) -> None:
    register(world, RECORD)
    assert sweep(world, COMPLETED.date() + timedelta(days=8), InvitationOutbox())[1] == 0
    assert world.evaluations.stored == {}


def test_a_system_rating_is_never_a_bad_review_and_never_submitted_by_a_client() -> None:
    with pytest.raises(ValueError, match="never a bad review"):
        EvaluationPolicy(default_level=Level.DISSATISFIED)
    submission = EvaluationSubmission(
        item_code="110105-GA-001", agency_code="110105-GA", region_code="110105", channel=Channel.SYSTEM, level=Level(5)
    )
    assert submission.inconsistencies()[0]["field"] == "channel"
