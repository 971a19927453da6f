"""The queue side of the loop: duplicate deliveries, a crash before the acknowledgement, poison
messages to the dead-letter queue after the redrive policy's tries, the redrive command, and the
evaluator's notices on their way out through the cases table's stream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import case_sweep
import pytest
import time_machine
from govrate import runtime
from govrate.cases import redrive
from govrate.kernel.errors import StorageUnavailable

from tests.integration.conftest import AwsResources
from tests.integration.test_case_support import World, build_world

MAX_RECEIVE_COUNT = 3  # the fixture queue's redrive policy


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from build_world(aws, monkeypatch)


def audit_entries(world: World, evaluation_id: str) -> list[dict[str, Any]]:
    return [item for item in world.case_items(evaluation_id) if item["sk"]["S"].startswith("AUDIT#")]


def test_duplicate_deliveries_open_one_case(world: World) -> None:
    evaluation_id = world.review(contact=False)["evaluation_id"]
    assert world.relay_stream() == 1
    message = world.receive_bodies()[0]
    # At-least-once: the same message twice in one batch, and once more later.
    world.send_raw(message)
    world.send_raw(message)
    world.drain()
    world.send_raw(message)
    world.drain()
    items = world.case_items(evaluation_id)
    assert [item["sk"]["S"] for item in items] == ["AUDIT#000001", "CASE"]
    assert world.queue_depth(world.aws.queue_url) == 0


def test_a_crash_after_writing_the_case_is_healed_by_the_redelivery(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation_id = world.review(contact=False)["evaluation_id"]
    world.relay_stream()
    cases = runtime.case_stores().cases
    written_then_crash = cases.open

    def open_then_die(*args: Any, **kwargs: Any) -> bool:
        written_then_crash(*args, **kwargs)
        raise RuntimeError("Lambda timed out before the message was acknowledged")

    monkeypatch.setattr(cases, "open", open_then_die)
    received, failed = world.consume_once()
    assert (received, len(failed)) == (1, 1)  # reported, so the message stays on the queue
    assert cases.get(evaluation_id).state == "received"

    monkeypatch.undo()
    world.drain()  # the redelivery finds the case open and is acknowledged
    assert world.queue_depth(world.aws.queue_url) == 0
    assert len(audit_entries(world, evaluation_id)) == 1


def test_a_poison_message_fails_alone_and_reaches_the_dead_letter_queue(world: World) -> None:
    world.send_raw('{"evaluation_id": "not a message"')
    evaluation_id = world.review(contact=False)["evaluation_id"]
    world.relay_stream()
    received, failed = world.consume_once()
    assert (received, len(failed)) == (2, 1)  # a partial batch failure: the good one is done
    assert world.case_items(evaluation_id)
    for _ in range(MAX_RECEIVE_COUNT):
        world.consume_once()
    assert world.queue_depth(world.aws.queue_url) == 0
    assert world.queue_depth(world.aws.dlq_url) == 1


def test_messages_that_failed_for_a_passing_fault_are_redriven(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluation_id = world.review(contact=False)["evaluation_id"]
    world.relay_stream()
    evaluations = runtime.case_stores().evaluations

    def unavailable(evaluation_ids: Any) -> Any:
        raise StorageUnavailable("evaluations table unavailable")

    monkeypatch.setattr(evaluations, "get_many", unavailable)
    for _ in range(MAX_RECEIVE_COUNT + 1):
        world.consume_once()
    assert world.queue_depth(world.aws.dlq_url) == 1
    monkeypatch.undo()

    capsys.readouterr()  # what came before: the functions' metrics (EMF lines on stdout)
    assert redrive.main([]) == 0  # the URLs come from the settings
    assert capsys.readouterr().out == "moved 1 messages\n"
    assert world.queue_depth(world.aws.dlq_url) == 0
    world.drain()
    assert runtime.case_stores().cases.get(evaluation_id).state == "received"

    mover = redrive.DeadLetterRedrive()
    for number in range(3):
        world.send_raw(f'{{"n": {number}}}', world.aws.dlq_url)
    assert mover.move(world.aws.dlq_url, world.aws.queue_url, limit=2) == 2
    assert (world.queue_depth(world.aws.dlq_url), world.queue_depth(world.aws.queue_url)) == (1, 2)
    assert mover.move(world.aws.dlq_url, world.aws.queue_url, limit=10) == 1


def test_a_real_name_bad_review_reaches_the_queue_through_the_stream(world: World) -> None:
    evaluation_id = world.review(contact=True)["evaluation_id"]
    world.deliver()
    assert world.case_items(evaluation_id)


def test_a_notice_waits_on_the_cases_stream_while_the_gateway_queue_is_down(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation_id = world.review()["evaluation_id"]  # real name: the evaluator is told of the escalation
    world.deliver()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=10)):
        assert case_sweep.handler({"id": "tick"}, world.ctx)["escalated"] == [evaluation_id]
    # The notice was stored with the escalation, in the same transaction.
    assert "NOTICE#000002" in [item["sk"]["S"] for item in world.case_items(evaluation_id)]

    def gateway_queue_down(messages: Any) -> dict[int, StorageUnavailable]:
        return {index: StorageUnavailable("evaluator notice queue unavailable") for index in range(len(messages))}

    monkeypatch.setattr(runtime.notice_queue(), "publish_batch", gateway_queue_down)
    assert world.relay_stream(failures_expected=True) > 0
    monkeypatch.undo()
    assert world.notices() == [(evaluation_id, "escalated")]
