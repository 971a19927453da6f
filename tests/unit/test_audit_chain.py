"""The hash-chained audit trail: a verifier that finds every edited, deleted or reordered entry."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from govrate.cases.audit import entry_hash, next_entry, verify_chain
from govrate.cases.model import Action, AuditEntry, Case
from govrate.evaluations.models import CaseState
from govrate.identity.model import Actor, Role
from govrate.kernel.scale import Level

CST = timezone(timedelta(hours=8))
START = datetime(2025, 9, 30, 10, 0, 0, 123456, tzinfo=CST)
CASE_ID = "01K6B3S8Z0000000000000000A"
STAFF = Actor(role=Role.STAFF, subject="sub-li", name="李明", agency_code="110105-GA", region_code="110105")
STEPS: list[tuple[Action, CaseState | None, CaseState, dict[str, Any]]] = [
    (Action.OPEN, None, CaseState.RECEIVED, {"answer_due_at": "2025-10-29T00:00:00+08:00"}),
    (Action.VIEW_CONTACT, CaseState.RECEIVED, CaseState.RECEIVED, {}),
    (Action.CONTACT, CaseState.RECEIVED, CaseState.CONTACTED, {"reached": True, "note": "电话回访，已致歉"}),
    (Action.VERIFY, CaseState.CONTACTED, CaseState.VERIFIED, {"substantiated": True, "finding": "材料清单有误"}),
    (Action.TRIAGE, CaseState.VERIFIED, CaseState.TRIAGED, {"outcome": "fix_now", "evidence": []}),
]


def fresh_case() -> Case:
    return Case(
        evaluation_id=CASE_ID,
        item_code="110105-GA-001",
        agency_code="110105-GA",
        region_code="110105",
        level=Level.DISSATISFIED,
        state=CaseState.RECEIVED,
        opened_at=START,
        evaluated_at=START,
        real_name=True,
        verify_due_at=START,
        answer_due_at=START,
    )


def build_chain() -> tuple[list[AuditEntry], Case]:
    case = fresh_case()
    entries = []
    for minutes, (action, before, after, detail) in enumerate(STEPS):
        entry = next_entry(
            case,
            at=START + timedelta(minutes=minutes),
            actor=STAFF,
            action=action,
            from_state=before,
            to_state=after,
            detail=detail,
        )
        entries.append(entry)
        case = case.model_copy(update={"audit_count": entry.seq, "audit_head": entry.hash, "state": after})
    return entries, case


def check(entries: list[AuditEntry], case: Case) -> set[tuple[int, str]]:
    report = verify_chain(CASE_ID, entries, count=case.audit_count, head=case.audit_head)
    assert report.intact == (not report.problems)
    assert report.entries == len(entries)
    return {(problem.seq, problem.kind) for problem in report.problems}


def test_an_untouched_chain_is_intact() -> None:
    entries, case = build_chain()
    assert [entry.seq for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    assert check(entries, case) == set()


def test_the_hash_survives_the_storage_round_trip() -> None:
    entries, _ = build_chain()
    for entry in entries:
        restored = AuditEntry.model_validate_json(entry.model_dump_json())
        assert entry_hash(restored) == entry.hash


def test_an_edited_detail_is_found() -> None:
    entries, case = build_chain()
    entries[2] = entries[2].model_copy(update={"detail": {"reached": False, "note": "电话回访，已致歉"}})
    assert check(entries, case) == {(3, "edited")}


@pytest.mark.parametrize(
    "change",
    [
        {"actor": STAFF.model_copy(update={"name": "王芳"})},
        {"at": START + timedelta(days=1)},
        {"to_state": CaseState.CLOSED},
        {"action": Action.ANSWER},
    ],
)
def test_any_edited_field_is_found(change: dict[str, object]) -> None:
    entries, case = build_chain()
    entries[3] = entries[3].model_copy(update=change)
    assert check(entries, case) == {(4, "edited")}


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries, case = build_chain()
    forged = entries[2].model_copy(update={"detail": {"reached": False}})
    entries[2] = forged.model_copy(update={"hash": entry_hash(forged)})
    assert check(entries, case) == {(4, "broken_link")}


def test_a_deleted_entry_is_found() -> None:
    entries, case = build_chain()
    del entries[1]
    assert check(entries, case) == {(3, "missing"), (3, "broken_link"), (5, "head_mismatch")}


def test_a_deleted_newest_entry_is_found_through_the_case_head() -> None:
    entries, case = build_chain()
    del entries[-1]
    assert check(entries, case) == {(5, "head_mismatch")}


def test_reordered_entries_are_found() -> None:
    entries, case = build_chain()
    entries[1], entries[2] = entries[2], entries[1]
    found = check(entries, case)
    assert (3, "missing") in found
    assert (2, "out_of_order") in found


def test_a_rewritten_chain_is_found_through_the_case_head() -> None:
    entries, case = build_chain()
    rewritten = []
    head = fresh_case()
    for entry in entries:
        detail = {"note": "rewritten"} if entry.seq == 3 else entry.detail
        forged = next_entry(
            head,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            from_state=entry.from_state,
            to_state=entry.to_state,
            detail=detail,
        )
        rewritten.append(forged)
        head = head.model_copy(update={"audit_count": forged.seq, "audit_head": forged.hash})
    assert check(rewritten, case) == {(5, "head_mismatch")}


def test_an_entry_of_another_case_is_found() -> None:
    entries, case = build_chain()
    entries[4] = entries[4].model_copy(update={"evaluation_id": "01K6B3S8Z0000000000000000B"})
    assert check(entries, case) == {(5, "foreign"), (5, "edited")}
