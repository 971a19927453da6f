"""A delivery of bad reviews taken as a batch (`BadReviewBatch`) on the in-memory stores: what the
batch needs is read and noted together, so its store calls do not grow by seven a review; the burst
rule holds whatever the order within the batch; a duplicate or a redelivery opens nothing twice; a
review that fails fails alone."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

import pytest
from govrate.cases.ports import CaseStore
from govrate.cases.service import BadReviewBatch, CaseStores, Taken
from govrate.evaluations.models import NegativeReviewMessage
from govrate.evaluations.ports import EvaluationStore
from govrate.kernel.errors import NotFound

from tests.fakes.world import FakeWorld
from tests.unit.test_burst_rules import POLICY, START, WINDOW, bad_review, flood


class Counted:
    """A store whose calls are counted by method, as the round trips of its DynamoDB repository."""

    def __init__(self, store: object, calls: Counter[str]) -> None:
        self._store = store
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return method(*args, **kwargs)

        return counted


@pytest.fixture
def world() -> FakeWorld:
    world = FakeWorld()
    world.windows.add(WINDOW)
    return world


def counted_stores(world: FakeWorld, calls: Counter[str]) -> CaseStores:
    cases = Counted(world.cases, calls)
    return replace(
        world.case_stores(),
        cases=cast(CaseStore, cases),
        bursts=cast(Any, cases),
        evaluations=cast(EvaluationStore, Counted(world.evaluations, calls)),
        burst_policy=POLICY,
    )


def take_all(stores: CaseStores, reviews: list[NegativeReviewMessage]) -> list[Taken]:
    batch = BadReviewBatch(reviews, stores=stores, now=max(r.created_at for r in reviews) + timedelta(seconds=5))
    return [batch.take(review) for review in reviews]


def test_a_batch_of_ten_costs_two_calls_a_review_and_three_for_the_batch(world: FakeWorld) -> None:
    reviews = flood(world, 10, every=timedelta(minutes=2))  # under the threshold: ten cases
    calls: Counter[str] = Counter()
    assert take_all(counted_stores(world, calls), reviews) == [Taken.OPENED] * 10
    # One read of what became of them, one of their evaluations, one write of their notes; then per
    # review its count and its case (the case and its first audit entry in one transaction).
    assert calls == {"handled": 1, "get_many": 1, "note_bad_reviews": 1, "bad_reviews_between": 10, "open": 10}
    assert sum(calls.values()) <= 3 + 2 * len(reviews)  # was 7 a review: 70


def test_a_redelivered_batch_costs_one_read_and_one_a_held_review(world: FakeWorld) -> None:
    reviews = flood(world, 12)  # ten cases, two held in a burst
    assert take_all(counted_stores(world, Counter()), reviews) == [Taken.OPENED] * 10 + [Taken.HELD] * 2
    calls: Counter[str] = Counter()
    assert take_all(counted_stores(world, calls), reviews) == [Taken.ALREADY] * 12
    assert calls == {"handled": 1, "get": 2}  # each held review reads whether its burst was decided


def test_the_burst_rule_holds_whatever_the_order_within_the_batch(world: FakeWorld) -> None:
    reviews = flood(world, 12)
    taken = take_all(counted_stores(world, Counter()), list(reversed(reviews)))
    # The ten given first get their cases, the two given last are held, though delivered first.
    assert taken == [Taken.HELD] * 2 + [Taken.OPENED] * 10
    burst = world.cases.burst_of(f"window#{WINDOW.window_id}")
    assert burst is not None
    assert [r.evaluation_id for r in world.cases.burst_members(burst)] == [r.evaluation_id for r in reviews[10:]]


def test_a_duplicate_within_the_batch_opens_one_case(world: FakeWorld) -> None:
    review = bad_review(world, START)
    assert take_all(counted_stores(world, Counter()), [review, review]) == [Taken.OPENED, Taken.ALREADY]
    assert len(world.cases.history(review.evaluation_id)) == 1


def test_a_review_without_its_evaluation_fails_alone(world: FakeWorld) -> None:
    stored, other = bad_review(world, START), bad_review(world, START + timedelta(seconds=1))
    missing = other.model_copy(update={"evaluation_id": "01K00000000000000000000000"})
    batch = BadReviewBatch([missing, stored], stores=counted_stores(world, Counter()), now=START + timedelta(minutes=1))
    with pytest.raises(NotFound):
        batch.take(missing)
    assert batch.take(stored) is Taken.OPENED
