"""Bursts on moto, through the stream, the queue and the staff API: beyond the threshold the bad
reviews of an item wait in one burst case; a redelivery adds nothing; the supervisor's decision
opens a case for each, or keeps them as flagged evaluations; the reconciler leaves held reviews be."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from govrate import runtime
from govrate.cases import service
from govrate.cases.model import PressureReport
from govrate.evaluations.reconcile import ReconcileReport, reconcile_bad_reviews
from govrate.storage.queue import MessageQueue

from tests.integration.conftest import AwsResources
from tests.integration.staff_support import ConsoleBrowser, Staff
from tests.integration.test_case_support import World, build_world

THRESHOLD = 3


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("GOVRATE_BURST_PER_ITEM", str(THRESHOLD))
    yield from build_world(aws, monkeypatch)


def planted_burst(world: World, supervisor: Staff, count: int) -> tuple[list[str], str]:
    """`count` bad reviews of one item at once, delivered: their ids and the burst case's id."""
    ids = [world.review(contact=False)["evaluation_id"] for _ in range(count)]
    world.deliver()
    listed = json.loads(world.get(supervisor, "/v1/cases").body)["items"]
    bursts = [item["evaluation_id"] for item in listed if item["kind"] == "burst"]
    assert len(bursts) == 1, listed
    return ids, bursts[0]


def reconcile(world: World) -> ReconcileReport:
    return reconcile_bad_reviews(
        [runtime.now().date()],
        evaluations=runtime.evaluation_repository(),
        cases=runtime.case_repository(),
        queue=MessageQueue(world.aws.queue_url, "negative-review"),
        settled_before=datetime.now(UTC) + timedelta(minutes=1),
    )


def member_ids(view: dict[str, Any]) -> list[str]:
    return [review["evaluation_id"] for review in view["burst"]]


def test_a_planted_burst_is_held_and_a_redelivery_adds_nothing(world: World) -> None:
    supervisor = world.supervisor("wang.fang", region="110000")
    ids, burst_id = planted_burst(world, supervisor, 6)
    opened = [i for i in ids if any(item["sk"]["S"] == "CASE" for item in world.case_items(i))]
    held = member_ids(world.view(supervisor, burst_id))
    assert len(opened) == THRESHOLD and sorted(opened + held) == sorted(ids)
    # Every message again: no second case, no second place in the burst.
    for evaluation_id in ids:
        evaluation = runtime.evaluation_repository().get(evaluation_id)
        world.send_raw(
            json.dumps(
                {
                    "evaluation_id": evaluation_id,
                    "item_code": evaluation.item_code,
                    "agency_code": evaluation.agency_code,
                    "region_code": evaluation.region_code,
                    "level": int(evaluation.level),
                    "created_at": evaluation.created_at.isoformat(),
                }
            )
        )
    world.drain()
    assert member_ids(world.view(supervisor, burst_id)) == held
    assert [i for i in ids if any(item["sk"]["S"] == "CASE" for item in world.case_items(i))] == opened
    # Staff of the agency neither list nor open the burst.
    staff = world.staff("li.ming", agency="110105-GA")
    assert burst_id not in {item["evaluation_id"] for item in json.loads(world.get(staff, "/v1/cases").body)["items"]}
    assert world.get(staff, f"/v1/cases/{burst_id}").status_code == 403
    # The rate facts read the bad reviews' cases only: the burst is not one.
    assert {case.evaluation_id for case in runtime.case_repository().cases_on(runtime.now().date())} == set(opened)
    # The reconciler sends none of them again: each has its case or waits in its burst.
    report = reconcile(world)
    assert (report.bad_reviews, report.resent) == (6, [])


def test_genuine_opens_a_case_for_each_held_review(world: World) -> None:
    supervisor = world.supervisor("wang.fang", region="110000")
    _, burst_id = planted_burst(world, supervisor, 5)
    held = member_ids(world.view(supervisor, burst_id))
    staff = world.staff("li.ming", agency="110105-GA")
    assert world.step(staff, burst_id, "burst-decision", {"genuine": True, "reason": "x"}).status_code == 403
    decided = world.ok_step(supervisor, burst_id, "burst-decision", {"genuine": True, "reason": "真实评价"})
    assert (decided["state"], decided["burst_outcome"]) == ("closed", "genuine")
    for evaluation_id in held:
        case = world.view(staff, evaluation_id)
        assert case["case"]["state"] == "received"
        assert case["history"][0]["detail"]["released_from_burst"] == burst_id
    history = world.view(supervisor, burst_id)["history"]
    assert [entry["action"] for entry in history] == ["open", "release_burst"]
    assert world.view(supervisor, burst_id)["chain"]["intact"]
    assert world.step(supervisor, burst_id, "burst-decision", {"genuine": False, "reason": "x"}).status_code == 409


def test_a_decision_that_stopped_before_the_cases_is_healed_by_the_reconciler(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = world.supervisor("wang.fang", region="110000")
    _, burst_id = planted_burst(world, supervisor, 5)
    held = member_ids(world.view(supervisor, burst_id))
    # The decision is written, but the function stops before it opens any case.
    monkeypatch.setattr(service, "_release_burst", lambda *args: None)
    world.ok_step(supervisor, burst_id, "burst-decision", {"genuine": True, "reason": "真实评价"})
    monkeypatch.undo()
    assert all([item["sk"]["S"] for item in world.case_items(i)] == ["BURST"] for i in held)
    report = reconcile(world)
    assert sorted(report.resent) == sorted(held)
    world.drain()
    assert all(world.view(supervisor, i)["history"][0]["detail"]["released_from_burst"] == burst_id for i in held)
    assert reconcile(world).resent == []


def test_flood_keeps_the_reviews_without_a_case_each(world: World) -> None:
    supervisor = world.supervisor("wang.fang", region="110000")
    _, burst_id = planted_burst(world, supervisor, 5)
    held = member_ids(world.view(supervisor, burst_id))
    decided = world.ok_step(supervisor, burst_id, "burst-decision", {"genuine": False, "reason": "脚本刷评"})
    assert (decided["state"], decided["burst_outcome"]) == ("closed", "flood")
    for evaluation_id in held:
        assert [item["sk"]["S"] for item in world.case_items(evaluation_id)] == ["BURST"]
        assert runtime.evaluation_repository().get(evaluation_id).bad_review
    assert member_ids(world.view(supervisor, burst_id)) == held


def test_the_evaluator_of_a_held_review_is_told_it_awaits_then_that_it_was_judged_together(world: World) -> None:
    supervisor = world.supervisor("wang.fang", region="110000")
    accepted = {review["evaluation_id"]: review for review in (world.review(contact=False) for _ in range(5))}
    world.deliver()
    burst_id = next(
        item["evaluation_id"]
        for item in json.loads(world.get(supervisor, "/v1/cases").body)["items"]
        if item["kind"] == "burst"
    )
    held = member_ids(world.view(supervisor, burst_id))

    def status(evaluation_id: str) -> dict[str, Any]:
        receipt = accepted[evaluation_id]["receipt"]
        response = world.intake.http.get(f"/v1/evaluations/{evaluation_id}?receipt={receipt}")
        assert response.status_code == 200, response.body
        shown: dict[str, Any] = json.loads(response.body)
        return shown

    opened = next(i for i in accepted if i not in held)
    assert status(opened)["burst"] is None and status(opened)["case"] is not None
    assert [(status(i)["case"], status(i)["burst"]) for i in held] == [(None, "awaiting")] * len(held)
    world.ok_step(supervisor, burst_id, "burst-decision", {"genuine": False, "reason": "脚本刷评"})
    assert [(status(i)["case"], status(i)["burst"]) for i in held] == [(None, "flood")] * len(held)


def test_the_supervisor_decides_a_burst_in_the_console(world: World) -> None:
    supervisor = world.supervisor("wang.fang", region="110000")
    _, burst_id = planted_burst(world, supervisor, 5)
    held = member_ids(world.view(supervisor, burst_id))
    browser = ConsoleBrowser(world.cases)
    browser.sign_in("wang.fang")
    listing = browser.get("/console/cases").body.decode()
    entry = listing.split(f'href="/console/cases/{burst_id}"', 1)[0].rsplit("<li", 1)[1]
    assert 'class="case supervision' in entry
    assert "集中差评待定 burst of bad reviews awaiting a decision" in listing
    page_path = f"/console/cases/{burst_id}"
    page = browser.get(page_path).body.decode()
    burst = page.split('aria-labelledby="burst">', 1)[1].split("</section>", 1)[0]
    assert "集中差评待定 burst of bad reviews awaiting a decision" in burst
    # The decision is two radio buttons whose labels wrap, not a select wider than a phone.
    assert "<select" not in page and page.count('type="radio" name="genuine"') == 2
    assert "The 2 held bad reviews" in burst
    assert all(evaluation_id in burst for evaluation_id in held)
    assert burst.count("1 非常不满意 Very dissatisfied") == 2  # each review's level by its name
    # Names, not codes: the kind, the counted subject, the history's steps.
    assert "部门 Agency 110105-GA · 事项 Service item 110105-GA-001" in page
    assert not any(code in page for code in ("item#", "window#", ">burst<", ">open<", "bad_review"))
    assert "评价人 Evaluator" not in page  # each held review has its own evaluator, shown in its own case
    assert f'action="{page_path}/burst-decision"' in page
    assert f'action="{page_path}/contact"' not in page  # a burst is decided, not worked
    decided = browser.submit(page_path, f"{page_path}/burst-decision", {"genuine": "true", "reason": "均为真实办件"})
    assert (decided.status_code, decided.headers["Location"]) == (303, page_path)
    page = browser.get(page_path).body.decode()
    assert "认定真实，已逐条立案 judged genuine: a case each" in page
    burst = page.split('aria-labelledby="burst">', 1)[1].split("</section>", 1)[0]
    assert "集中差评（已认定真实） burst of bad reviews judged genuine" in burst
    assert "awaiting a decision" not in burst
    assert "认定真实，逐条立案 burst judged genuine: a case each" in page  # the history's step
    assert all(f'href="/console/cases/{evaluation_id}"' in page for evaluation_id in held)
    assert "/burst-decision" not in page
    # The agency's staff see neither the burst in their list nor its page.
    world.staff("li.ming", agency="110105-GA")
    staff = ConsoleBrowser(world.cases)
    staff.sign_in("li.ming")
    assert burst_id not in staff.get("/console/cases").body.decode()
    assert staff.get(page_path).status_code == 403


def test_a_pressure_report_in_the_console_is_named_and_for_supervisors_only(world: World) -> None:
    supervisor = world.supervisor("wang.fang", region="110000")
    report = PressureReport(
        report_id=PressureReport.id_for("a served form"),
        agency_code="110105-GA",
        region_code="110105",
        window_id="W-07",
        item_code="110105-GA-001",
        comment="工作人员要求当面点满意",
        page="window_qr",
    )
    assert service.report_pressure(report, stores=runtime.case_stores(), now=runtime.now())
    case_path = f"/console/cases/{report.report_id}"
    browser = ConsoleBrowser(world.cases)
    browser.sign_in("wang.fang")
    listing = browser.get("/console/cases?q=W-07").body.decode()
    assert "举报：被要求或催促评价 report: pressed to rate" in listing and "窗口 Window W-07" in listing
    page = browser.get(case_path).body.decode()
    shown = page.split('aria-labelledby="report">', 1)[1].split("</section>", 1)[0]
    for named in ("举报：被要求或催促评价", "W-07", "工作人员要求当面点满意", "窗口二维码评价页"):
        assert named in shown
    assert "监督平台 supervision platform" in page  # the opening step's channel, by its name
    assert not any(code in page for code in ("pressure_report", "window_qr", "supervision_platform"))
    assert f'action="{case_path}/conclusion"' in page and f'action="{case_path}/contact"' not in page
    concluded = browser.submit(case_path, f"{case_path}/conclusion", {"finding": "已约谈窗口负责人"})
    assert (concluded.status_code, concluded.headers["Location"]) == (303, case_path)
    page = browser.get(case_path).body.decode()
    assert "核查结论 report concluded" in page and "已办结 closed" in page
    assert world.view(supervisor, report.report_id)["case"]["state"] == "closed"
    world.staff("li.ming", agency="110105-GA")
    staff = ConsoleBrowser(world.cases)
    staff.sign_in("li.ming")
    assert staff.get(case_path).status_code == 403
