"""What a platform reads back, on the in-memory stores: an evaluation's outcome in its regions only, the
change feed of its regions' cases (resumed exactly by its cursor), and a trans-regional evaluation,
posted where it was applied for, handled by the handling region's agency and followed by both."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from govrate.cases.model import (
    Action,
    AnswerRecord,
    ContactRecord,
    Reassignment,
    StaffCommand,
    TriageDecision,
    VerificationRecord,
)
from govrate.cases.service import act_on_case, open_case, view_case
from govrate.evaluations.models import (
    CaseState,
    Channel,
    EvaluationSubmission,
    NegativeReviewMessage,
    PublicEvaluationSubmission,
    Stage,
)
from govrate.evaluations.store import StoredEvaluation
from govrate.identity.model import Actor, Role
from govrate.kernel.errors import Forbidden, Gone, InvalidInput, NotFound
from govrate.kernel.ids import new_id
from govrate.kernel.scale import Level
from govrate.platforms.models import ChangesQuery, OutcomeChanges
from govrate.platforms.outcomes import FeedCursors, outcome_changes, platform_outcome
from govrate.platforms.registry import PlatformKey
from govrate.platforms.service import submit_platform_evaluation
from govrate.upstream.models import RelayedCaseState
from pydantic import ValidationError

from tests.fakes.upstream import InMemoryCaseStates
from tests.fakes.world import FakeWorld

CST = timezone(timedelta(hours=8))
GIVEN = datetime(2025, 9, 30, 10, 0, tzinfo=CST)
BEIJING = PlatformKey(platform_id="bj", regions=("110000",), secret_arn="arn:bj")
ZHEJIANG = PlatformKey(platform_id="zj", regions=("330000",), secret_arn="arn:zj")
GUANGDONG = PlatformKey(platform_id="gd", regions=("440000",), secret_arn="arn:gd")
# A platform of the city of Beijing's districts (1101xx) only.
BEIJING_CITY = PlatformKey(platform_id="bj-city", regions=("110100",), secret_arn="arn:bjc")
LI = Actor(role=Role.STAFF, subject="li.ming", agency_code="110105-GA", region_code="110105")
CONTACT = {"name": "王女士", "phone": "13800138000", "consent": True}
FINDING = "窗口人员未按规定一次性告知"
CURSORS = FeedCursors("the stage's signing secret")


# The platform id of the stage of Beijing's Chaoyang district, which relays to this one.
CHAOYANG_STAGE = "chaoyang-stage"


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


def bad_review(world: FakeWorld, platform: PlatformKey, number: int, **fields: Any) -> str:
    """A bad review of a Beijing agency posted by `platform`, with its case opened as the consumer does."""
    body = {
        "item_code": "110105-GA-002",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "channel": "window_device",
        "level": 1,
        "reason_codes": ["attitude"],
        "external_id": f"EXT-{number:04d}",
        "evaluator": CONTACT,
        **fields,
    }
    accepted = submit_platform_evaluation(
        EvaluationSubmission.model_validate(body), platform=platform, stores=world.intake, now=GIVEN
    )
    stored = world.evaluations.get(accepted.evaluation_id)
    message = NegativeReviewMessage(
        evaluation_id=stored.evaluation_id,
        item_code=stored.item_code,
        agency_code=stored.agency_code,
        region_code=stored.region_code,
        level=stored.level,
        created_at=stored.created_at,
    )
    assert open_case(message, stores=world.case_stores(), now=GIVEN)
    return accepted.evaluation_id


def step(world: FakeWorld, evaluation_id: str, command: StaffCommand, minutes: int = 1) -> None:
    act_on_case(evaluation_id, command, actor=LI, stores=world.case_stores(), now=GIVEN + timedelta(minutes=minutes))


def answer(world: FakeWorld, evaluation_id: str) -> None:
    step(world, evaluation_id, ContactRecord(reached=True, channel="phone", note="联系上了"), 10)
    step(world, evaluation_id, VerificationRecord(substantiated=True, finding=FINDING), 20)
    step(world, evaluation_id, TriageDecision(outcome="explain", note="内部说明：政策规定需本人到场"), 30)
    step(world, evaluation_id, AnswerRecord(message="已整改，感谢您的监督。"), 40)


def changes(world: FakeWorld, platform: PlatformKey, since: str | None = None, limit: int = 100) -> OutcomeChanges:
    return outcome_changes(ChangesQuery(since=since, limit=limit), platform=platform, feed=world.cases, cursors=CURSORS)


def outcome(
    world: FakeWorld, evaluation_id: str, platform: PlatformKey, relayed_cases: InMemoryCaseStates | None = None
) -> Any:
    return platform_outcome(
        evaluation_id,
        platform=platform,
        evaluations=world.evaluations,
        cases=world.cases,
        follow_ups=world.follow_ups,
        relayed_cases=relayed_cases or InMemoryCaseStates(),
    )


def test_the_outcome_shows_the_answer_and_deadlines_never_the_contact_or_the_staffs_notes(world: FakeWorld) -> None:
    evaluation_id = bad_review(world, BEIJING, 1)
    answer(world, evaluation_id)
    view_case(evaluation_id, actor=LI, stores=world.case_stores(), now=GIVEN + timedelta(hours=1))
    assert world.cases.history(evaluation_id)[-1].action is Action.VIEW_CONTACT

    shown = outcome(world, evaluation_id, BEIJING)

    assert shown.case is not None
    assert (shown.case.state, shown.case.answer) == (CaseState.ANSWERED, "已整改，感谢您的监督。")
    assert shown.case.awaiting_rating
    assert shown.case.verify_due_at < shown.case.answer_due_at
    # Viewing the contact is audited but changes nothing the evaluator sees.
    assert shown.case.changed_at == GIVEN + timedelta(minutes=40)
    document = shown.model_dump_json()
    for secret in ("13800138000", "王女士", FINDING, "联系上了", "内部说明"):
        assert secret not in document


def test_an_evaluation_outside_the_platforms_regions_is_not_found_like_an_unknown_one(world: FakeWorld) -> None:
    evaluation_id = bad_review(world, BEIJING, 1)
    with pytest.raises(NotFound):
        outcome(world, evaluation_id, ZHEJIANG)
    with pytest.raises(NotFound):
        outcome(world, "01K0000000000000000000000X", BEIJING)


def test_the_feed_resumes_exactly_after_the_last_change_page_by_page(world: FakeWorld) -> None:
    first, second = bad_review(world, BEIJING, 1), bad_review(world, BEIJING, 2)
    answer(world, first)
    answer(world, second)  # 2 openings and 8 steps: 10 changes
    seen: list[tuple[str, CaseState]] = []
    since = None
    for _ in range(10):
        page = changes(world, BEIJING, since, limit=3)
        seen += [(change.evaluation_id, change.case.state) for change in page.changes]
        since = page.next_cursor
        if not page.more:
            break
    steps = [CaseState.RECEIVED, CaseState.CONTACTED, CaseState.VERIFIED, CaseState.TRIAGED, CaseState.ANSWERED]
    assert [state for evaluation_id, state in seen if evaluation_id == first] == steps
    assert [state for evaluation_id, state in seen if evaluation_id == second] == steps
    assert len(seen) == 10

    assert changes(world, BEIJING, since).changes == []
    view_case(first, actor=LI, stores=world.case_stores(), now=GIVEN + timedelta(hours=1))  # audited, not shown
    assert changes(world, BEIJING, since).changes == []


def test_a_city_platform_reads_only_its_citys_changes_and_its_cursor_passes_the_others(world: FakeWorld) -> None:
    chaoyang = bad_review(world, BEIJING, 1)
    yanqing = bad_review(world, BEIJING, 2, applied_region_code="110229")
    page = changes(world, PlatformKey(platform_id="yq", regions=("110229",), secret_arn="arn:yq"))
    assert [change.evaluation_id for change in page.changes] == [yanqing]
    assert {change.evaluation_id for change in changes(world, BEIJING_CITY).changes} == {chaoyang, yanqing}


def refused_naming_since(world: FakeWorld, platform: PlatformKey, cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        changes(world, platform, cursor)
    assert refused.value.errors[0]["field"] == "since"


def test_a_cursor_of_no_feed_is_refused_naming_since(world: FakeWorld) -> None:
    unsigned = [
        base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")
        for document in ('{"v":1,"after":{"110000":1}}', '{"v":1,"after":{}}', "[]")
    ]
    for cursor in ("not-a-cursor", "游标", "a.b", *unsigned):
        refused_naming_since(world, BEIJING, cursor)
    refused_naming_since(world, BEIJING, FeedCursors("another stage's secret").cursor({}, BEIJING))


def test_an_edited_cursor_is_refused_naming_since(world: FakeWorld) -> None:
    for number in range(3):
        bad_review(world, BEIJING, number)
    cursor = changes(world, BEIJING).next_cursor
    payload, signature = cursor.rsplit(".", 1)
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert document == {"v": 1, "after": {"110000": 3}}
    for after in (1, 999):  # back, to read changes again; ahead, to skip the changes to come
        edited = json.dumps({"v": 1, "after": {"110000": after}}, separators=(",", ":")).encode()
        refused_naming_since(world, BEIJING, f"{base64.urlsafe_b64encode(edited).decode().rstrip('=')}.{signature}")
    refused_naming_since(world, BEIJING, f"{payload}.{signature[:-2]}")
    assert changes(world, BEIJING, cursor).changes == []  # the cursor as handed out is read


def test_another_platforms_cursor_is_refused_naming_since(world: FakeWorld) -> None:
    bad_review(world, BEIJING, 1)
    city_cursor = changes(world, BEIJING_CITY).next_cursor  # the same province, another platform
    refused_naming_since(world, BEIJING, city_cursor)
    assert changes(world, BEIJING_CITY, city_cursor).changes == []


def test_a_cursor_past_the_provinces_head_is_refused_lest_later_changes_be_skipped(world: FakeWorld) -> None:
    bad_review(world, BEIJING, 1)
    refused_naming_since(world, BEIJING, CURSORS.cursor({"110000": 2}, BEIJING))
    at_head = CURSORS.cursor({"110000": 1}, BEIJING)
    assert changes(world, BEIJING, at_head).changes == []
    later = bad_review(world, BEIJING, 2)
    assert [change.evaluation_id for change in changes(world, BEIJING, at_head).changes] == [later]


def test_a_cursor_whose_next_change_has_expired_is_gone(world: FakeWorld) -> None:
    evaluation_id = bad_review(world, BEIJING, 1)
    cursor = changes(world, BEIJING).next_cursor
    answer(world, evaluation_id)
    world.cases.feeds["110000"] = world.cases.feeds["110000"][2:]  # past the retention
    with pytest.raises(Gone):
        changes(world, BEIJING, cursor)
    assert changes(world, BEIJING).changes  # without `since`: from the oldest change kept


def test_a_trans_regional_review_goes_to_the_handling_agency_and_both_regions_follow_it(world: FakeWorld) -> None:
    # Applied for in Hangzhou (Zhejiang), handled by a Beijing agency: Zhejiang's platform posts it.
    evaluation_id = bad_review(world, ZHEJIANG, 1, applied_region_code="330106")

    case = world.cases.get(evaluation_id)
    assert (case.agency_code, case.region_code, case.applied_region_code) == ("110105-GA", "110105", "330106")
    answer(world, evaluation_id)  # by the handling agency's staff
    for platform in (BEIJING, ZHEJIANG):
        assert outcome(world, evaluation_id, platform).case.state is CaseState.ANSWERED
        assert [change.case.state for change in changes(world, platform).changes][-1] is CaseState.ANSWERED
    with pytest.raises(NotFound):
        outcome(world, evaluation_id, GUANGDONG)
    assert changes(world, GUANGDONG).changes == []


def test_a_platform_of_both_provinces_reads_each_change_of_a_trans_regional_case_once(world: FakeWorld) -> None:
    evaluation_id = bad_review(world, ZHEJIANG, 1, applied_region_code="330106")
    answer(world, evaluation_id)
    both = PlatformKey(platform_id="both", regions=("330000", "110000"), secret_arn="arn:both")
    page = changes(world, both, limit=3)
    states = [change.case.state for change in page.changes]
    while page.more:
        page = changes(world, both, page.next_cursor, limit=3)
        states += [change.case.state for change in page.changes]
    steps = [CaseState.RECEIVED, CaseState.CONTACTED, CaseState.VERIFIED, CaseState.TRIAGED, CaseState.ANSWERED]
    assert states == steps
    # Zhejiang's province alone: from its own feed.
    assert [change.case.state for change in changes(world, ZHEJIANG).changes] == steps


def test_a_platform_posts_a_trans_regional_evaluation_only_when_one_of_its_regions_is_named(world: FakeWorld) -> None:
    with pytest.raises(Forbidden) as refused:
        bad_review(world, GUANGDONG, 1, applied_region_code="330106")
    assert refused.value.errors[0]["field"] == "region_code"


def test_applied_for_where_it_was_handled_is_no_trans_regional_service() -> None:
    body = {"agency_code": "110105-GA", "region_code": "110105", "channel": "hotline", "level": 4}
    same = EvaluationSubmission.model_validate({**body, "applied_region_code": "110105"})
    assert same.applied_region_code is None
    with pytest.raises(ValidationError) as invalid:
        EvaluationSubmission.model_validate({**body, "applied_region_code": "33010"})
    assert invalid.value.errors()[0]["loc"] == ("applied_region_code",)


def test_the_public_endpoint_takes_no_applied_for_region() -> None:
    body = {"agency_code": "110105-GA", "region_code": "110105", "level": 4, "applied_region_code": "330106"}
    with pytest.raises(ValidationError) as invalid:
        PublicEvaluationSubmission.model_validate(body)
    assert invalid.value.errors()[0]["loc"] == ("applied_region_code",)


def relayed_state(case_id: str, version: int, state: CaseState, **fields: Any) -> RelayedCaseState:
    given = {"agency_code": "110105-GA", "region_code": "110105", "opened_at": GIVEN + timedelta(seconds=2)}
    return RelayedCaseState.model_validate(
        {**given, "case_id": case_id, "state": state, "version": version, "evaluated_at": GIVEN, **fields}
    )


def test_a_relayed_bad_review_shows_its_case_as_the_newest_state_relayed(world: FakeWorld) -> None:
    relayed_cases = InMemoryCaseStates()
    evaluation_id = new_id(GIVEN)
    world.evaluations.add(  # as the relay stores it: no comment, no receipt, no contact
        StoredEvaluation(
            evaluation_id=evaluation_id,
            item_code=None,
            agency_code="110105-GA",
            region_code="110105",
            channel=Channel.WINDOW_DEVICE,
            stage=Stage.OVERALL,
            level=Level(1),
            comment=None,
            created_at=GIVEN,
            receipt_hash="",
            submitted_by=CHAOYANG_STAGE,
            relayed_by=CHAOYANG_STAGE,
            relayed_real_name=True,
        )
    )
    assert outcome(world, evaluation_id, BEIJING, relayed_cases).case is None  # no state relayed yet

    answered_at = GIVEN + timedelta(days=1)
    answered = relayed_state(
        evaluation_id,
        7,
        CaseState.ANSWERED,
        agency_code="110105-SW",  # reassigned at the downstream
        answered_at=answered_at,
        answered_within_deadline=True,
    )
    for state in (answered, relayed_state(evaluation_id, 3, CaseState.VERIFIED)):  # the older one changes nothing
        relayed_cases.apply(state, CHAOYANG_STAGE)
    case = outcome(world, evaluation_id, BEIJING, relayed_cases).case
    assert case.model_dump(mode="json") == {
        "state": "answered",
        "opened_at": (GIVEN + timedelta(seconds=2)).isoformat(),
        "answer": None,
        "answered_at": answered_at.isoformat(),
        "awaiting_rating": True,
        "handling_rating": None,
        "reopened": False,
        "reopen_count": 0,
        "due_at": None,
        "agency_code": "110105-SW",
        "verify_due_at": None,
        "answer_due_at": None,
        "answered_within_deadline": True,
        "escalated": False,
        "changed_at": None,
        "relayed_by": "chaoyang-stage",
    }
    reopened = relayed_state(evaluation_id, 9, CaseState.VERIFIED, reopen_count=1, handling_rating="dissatisfied")
    relayed_cases.apply(reopened, CHAOYANG_STAGE)
    case = outcome(world, evaluation_id, BEIJING, relayed_cases).case
    assert (case.state, case.reopened, case.handling_rating, case.awaiting_rating) == (
        CaseState.VERIFIED,
        True,
        "dissatisfied",
        False,
    )
    with pytest.raises(NotFound):
        outcome(world, evaluation_id, ZHEJIANG, relayed_cases)
    assert changes(world, BEIJING).changes == []  # the feed lists this stage's own cases


def test_the_outcome_names_the_agency_handling_the_case_after_a_reassignment(world: FakeWorld) -> None:
    evaluation_id = bad_review(world, BEIJING, 1)
    assert outcome(world, evaluation_id, BEIJING).case.agency_code == "110105-GA"
    supervisor = Actor(role=Role.SUPERVISOR, subject="wang.fang", region_code="110000")
    reassignment = Reassignment(agency_code="110105-RS", reason="人社事项，转人社局办理")
    act_on_case(evaluation_id, reassignment, actor=supervisor, stores=world.case_stores(), now=GIVEN)
    shown = outcome(world, evaluation_id, BEIJING)
    assert (shown.agency_code, shown.case.agency_code, shown.case.relayed_by) == ("110105-GA", "110105-RS", None)
    assert changes(world, BEIJING).changes[-1].case.agency_code == "110105-RS"
