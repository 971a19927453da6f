"""The rules of transcribed evaluations on the in-memory stores: each row on its own with the rules of
every evaluation, a form entered once whoever uploads it again, records and their period, and the
staff of an agency or the supervisors of a division entering only their own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from govrate.evaluations.models import Channel, EvaluationAccepted, EvaluationSubmission, Stage
from govrate.evaluations.service import submit_evaluation
from govrate.identity.model import Actor, Role
from govrate.kernel.clock import zone
from govrate.kernel.errors import Forbidden, InvalidInput
from govrate.records.store import StoredRecord
from govrate.transcriptions.service import enter_transcriptions

from tests.fakes.world import FakeWorld

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=zone())
LI = Actor(role=Role.STAFF, subject="li-sub", agency_code="110105-GA", region_code="110105")
WANG = Actor(role=Role.STAFF, subject="wang-sub", agency_code="110105-GA", region_code="110105")
BEIJING = Actor(role=Role.SUPERVISOR, subject="zhao-sub", region_code="110000")
PAPER_HEADER = "form_id,channel,item_code,agency_code,region_code,level,indicators.attitude,reason_codes,comment"
PAPER_FORM = "ZF-2026-0001,paper,110105-GA-001,110105-GA,110105,4,5,,窗口人员很耐心"


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


def csv_file(header: str, *rows: str) -> bytes:
    return "\r\n".join([header, *rows, ""]).encode()


def enter(world: FakeWorld, body: bytes, actor: Actor = LI) -> list[tuple[int, str, EvaluationAccepted | None]]:
    """(spreadsheet row, what became of it, the acceptance) of each row: accepted, duplicate, or the
    name of the refusal."""
    results: list[tuple[int, str, EvaluationAccepted | None]] = []
    for row, outcome in enter_transcriptions(body, actor=actor, stores=world.intake, now=NOW):
        if isinstance(outcome, EvaluationAccepted):
            results.append((row.number, "duplicate" if outcome.replayed else "accepted", outcome))
        else:
            results.append((row.number, type(outcome).__name__, None))
    return results


def refusals(world: FakeWorld, body: bytes, actor: Actor = LI) -> list[list[str]]:
    """The fields each refused row names."""
    return [
        [error["field"] for error in outcome.errors]
        for _, outcome in enter_transcriptions(body, actor=actor, stores=world.intake, now=NOW)
        if isinstance(outcome, InvalidInput | Forbidden)
    ]


def register_record(world: FakeWorld, record_id: str, completed_at: datetime = NOW) -> None:
    world.records.register(
        StoredRecord(
            record_id=record_id,
            region_code="110105",
            item_code="110105-GA-002",
            item_version=2,
            agency_code="110105-GA",
            window_id=None,
            stages=(Stage.ACCEPT, Stage.APPROVE, Stage.DELIVER),
            completed_at=completed_at,
            contact_cipher=None,
            registered_by="platform-bj",
            fingerprint="f",
        )
    )


def test_a_form_is_entered_by_its_staff_member_without_a_receipt(world: FakeWorld) -> None:
    [(_, status, accepted)] = enter(world, csv_file(PAPER_HEADER, PAPER_FORM))
    assert status == "accepted" and accepted is not None
    assert (accepted.receipt, accepted.status_url) == (None, None)
    stored = world.evaluations.get(accepted.evaluation_id)
    assert (stored.submitted_by, stored.channel, stored.contact_cipher) == ("staff:li-sub", Channel.PAPER, None)


def test_uploading_a_file_again_doubles_nothing_whoever_uploads_it(world: FakeWorld) -> None:
    register_record(world, "BJ-2026-000777")
    body = csv_file(
        "form_id,channel,item_code,agency_code,region_code,record_id,stage,level,reason_codes",
        "ZF-2026-0001,paper,110105-GA-001,110105-GA,110105,,,5,",
        "ZF-2026-0002,paper,110105-GA-002,110105-GA,110105,BJ-2026-000777,deliver,3,",
        "12345-0301-0001,hotline,,110105-GA,110105,,,2,slow",
    )
    first = enter(world, body)
    assert [status for _, status, _ in first] == ["accepted"] * 3
    for uploader in (LI, WANG):
        again = enter(world, body, uploader)
        assert [status for _, status, _ in again] == ["duplicate"] * 3
        assert [accepted.evaluation_id for _, _, accepted in again if accepted] == [
            accepted.evaluation_id for _, _, accepted in first if accepted
        ]
    assert len(world.evaluations.stored) == 3


def test_a_changed_row_under_a_taken_form_id_is_a_conflict_in_its_channel_only(world: FakeWorld) -> None:
    enter(world, csv_file(PAPER_HEADER, PAPER_FORM))
    changed = PAPER_FORM.replace(",4,5,", ",3,5,")
    box_slip = "ZF-2026-0001,suggestion_box,110105-GA-001,110105-GA,110105,4,,,窗口人员很耐心"
    assert [(row, status) for row, status, _ in enter(world, csv_file(PAPER_HEADER, changed, box_slip))] == [
        (2, "Conflict"),
        (3, "accepted"),
    ]
    assert len(world.evaluations.stored) == 2


def test_no_public_idempotency_key_can_claim_a_form_before_staff_enter_it(world: FakeWorld) -> None:
    guessed = EvaluationSubmission.model_validate(
        {"agency_code": "110105-GA", "region_code": "110105", "channel": "email", "level": 5}
    )
    for key in ("email#110105-GA#MAIL-1", "FORM#email#110105-GA#MAIL-1"):
        submit_evaluation(guessed, stores=world.intake, now=NOW, tickets=None, idempotency_key=key)
    form = "MAIL-1,email,,110105-GA,110105,1,,slow,三周没有回复"
    assert [status for _, status, _ in enter(world, csv_file(PAPER_HEADER, form))] == ["accepted"]
    assert len(world.evaluations.stored) == 3


def test_offline_channels_are_attributed_to_an_agency_or_an_item(world: FakeWorld) -> None:
    header = "form_id,channel,item_code,agency_code,region_code,mode,level,indicators.efficiency,reason_codes,comment"
    body = csv_file(
        header,
        "12345-0301-0001,hotline,,110105-GA,110105,,2,,slow,热线反映办理慢",
        "XYX-0042,suggestion_box,,110105-GA,110105,,5,,,",
        "MAIL-2026-17,email,110105-GA-002,110105-GA,110105,online,3,4,,",
        "DC-2026-0009,supervision_platform,110105-GA-001,110105-GA,110105,,1,,attitude,督查平台转办",
        "W-0001,window_qr,110105-GA-001,110105-GA,110105,,5,,,",  # not an offline channel
        "P-0001,paper,,110105-GA,110105,,5,,,",  # a paper form rates a service item
    )
    results = enter(world, body)
    stored = [world.evaluations.get(accepted.evaluation_id) for _, _, accepted in results if accepted]
    assert [(e.channel, e.item_code, e.agency_code) for e in stored] == [
        ("hotline", None, "110105-GA"),
        ("suggestion_box", None, "110105-GA"),
        ("email", "110105-GA-002", "110105-GA"),
        ("supervision_platform", "110105-GA-001", "110105-GA"),
    ]
    assert stored[2].indicators == {"efficiency": 4}
    assert stored[0].bad_review and stored[3].bad_review
    assert refusals(world, body)[-2:] == [["channel"], ["item_code"]]


def test_a_form_of_a_service_record_follows_the_record_rules(world: FakeWorld) -> None:
    register_record(world, "BJ-2026-000777")
    register_record(world, "BJ-2026-000778", completed_at=NOW - timedelta(days=30))
    body = csv_file(
        "form_id,channel,item_code,agency_code,region_code,record_id,stage,level",
        "ZF-0001,paper,110105-GA-002,110105-GA,110105,BJ-2026-000777,accept,5",
        "ZF-0002,paper,110105-GA-002,110105-GA,110105,BJ-2026-000777,accept,4",  # a second vote on the stage
        "ZF-0003,paper,110105-GA-002,110105-GA,110105,BJ-2026-009999,accept,5",  # no such record
        "ZF-0004,paper,110105-GA-002,110105-GA,110105,BJ-2026-000778,accept,5",  # rated too late
        "12345-0001,hotline,,110105-GA,110105,BJ-2026-000777,,5",  # the hotline carries no record
    )
    results = enter(world, body)
    assert [(row, status) for row, status, _ in results] == [
        (2, "accepted"),
        (3, "Conflict"),
        (4, "InvalidInput"),
        (5, "EvaluationPeriodOver"),
        (6, "InvalidInput"),
    ]
    accepted = results[0][2]
    assert accepted is not None and world.evaluations.get(accepted.evaluation_id).record_id == "BJ-2026-000777"
    assert refusals(world, body)[-3:] == [["record_id"]] * 3


def test_staff_enter_their_agency_and_supervisors_their_division(world: FakeWorld) -> None:
    header = "form_id,channel,agency_code,region_code,level"
    ours, theirs, shenzhen = (
        "12345-0001,hotline,110105-GA,110105,5",
        "12345-0002,hotline,110105-SJ,110105,4",
        "12345-0003,hotline,440305-SJ,440305,4",
    )
    assert [status for _, status, _ in enter(world, csv_file(header, ours, theirs))] == ["accepted", "Forbidden"]
    assert refusals(world, csv_file(header, theirs)) == [["agency_code"]]
    results = enter(world, csv_file(header, theirs, shenzhen), BEIJING)
    assert [status for _, status, _ in results] == ["accepted", "Forbidden"]
    accepted = results[0][2]
    assert accepted is not None and world.evaluations.get(accepted.evaluation_id).submitted_by == "supervisor:zhao-sub"
    assert len(world.evaluations.stored) == 2
