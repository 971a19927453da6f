"""What intake sees of interference (docs/integrity.md §3): an address in a staff network and a rating
before the record's completion are written on the evaluation for the watcher; the address is never
stored, and the evaluation is taken and answered exactly as any other."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from govrate.evaluations.models import EvaluationSubmission
from govrate.evaluations.service import submit_evaluation
from govrate.integrity.limits import IntakeGate, IntakeLimits
from govrate.integrity.patterns import Pattern, comment_digest, staff_network_of

from tests.fakes.world import FakeWorld
from tests.unit.test_abuse_limits import MemoryCounters
from tests.unit.test_intake_service import COMPLETED, GOOD, of_record, register_record

NETWORKS = {
    "hall staff LAN": [ipaddress.ip_network("10.20.0.0/16")],
    "staff terminals": [ipaddress.ip_network("203.0.113.7/32"), ipaddress.ip_network("2001:db8:7::/48")],
}


def gate() -> IntakeGate:
    limits = IntakeLimits(per_client_per_hour=20, per_window_per_minute=20, per_item_per_minute=120)
    return IntakeGate(limits, MemoryCounters(), b"secret", NETWORKS)


def test_the_staff_network_of_an_address_is_its_label() -> None:
    assert staff_network_of("10.20.3.4", NETWORKS) == "hall staff LAN"
    assert staff_network_of("203.0.113.7", NETWORKS) == "staff terminals"
    assert staff_network_of("2001:db8:7::1", NETWORKS) == "staff terminals"
    assert staff_network_of("203.0.113.8", NETWORKS) is None
    assert staff_network_of("not an address", NETWORKS) is None


def test_a_rating_from_a_staff_terminal_is_taken_and_flagged_without_its_address() -> None:
    world = FakeWorld()
    arrival = gate().arrival("203.0.113.7", window_id=None, item_code=GOOD["item_code"], now=COMPLETED)
    accepted = submit_evaluation(
        EvaluationSubmission.model_validate(GOOD), stores=world.intake, now=COMPLETED, tickets=None, arrival=arrival
    )

    assert not accepted.replayed and accepted.receipt  # the evaluator sees nothing different
    stored = world.evaluations.get(accepted.evaluation_id)
    assert stored.intake_flags == (Pattern.STAFF_NETWORK,)
    assert stored.staff_network == "staff terminals"
    assert stored.client_key == arrival.client
    assert "203.0.113.7" not in stored.model_dump_json()


def test_a_citizen_address_is_not_flagged() -> None:
    world = FakeWorld()
    arrival = gate().arrival("198.51.100.23", window_id=None, item_code=GOOD["item_code"], now=COMPLETED)
    accepted = submit_evaluation(
        EvaluationSubmission.model_validate(GOOD), stores=world.intake, now=COMPLETED, tickets=None, arrival=arrival
    )
    assert world.evaluations.get(accepted.evaluation_id).intake_flags == ()


def test_a_rating_before_the_record_was_completed_is_taken_and_flagged() -> None:
    world = FakeWorld()
    register_record(world)
    early = COMPLETED - timedelta(hours=2)
    accepted = submit_evaluation(
        EvaluationSubmission.model_validate(of_record(GOOD, world)),
        stores=world.intake,
        now=early,
        tickets=lambda: world.tickets,
    )
    assert world.evaluations.get(accepted.evaluation_id).intake_flags == (Pattern.BEFORE_COMPLETION,)

    register_record(world, "BJ-2026-000002")
    on_time = submit_evaluation(
        EvaluationSubmission.model_validate(of_record(GOOD, world, "BJ-2026-000002")),
        stores=world.intake,
        now=COMPLETED + timedelta(hours=1),
        tickets=lambda: world.tickets,
    )
    assert world.evaluations.get(on_time.evaluation_id).intake_flags == ()


def test_comments_are_compared_by_their_words_only() -> None:
    first = comment_digest("Staff were rude, and slow!", min_chars=8)
    assert first == comment_digest("staff  were RUDE and slow", min_chars=8)
    assert first != comment_digest("Staff were kind and quick", min_chars=8)
    assert comment_digest("满意！", min_chars=8) is None
    assert comment_digest(None, min_chars=8) is None
