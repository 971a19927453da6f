"""Whole loops of a bad review on moto, in frozen time: intake → stream → relay → queue → case →
staff handling → the evaluator's rating; the sweep, reopening, escalation, appeals and tampering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import boto3
import case_sweep
import pytest
import time_machine
from govrate import runtime
from govrate.analytics.facts import case_row

from tests.integration.conftest import AwsResources
from tests.integration.test_case_support import World, build_world

CST = timezone(timedelta(hours=8))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from build_world(aws, monkeypatch)


@pytest.fixture
def clock() -> Iterator[Any]:
    # Tuesday 30 September 2025, the last working day before the National Day holiday (1-8 October).
    with time_machine.travel(at("2025-09-30T10:00:00"), tick=False) as traveller:
        yield traveller


def actions(view: dict[str, Any]) -> list[str]:
    return [entry["action"] for entry in view["history"]]


def test_a_bad_review_is_handled_across_national_day_and_rated(world: World, clock: Any) -> None:
    review = world.review()
    evaluation_id = review["evaluation_id"]
    world.deliver()

    # Deadlines skip the holiday: verify by the end of Thursday 9 October; answer within 15 working
    # days, which count the adjusted working Saturday 11 October, so by the end of 28 October.
    li = world.staff("li.ming")
    listed = json.loads(world.get(li, "/v1/cases").body)
    assert [item["evaluation_id"] for item in listed["items"]] == [evaluation_id]
    assert listed["items"][0]["due_at"] == "2025-10-10T00:00:00+08:00"
    view = world.view(li, evaluation_id)
    assert view["case"]["answer_due_at"] == "2025-10-29T00:00:00+08:00"
    assert view["case"]["state"] == "received"
    assert view["contact"] == {"name": "张三", "phone": "13800138000", "email": None, "consent": True}
    assert actions(view) == ["open", "view_contact"]
    assert view["history"][1]["actor"]["name"] == "li.ming"

    # The first working day after the holiday.
    clock.move_to(at("2025-10-09T09:30:00"))
    li = world.sign_in("li.ming")
    world.ok_step(li, evaluation_id, "contact", {"reached": True, "channel": "phone", "note": "已致歉，约定整改"})
    world.ok_step(li, evaluation_id, "verification", {"substantiated": True, "finding": "窗口材料清单缺少一项"})
    world.ok_step(li, evaluation_id, "triage", {"outcome": "rectify_by_deadline", "note": "更新清单并培训窗口"})
    clock.move_to(at("2025-10-11T15:00:00"))  # the adjusted working Saturday
    li = world.sign_in("li.ming")
    world.ok_step(li, evaluation_id, "rectification", {"summary": "清单已更新，窗口人员已培训"})
    answered = world.ok_step(li, evaluation_id, "answer", {"message": "您反映的问题已核实并整改，感谢监督。"})
    assert answered["state"] == "answered"
    assert answered["answered_within_deadline"] is True

    shown = world.handling(review)
    assert shown["awaiting_rating"] is True
    assert shown["answer"] == "您反映的问题已核实并整改，感谢监督。"
    rated = world.rate(review, "satisfied", comment="态度很好")
    assert rated.status_code == 200, rated.body
    assert json.loads(rated.body)["state"] == "closed"

    final = world.view(li, evaluation_id)
    assert actions(final) == [
        "open",
        "view_contact",
        "contact",
        "verify",
        "triage",
        "rectify",
        "answer",
        "rate",
        "close",
        "view_contact",
    ]
    assert final["chain"] == {"intact": True, "entries": 10, "problems": []}
    assert world.notices() == [(evaluation_id, "answered"), (evaluation_id, "closed")]
    assert json.loads(world.get(li, "/v1/cases").body)["items"] == []  # closed cases leave the list

    facts = [case_row(case, datetime.now(UTC)) for case in runtime.case_repository().cases_on(date(2025, 9, 30))]
    assert [
        {
            name: fact[name]
            for name in (
                "evaluation_id",
                "real_name",
                "answered",
                "answered_within_deadline",
                "visited_and_rectified",
                "handling_rating",
                "excluded_from_rates",
            )
        }
        for fact in facts
    ] == [
        {
            "evaluation_id": evaluation_id,
            "real_name": True,
            "answered": True,
            "answered_within_deadline": True,
            "visited_and_rectified": True,
            "handling_rating": "satisfied",
            "excluded_from_rates": False,
        }
    ]
    # The status link the evaluator holds shows the outcome too.
    status = json.loads(world.intake.http.get(review["status_url"]).body)
    assert status["case"]["state"] == "closed"


def test_the_sweep_escalates_only_past_the_deadline_and_a_supervisor_resumes(world: World, clock: Any) -> None:
    evaluation_id = world.review(contact=False)["evaluation_id"]
    world.deliver()
    assert runtime.case_stores().cases.get(evaluation_id).real_name is False

    clock.move_to(at("2025-10-09T23:59:00"))  # the verify deadline is the end of 9 October
    assert case_sweep.handler({"id": "tick-1"}, world.ctx)["escalated"] == []

    clock.move_to(at("2025-10-10T00:15:00"))
    assert case_sweep.handler({"id": "tick-2"}, world.ctx)["escalated"] == [evaluation_id]
    assert case_sweep.handler({"id": "tick-3"}, world.ctx)["escalated"] == []  # escalated once only

    wang = world.supervisor("wang.fang", region="110000")  # Beijing supervises Chaoyang
    zhao = world.supervisor("zhao.lei", region="110105")
    for supervisor in (wang, zhao):
        listed = json.loads(world.get(supervisor, "/v1/cases").body)["items"]
        assert [(item["evaluation_id"], item["state"], item["due_at"]) for item in listed] == [
            (evaluation_id, "escalated", None)
        ]
    # Friday 10 October + 2 working days: Saturday 11 October is worked, then Monday 13.
    resumed = world.ok_step(wang, evaluation_id, "resumption", {"reason": "督促当日回访", "working_days": 2})
    assert (resumed["state"], resumed["verify_due_at"]) == ("received", "2025-10-14T00:00:00+08:00")
    view = world.view(wang, evaluation_id)
    assert actions(view) == ["open", "escalate_overdue", "resume"]  # anonymous: no contact view
    assert view["history"][1]["actor"] == {
        "role": "system",
        "subject": "system:sweep",
        "name": None,
        "agency_code": None,
        "region_code": None,
    }
    assert view["contact"] is None


def test_dissatisfied_evaluators_reopen_once_then_escalate_or_escalate_at_once(world: World, clock: Any) -> None:
    review = world.review()
    evaluation_id = review["evaluation_id"]
    world.deliver()
    li = world.staff("li.ming")

    def handle_and_answer(first: bool) -> None:
        if first:
            world.ok_step(li, evaluation_id, "contact", {"reached": True, "channel": "sms"})
            world.ok_step(li, evaluation_id, "verification", {"substantiated": False, "finding": "按规定办理"})
        world.ok_step(li, evaluation_id, "triage", {"outcome": "explain", "note": "政策规定需本人到场"})
        world.ok_step(li, evaluation_id, "answer", {"message": "依据规定须本人到场办理，敬请谅解。"})

    handle_and_answer(first=True)
    reopened = world.rate(review, "dissatisfied", comment="解释不清")
    assert json.loads(reopened.body)["state"] == "verified"
    assert world.rate(review, "satisfied").status_code == 409  # not answered again yet

    handle_and_answer(first=False)
    escalated = world.rate(review, "dissatisfied")
    assert json.loads(escalated.body)["state"] == "escalated"
    case = runtime.case_stores().cases.get(evaluation_id)
    assert (case.reopen_count, case.resume_state, case.handling_rating) == (1, "verified", "dissatisfied")
    assert case.visited_and_rectified is True  # visited and lawfully explained
    assert world.notices() == [
        (evaluation_id, "answered"),
        (evaluation_id, "reopened"),
        (evaluation_id, "answered"),
        (evaluation_id, "escalated"),
    ]

    # An anonymous evaluator asks for the supervisor at once; only the receipt lets anyone rate.
    anonymous = world.review(contact=False)
    other_id = anonymous["evaluation_id"]
    world.deliver()
    for step, body in (
        ("contact", {"reached": False, "channel": "phone"}),
        ("verification", {"substantiated": True, "finding": "属实"}),
        ("triage", {"outcome": "fix_now", "note": "当场更正"}),
        ("rectification", {"summary": "已更正"}),
        ("answer", {"message": "已更正。"}),
    ):
        world.ok_step(li, other_id, step, body)
    assert world.rate({**anonymous, "receipt": "not-the-receipt"}, "dissatisfied").status_code == 404
    assert world.cases.http.get(f"/v1/evaluations/{other_id}/handling?receipt=guessing1").status_code == 404
    assert json.loads(world.rate(anonymous, "dissatisfied", escalate=True).body)["state"] == "escalated"
    assert len(world.notices()) == 4  # anonymous evaluators follow the status link only
    facts = {fact.evaluation_id: fact for fact in runtime.case_repository().cases_on(date(2025, 9, 30))}
    assert (facts[other_id].real_name, facts[other_id].visited_and_rectified) == (False, False)
    assert (facts[evaluation_id].real_name, facts[evaluation_id].answered_within_deadline) == (True, True)


def test_the_status_pages_form_rates_the_handling_without_script(world: World, clock: Any) -> None:
    review = world.review(contact=False)
    evaluation_id, receipt = review["evaluation_id"], review["receipt"]
    world.deliver()
    li = world.staff("li.ming")
    for step, body in (
        ("contact", {"reached": False, "channel": "phone"}),
        ("verification", {"substantiated": True, "finding": "属实"}),
        ("triage", {"outcome": "explain", "note": "政策规定"}),
        ("answer", {"message": "依据规定须本人到场办理。"}),
    ):
        world.ok_step(li, evaluation_id, step, body)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    path = f"/e/{evaluation_id}/handling?lang=en"
    status = f"/e/{evaluation_id}?receipt={receipt}&lang=en"

    unchosen = world.cases.http.post(path, headers=form, body=f"receipt={receipt}&comment=".encode())
    assert unchosen.status_code == 303
    assert unchosen.headers["Location"].endswith(f"{status}&problem=rating#handling")
    assert runtime.case_stores().cases.get(evaluation_id).state == "answered"

    dissatisfied = f"receipt={receipt}&rating=dissatisfied&comment=%E8%A7%A3%E9%87%8A%E4%B8%8D%E6%B8%85".encode()
    rated = world.cases.http.post(path, headers=form, body=dissatisfied)
    assert rated.status_code == 303
    assert rated.headers["Location"].endswith(f"{status}#case")
    case = runtime.case_stores().cases.get(evaluation_id)
    assert (case.state, case.reopen_count, case.handling_rating) == ("verified", 1, "dissatisfied")
    again = world.cases.http.post(path, headers=form, body=dissatisfied)  # a second tap: the page as it stands
    assert again.headers["Location"] == rated.headers["Location"]
    assert runtime.case_stores().cases.get(evaluation_id).audit_count == case.audit_count

    shown = world.handling(review)
    assert (shown["reopened"], shown["awaiting_rating"]) == (True, False)
    assert shown["due_at"] == case.answer_due_at.isoformat()
    wrong = world.cases.http.post(path, headers=form, body=b"receipt=guessing1&rating=satisfied")
    assert wrong.status_code == 404
    assert "Evaluation not found" in wrong.body.decode()


def test_an_upheld_appeal_excludes_the_review_and_a_rejected_one_returns_to_triage(world: World, clock: Any) -> None:
    review = world.review()
    evaluation_id = review["evaluation_id"]
    world.deliver()
    li = world.staff("li.ming")
    world.ok_step(li, evaluation_id, "contact", {"reached": True, "channel": "phone"})
    world.ok_step(li, evaluation_id, "verification", {"substantiated": False, "finding": "当日该窗口未办理此事项"})
    no_evidence = world.step(li, evaluation_id, "triage", {"outcome": "appeal", "note": "恶意差评"})
    assert no_evidence.status_code == 422
    world.ok_step(
        li,
        evaluation_id,
        "triage",
        {"outcome": "appeal", "note": "恶意差评", "evidence": ["窗口3号 9月30日全天录像", "叫号系统记录"]},
    )
    assert world.step(li, evaluation_id, "appeal-decision", {"upheld": True, "reason": "x"}).status_code == 403

    # Under appeal no agency deadline runs, so the sweep leaves it to the supervisor.
    clock.move_to(at("2025-11-30T10:00:00"))
    assert case_sweep.handler({"id": "tick"}, world.ctx)["escalated"] == []

    zhao = world.supervisor("zhao.lei", region="110105")
    decided = world.ok_step(zhao, evaluation_id, "appeal-decision", {"upheld": True, "reason": "录像证实未办理"})
    assert (decided["state"], decided["excluded_from_rates"]) == ("closed", True)
    view = world.view(zhao, evaluation_id)
    triage = next(entry for entry in view["history"] if entry["action"] == "triage")
    assert triage["detail"]["evidence"] == ["窗口3号 9月30日全天录像", "叫号系统记录"]
    assert view["chain"]["intact"] is True
    # The evaluation itself is untouched and still followed with its receipt.
    assert world.intake.http.get(review["status_url"]).status_code == 200
    facts = next(iter(runtime.case_repository().cases_on(date(2025, 9, 30))))
    assert facts.excluded_from_rates is True
    assert world.notices() == [(evaluation_id, "closed")]

    # A rejected appeal sends the case back to triage, counted as usual.
    second_review = world.review(contact=False)
    second = second_review["evaluation_id"]
    world.deliver()
    li = world.sign_in("li.ming")
    world.ok_step(li, second, "contact", {"reached": False, "channel": "phone"})
    world.ok_step(li, second, "verification", {"substantiated": True, "finding": "属实"})
    world.ok_step(li, second, "triage", {"outcome": "appeal", "note": "不认可", "evidence": ["说明"]})
    rejected = world.ok_step(zhao, second, "appeal-decision", {"upheld": False, "reason": "证据不足"})
    assert (rejected["state"], rejected["triage"], rejected["excluded_from_rates"]) == ("verified", None, False)
    assert world.ok_step(li, second, "triage", {"outcome": "fix_now", "note": "立即整改"})["state"] == "triaged"


def test_tampering_with_the_audit_chain_is_detected(world: World, clock: Any) -> None:
    evaluation_id = world.review(contact=False)["evaluation_id"]
    world.deliver()
    li = world.staff("li.ming")
    world.ok_step(li, evaluation_id, "contact", {"reached": True, "channel": "visit", "note": "上门回访"})
    world.ok_step(li, evaluation_id, "verification", {"substantiated": True, "finding": "属实"})
    world.ok_step(li, evaluation_id, "triage", {"outcome": "fix_now", "note": "当场整改"})
    assert world.view(li, evaluation_id)["chain"]["intact"] is True
    dynamodb = boto3.client("dynamodb")
    key = {"pk": {"S": f"CASE#{evaluation_id}"}}

    # Someone with table access softens the record of the return visit.
    dynamodb.update_item(
        TableName=world.aws.cases_table,
        Key={**key, "sk": {"S": "AUDIT#000002"}},
        UpdateExpression="SET detail = :d",
        ExpressionAttributeValues={":d": {"S": json.dumps({"reached": False, "channel": "phone"})}},
    )
    chain = world.view(li, evaluation_id)["chain"]
    assert (chain["intact"], [(p["seq"], p["kind"]) for p in chain["problems"]]) == (False, [(2, "edited")])

    # … and then removes the verification entry altogether.
    dynamodb.delete_item(TableName=world.aws.cases_table, Key={**key, "sk": {"S": "AUDIT#000003"}})
    kinds = {(p["seq"], p["kind"]) for p in world.view(li, evaluation_id)["chain"]["problems"]}
    assert {(2, "edited"), (4, "missing"), (4, "broken_link")} <= kinds

    # Deleting the newest entry is caught by the chain head the case item keeps.
    items = world.case_items(evaluation_id)
    newest = max(item["sk"]["S"] for item in items if item["sk"]["S"].startswith("AUDIT#"))
    dynamodb.delete_item(TableName=world.aws.cases_table, Key={**key, "sk": {"S": newest}})
    chain = world.view(li, evaluation_id)["chain"]
    assert any(p["kind"] == "head_mismatch" for p in chain["problems"])


def test_the_sweep_warns_once_in_december_when_next_years_holidays_are_unknown(
    world: World, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    case_sweep._warn_unknown_year.cache_clear()
    clock.move_to(at("2026-12-01T10:00:00"))  # the package stops at 2026
    for tick in ("tick-1", "tick-2"):
        case_sweep.handler({"id": tick}, world.ctx)
    warnings = [record for record in caplog.records if "chinese-calendar package" in record.getMessage()]
    assert [(warning.levelname, warning.__dict__["year"]) for warning in warnings] == [("WARNING", 2027)]
