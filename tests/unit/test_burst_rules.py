"""Bursts of bad reviews on the in-memory stores: beyond the threshold a window's bad reviews wait in
one burst case for a supervisor instead of opening a case each; none is ever dropped; the decision
either opens a case for each or keeps them as flagged evaluations; a redelivery changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from govrate.cases.kinds import CaseKind
from govrate.cases.model import BurstDecision, BurstOutcome, BurstPolicy, Conclusion, ContactRecord
from govrate.cases.service import Taken, act_on_case, list_cases, take_bad_review, view_case
from govrate.evaluations.models import CaseState, EvaluationSubmission, NegativeReviewMessage
from govrate.evaluations.service import submit_evaluation
from govrate.identity.model import Actor, Role
from govrate.kernel.errors import Conflict, Forbidden
from govrate.windows.models import ServiceWindow

from tests.fakes.world import FakeWorld

CST = timezone(timedelta(hours=8))
START = datetime(2025, 9, 29, 10, 0, tzinfo=CST)  # a Monday
WINDOW = ServiceWindow(
    window_id="110105-GA-W01",
    name_zh="公安综合窗口1号",
    name_en="Police counter 1",
    agency_code="110105-GA",
    region_code="110105",
    item_codes=("110105-GA-002",),
    rotation=1,
    revoked=False,
)
POLICY = BurstPolicy(per_window=10, per_item=30, minutes=10)
LI = Actor(role=Role.STAFF, subject="li.ming", agency_code="110105-GA", region_code="110105")
BEIJING = Actor(role=Role.SUPERVISOR, subject="wang.fang", region_code="110000")
HANGZHOU = Actor(role=Role.SUPERVISOR, subject="xu.lin", region_code="330100")


@pytest.fixture
def world() -> FakeWorld:
    world = FakeWorld()
    world.windows.add(WINDOW)
    return world


def bad_review(world: FakeWorld, at: datetime, *, window: bool = True, level: int = 1) -> NegativeReviewMessage:
    body = {
        "item_code": "110105-GA-002",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "channel": "window_qr" if window else "mobile_app",
        "level": level,
        "reason_codes": ["attitude"],
        **({"window_id": WINDOW.window_id} if window else {}),
    }
    accepted = submit_evaluation(EvaluationSubmission.model_validate(body), stores=world.intake, now=at, tickets=None)
    stored = world.evaluations.get(accepted.evaluation_id)
    return NegativeReviewMessage(
        evaluation_id=stored.evaluation_id,
        item_code=stored.item_code,
        agency_code=stored.agency_code,
        region_code=stored.region_code,
        level=stored.level,
        created_at=stored.created_at,
    )


def take(world: FakeWorld, review: NegativeReviewMessage, now: datetime | None = None) -> Taken:
    stores = replace(world.case_stores(), burst_policy=POLICY)
    return take_bad_review(review, stores=stores, now=now or review.created_at + timedelta(seconds=5))


def flood(world: FakeWorld, count: int, *, every: timedelta = timedelta(seconds=1)) -> list[NegativeReviewMessage]:
    return [bad_review(world, START + n * every) for n in range(count)]


def cases_of(world: FakeWorld, kind: CaseKind) -> list[str]:
    return [case.evaluation_id for case in world.cases.stored.values() if case.kind is kind]


def burst_of(world: FakeWorld) -> str:
    (burst_id,) = cases_of(world, CaseKind.BURST)
    return burst_id


def test_a_planted_burst_is_held_in_one_burst_case_and_nothing_is_dropped(world: FakeWorld) -> None:
    reviews = flood(world, 50)
    taken = [take(world, review) for review in reviews]
    assert taken == [Taken.OPENED] * 10 + [Taken.HELD] * 40
    assert len(cases_of(world, CaseKind.BAD_REVIEW)) == 10
    burst = world.cases.get(burst_of(world))
    assert (burst.state, burst.window_id, burst.agency_code, burst.level) == (
        CaseState.RECEIVED,
        WINDOW.window_id,
        "110105-GA",
        None,
    )
    held = world.cases.burst_members(burst.evaluation_id)
    assert [review.evaluation_id for review in held] == [review.evaluation_id for review in reviews[10:]]
    # Every review is still an evaluation, counted as ever.
    assert all(world.evaluations.get(review.evaluation_id).bad_review for review in reviews)


def test_a_busy_honest_window_never_trips_the_threshold(world: FakeWorld) -> None:
    # Three ratings a minute for an hour, one in twenty bad: a bad review every ~7 minutes, and even a
    # cluster of five bad reviews in ten minutes (well above the usual 2-5 %) each get a case.
    honest = [bad_review(world, START + timedelta(minutes=7 * n)) for n in range(9)]
    cluster = [bad_review(world, START + timedelta(hours=2, minutes=2 * n)) for n in range(5)]
    assert {take(world, review) for review in honest + cluster} == {Taken.OPENED}
    assert not cases_of(world, CaseKind.BURST)


def test_under_the_threshold_each_review_gets_its_case_and_the_window_slides(world: FakeWorld) -> None:
    # Ten in ten minutes, then ten more in the next ten: never more than ten within any ten minutes.
    reviews = flood(world, 20, every=timedelta(seconds=61))
    assert {take(world, review) for review in reviews} == {Taken.OPENED}
    assert len(cases_of(world, CaseKind.BAD_REVIEW)) == 20


def test_without_a_window_the_item_of_the_agency_is_counted_with_its_own_threshold(world: FakeWorld) -> None:
    online = [bad_review(world, START + timedelta(seconds=n), window=False) for n in range(31)]
    taken = [take(world, review) for review in online]
    assert taken == [Taken.OPENED] * 30 + [Taken.HELD]
    assert world.cases.get(burst_of(world)).window_id is None


def test_a_redelivered_message_neither_opens_a_second_case_nor_joins_twice(world: FakeWorld) -> None:
    reviews = flood(world, 12)
    for review in reviews:
        take(world, review)
    before = (dict(world.cases.stored), world.cases.burst_members(burst_of(world)))
    for review in reviews:
        assert take(world, review, now=START + timedelta(hours=1)) is Taken.ALREADY
    assert (dict(world.cases.stored), world.cases.burst_members(burst_of(world))) == before
    assert len(before[1]) == 2


def test_genuine_opens_a_case_for_each_with_deadlines_from_the_decision(world: FakeWorld) -> None:
    reviews = flood(world, 15)
    for review in reviews:
        take(world, review)
    burst_id = burst_of(world)
    decided_at = datetime(2025, 10, 9, 9, 0, tzinfo=CST)  # after the National Day holiday
    decision = BurstDecision(genuine=True, reason="不同市民，均有办件记录")
    closed = act_on_case(burst_id, decision, actor=BEIJING, stores=world.case_stores(), now=decided_at)
    assert (closed.state, closed.burst_outcome) == (CaseState.CLOSED, BurstOutcome.GENUINE)
    released = [world.cases.get(review.evaluation_id) for review in reviews[10:]]
    assert all(case.kind is CaseKind.BAD_REVIEW and case.state is CaseState.RECEIVED for case in released)
    # One working day from the decision (Thursday 9 October): the end of Friday 10 October.
    assert {case.verify_due_at for case in released} == {datetime(2025, 10, 11, tzinfo=CST)}
    opening = world.cases.history(reviews[12].evaluation_id)[0]
    assert (opening.actor, opening.detail["released_from_burst"]) == (BEIJING, burst_id)
    decided = world.cases.history(burst_id)[-1]
    assert (decided.action, decided.actor, decided.detail["bad_reviews"]) == ("release_burst", BEIJING, 5)
    # The next bad review of the window starts afresh: a new burst, since the threshold is still passed.
    late = bad_review(world, START + timedelta(seconds=20))
    assert take(world, late, now=decided_at) is Taken.HELD
    assert len(cases_of(world, CaseKind.BURST)) == 2


def test_a_genuine_review_left_without_its_case_gets_it_when_delivered_again(world: FakeWorld) -> None:
    reviews = flood(world, 12)
    for review in reviews:
        take(world, review)
    burst_id = burst_of(world)
    act_on_case(
        burst_id, BurstDecision(genuine=True, reason="真实"), actor=BEIJING, stores=world.case_stores(), now=START
    )
    # As if the decision had stopped after it was written, before this review's case was opened.
    del world.cases.stored[reviews[11].evaluation_id]
    assert take(world, reviews[11], now=START + timedelta(hours=1)) is Taken.OPENED
    assert world.cases.history(reviews[11].evaluation_id)[-1].detail["released_from_burst"] == burst_id
    assert take(world, reviews[11], now=START + timedelta(hours=2)) is Taken.ALREADY


def test_flood_keeps_the_reviews_as_flagged_evaluations_without_a_case_each(world: FakeWorld) -> None:
    reviews = flood(world, 15)
    for review in reviews:
        take(world, review)
    burst_id = burst_of(world)
    decision = BurstDecision(genuine=False, reason="同一时段脚本提交")
    closed = act_on_case(burst_id, decision, actor=BEIJING, stores=world.case_stores(), now=START + timedelta(hours=1))
    assert (closed.state, closed.burst_outcome) == (CaseState.CLOSED, BurstOutcome.FLOOD)
    assert len(cases_of(world, CaseKind.BAD_REVIEW)) == 10
    view = view_case(burst_id, actor=BEIJING, stores=world.case_stores(), now=START + timedelta(hours=1))
    assert [review.evaluation_id for review in view.burst] == [review.evaluation_id for review in reviews[10:]]
    assert all(world.evaluations.get(review.evaluation_id).bad_review for review in reviews[10:])
    with pytest.raises(Conflict):
        act_on_case(
            burst_id, BurstDecision(genuine=True, reason="改判"), actor=BEIJING, stores=world.case_stores(), now=START
        )


def test_a_burst_is_the_supervisors_alone(world: FakeWorld) -> None:
    for review in flood(world, 11):
        take(world, review)
    burst_id = burst_of(world)
    stores = world.case_stores()
    listed = list_cases(BEIJING, stores=stores, now=START, limit=50, cursor=None).items
    assert [item.kind for item in listed if item.evaluation_id == burst_id] == [CaseKind.BURST]
    assert burst_id not in {
        item.evaluation_id for item in list_cases(LI, stores=stores, now=START, limit=50, cursor=None).items
    }
    for outsider in (LI, HANGZHOU):
        with pytest.raises(Forbidden):
            view_case(burst_id, actor=outsider, stores=stores, now=START)
        with pytest.raises(Forbidden):
            act_on_case(burst_id, BurstDecision(genuine=True, reason="x"), actor=outsider, stores=stores, now=START)
    with pytest.raises(Forbidden):  # a burst is decided, not worked like a bad review
        act_on_case(burst_id, ContactRecord(reached=True, channel="sms"), actor=BEIJING, stores=stores, now=START)
    with pytest.raises(Conflict):
        act_on_case(burst_id, Conclusion(finding="x"), actor=BEIJING, stores=stores, now=START)
