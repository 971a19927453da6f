"""The whole loop of a bad review as its two people live it, in a real browser on the local stack.

A citizen rates 1 with reasons (without JavaScript, at a phone's width) and keeps the receipt; staff
see the complaint, contact the evaluator, verify, triage, rectify and answer in the console; the
citizen reads the answer on the status page and rates the handling dissatisfied, which reopens the
case; staff answer again; the citizen is satisfied and the case is closed. Every page is checked with
axe-core (no serious or moderate finding) and for sideways scrolling at 390 px, and each step is kept
as a screenshot at phone and desktop size in test-artifacts/e2e/ (`loop-*-phone.png`, `…-desktop.png`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from tests.e2e.conftest import ARTIFACTS, assert_accessible, new_context, screenshot
from tests.e2e.govrate_client import demo_window
from tests.e2e.test_case_console import AGENCY, FITS_THE_WIDTH, account, bearer
from tests.e2e.test_local_stack import dynamodb
from tests.e2e.test_rating_in_browser import RECEIPT_PAGE, choose, wait_for_the_case

pytestmark = pytest.mark.e2e

PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=900)
NOT_ACCEPTED = ("critical", "serious", "moderate")
COMMENT = "材料清单没有讲清楚，跑了三趟"
STATUS_LINK = re.compile(r"/e/[0-9A-Z]{26}\?receipt=[\w-]+$")
# What is under 44 px tall of the controls and links a selector names.
SMALLER_THAN_44 = """selector => Array.from(document.querySelectorAll(selector))
    .filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))"""
# The console's controls and the links that stand alone.
CONSOLE_TARGETS = "button, select, input:not([type=hidden]), textarea, header a, a.button, a.back, li.case > a"
# A citizen's page: every link and button, and the fields typed in (choices are tapped on their labels).
CITIZEN_TARGETS = "a, button, label.choice, textarea, input[type=text], input[type=tel], input[type=email]"


@pytest.fixture
def citizen(browser: Browser) -> Iterator[BrowserContext]:
    """A phone without JavaScript: every citizen page must work as plain forms."""
    context = new_context(browser, javascript=False, viewport=PHONE)
    yield context
    context.close()


@pytest.fixture
def staff(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser, viewport=PHONE)
    yield context
    context.close()


def step(page: Page, name: str, targets: str = CITIZEN_TARGETS) -> None:
    """Hold the page to axe (nothing serious or moderate), to the phone's width and to tap targets of at
    least 44 px; keep it at both sizes."""
    assert page.evaluate(FITS_THE_WIDTH), f"{name}: the page scrolls sideways at 390 px"
    assert page.evaluate(SMALLER_THAN_44, targets) == [], f"{name}: tap targets under 44 px"
    assert_accessible(page, f"loop-{name}")
    report = json.loads((ARTIFACTS / f"loop-{name}.axe.json").read_text(encoding="utf-8"))
    found = [violation for violation in report if violation["impact"] in NOT_ACCEPTED]
    assert not found, f"{name}: {json.dumps(found, ensure_ascii=False, indent=2)}"
    screenshot(page, f"loop-{name}-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"loop-{name}-desktop")
    page.set_viewport_size(PHONE)


def fill_the_bad_review(page: Page, comment: str = COMMENT) -> None:
    choose(page, "户口迁移登记")
    choose(page, "非常不满意")
    choose(page, "办理慢、等候久")
    choose(page, "来回跑、多次跑")
    page.get_by_label("意见建议（选填）").fill(comment)
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_label("我同意办理部门就本次评价及其处理情况与我联系", exact=False).check()


def resend(page: Page, url: str, html: str) -> None:
    """Show the page at `url` as it was served (`html`, its form token included); its form posts to the server."""

    def as_it_was(route: Route) -> None:
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    page.route(url, as_it_was)
    page.goto(url)
    page.unroute(url)  # the form's post goes to the server


def console_step(page: Page, name: str) -> None:
    step(page, name, CONSOLE_TARGETS)


def sign_in(context: BrowserContext, stack: dict[str, Any]) -> Page:
    person = account(stack, role="staff", agency=AGENCY)
    page = context.new_page()
    page.goto(f"{stack['api_url']}/console/login")
    page.get_by_label("User name").fill(person["username"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open cases")).to_be_visible()
    return page


def record(page: Page, title: str, fields: dict[str, str]) -> None:
    """Fill one step's form of the case page (labels are bilingual; a select by its option's text)."""
    form = page.locator("form.step").filter(has=page.get_by_role("heading", name=title))
    for label, value in fields.items():
        field = form.get_by_label(label)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    with page.expect_navigation():  # the post answers with the case page again
        form.get_by_role("button", name="Record").click()


def test_a_bad_review_goes_round_the_loop_until_the_citizen_is_satisfied(
    stack: dict[str, Any], citizen: BrowserContext, staff: BrowserContext
) -> None:
    # The citizen rates 1 with reasons and a contact, and keeps the receipt.
    phone = citizen.new_page()
    phone.goto(demo_window(stack)["url"])
    served_form = phone.content()
    fill_the_bad_review(phone)
    step(phone, "01-citizen-rates-1")
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_url(RECEIPT_PAGE)
    receipt_url = phone.url
    expect(phone.get_by_text("非常不满意")).to_be_visible()
    expect(phone.get_by_text("来回跑、多次跑")).to_be_visible()  # the receipt repeats the reasons
    step(phone, "02-receipt")
    # The same form sent again, as after a lost answer or a second tap: the browser still holds the page
    # it posted (served here as it was), and the post lands on the same receipt, status link and all.
    resend(phone, demo_window(stack)["url"], served_form)
    fill_the_bad_review(phone)
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_url(RECEIPT_PAGE)
    assert phone.url == receipt_url
    status_url = phone.get_by_role("link", name="查看我的评价及处理进度").get_attribute("href") or ""
    assert STATUS_LINK.search(status_url), status_url
    phone.goto(status_url)
    wait_for_the_case(phone)
    case_id = status_url.split("/e/")[1].split("?")[0]

    # Staff find it among their open cases and see the complaint in full.
    desk = sign_in(staff, stack)
    desk.get_by_label("搜索 Search").fill(case_id)
    desk.get_by_role("button", name="筛选 Filter").click()
    entry = desk.locator("li.case", has=desk.get_by_text(case_id))
    expect(entry).to_contain_text("户口迁移登记")
    expect(entry).to_contain_text("1 非常不满意 Very dissatisfied")
    expect(entry).to_contain_text("剩 ")  # working days left
    console_step(desk, "03-staff-case-list")
    entry.get_by_role("link").click()
    complaint = desk.locator("section.complaint")
    expect(complaint).to_contain_text("非常不满意")
    expect(complaint).to_contain_text("办理慢、等候久 Slow, long wait")
    expect(complaint).to_contain_text("来回跑、多次跑 Had to come back again")
    expect(complaint).to_contain_text(COMMENT)
    expect(complaint).to_contain_text("窗口二维码 window QR code")
    console_step(desk, "04-staff-case")
    desk.get_by_role("button", name="Show the contact").click()
    expect(desk.get_by_text("13912345678")).to_be_visible()
    # Shown after a redirect: reloading the page shows it again without another audited view.
    assert desk.url.endswith("/evaluator-contact")
    desk.reload()
    expect(desk.get_by_text("13912345678")).to_be_visible()
    expect(desk.locator("ol.history").get_by_text("查看联系方式 contact viewed")).to_have_count(1)

    record(desk, "Return visit", {"联系上 Reached": "否 no", "方式 Channel": "电话 phone"})  # no note: optional
    # A finding of blanks passes the browser's check: the same page comes back, the message beside the field.
    record(desk, "Verification", {"属实 Substantiated": "是 yes", "核实情况 Finding": "   "})
    expect(desk.locator("#step-verification .field-error")).to_have_text("请填写此项 Please fill this in.")
    expect(desk.locator("#step-verification textarea[name=finding]")).to_have_attribute("aria-invalid", "true")
    console_step(desk, "04b-staff-form-again")
    record(desk, "Verification", {"属实 Substantiated": "是 yes", "核实情况 Finding": "材料清单缺少户口簿复印件一项"})
    record(desk, "Triage", {"处置方式 Outcome": "限期整改 rectify by a deadline", "说明 Note": "更新清单并培训"})
    record(desk, "Rectification", {"整改内容 What was rectified": "清单已更新，窗口人员已培训"})
    record(desk, "Answer the evaluator", {"答复内容 Message": "您反映的问题属实，清单已更新，感谢监督。"})
    expect(desk.locator("dl.facts").first).to_be_visible()
    expect(desk.get_by_text("已答复 answered").first).to_be_visible()
    console_step(desk, "05-staff-answered")

    # The citizen reads the answer and is not satisfied: the case goes back to the agency.
    phone.goto(status_url)
    expect(phone.get_by_text("您反映的问题属实，清单已更新，感谢监督。")).to_be_visible()
    step(phone, "06-citizen-reads-the-answer")
    expect(phone.locator("#handling input[name=rating]").first).to_have_attribute("required", "")
    choose(phone, "不满意")
    phone.get_by_label("对处理结果的意见（选填）").fill("还要再跑一趟")
    phone.get_by_role("button", name="提交处理评价").click()
    expect(phone.locator("#case-outcome")).to_contain_text("案件已退回办理部门重新处理")
    expect(phone.locator("#handling-rating")).to_have_text("不满意")
    step(phone, "07-citizen-dissatisfied-reopens")

    # Staff see it reopened, explain and answer again.
    expect(phone.locator("#reopened")).to_have_text("（已重新办理 1 次）")
    desk.goto(f"{stack['api_url']}/console/cases?q={case_id}")
    expect(desk.locator("li.case", has=desk.get_by_text(case_id))).to_contain_text("重新办理 1 次 · reopened once")
    desk.locator("li.case", has=desk.get_by_text(case_id)).get_by_role("link").click()
    expect(desk.get_by_text("已核实 verified").first).to_be_visible()
    expect(desk.get_by_text("重新办理 reopened")).to_be_visible()
    expect(desk.locator("ol.history").get_by_text("系统：自动立案 system: case intake")).to_have_count(1)
    record(desk, "Triage", {"处置方式 Outcome": "解释说明 explain", "说明 Note": "说明复印件可当场免费复印"})
    record(desk, "Answer the evaluator", {"答复内容 Message": "复印件可在窗口当场免费复印，无需再跑。"})
    console_step(desk, "08-staff-answers-again")

    # The citizen is satisfied: the case is closed and leaves the staff's list.
    phone.goto(status_url)
    expect(phone.get_by_text("复印件可在窗口当场免费复印，无需再跑。")).to_be_visible()
    choose(phone, "满意")
    phone.get_by_role("button", name="提交处理评价").click()
    expect(phone.locator("#case-state")).to_have_attribute("data-state", "closed")
    expect(phone.locator("#case-outcome")).to_contain_text("案件已办结")
    step(phone, "09-citizen-satisfied-closed")
    desk.goto(f"{stack['api_url']}/console/cases?q={case_id}")
    expect(desk.locator("li.case")).to_have_count(0)


def evaluations_commented(stack: dict[str, Any], comment: str) -> list[str]:
    """The ids of the stored evaluations that carry this comment."""
    pages = (
        dynamodb(stack)
        .get_paginator("scan")
        .paginate(
            TableName=stack["environment"]["GOVRATE_EVALUATIONS_TABLE"],
            FilterExpression="#comment = :comment",
            ExpressionAttributeNames={"#comment": "comment"},
            ExpressionAttributeValues={":comment": {"S": comment}},
        )
    )
    return [item["evaluation_id"]["S"] for page in pages for item in page["Items"]]


def open_case_ids(stack: dict[str, Any]) -> set[str]:
    """The open cases of the demo window's agency, through the staff API."""
    headers = bearer(stack, account(stack, role="staff", agency=AGENCY))
    found: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = requests.get(f"{stack['api_url']}/v1/cases", params=params, headers=headers, timeout=10).json()
        found |= {item["evaluation_id"] for item in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_back_from_the_receipt_and_submitting_again_lands_on_the_same_receipt(
    stack: dict[str, Any], citizen: BrowserContext
) -> None:
    comment = f"{COMMENT}（{uuid.uuid4().hex[:6]}）"  # other tests rate the same window meanwhile
    phone = citizen.new_page()
    phone.goto(demo_window(stack)["url"])
    fill_the_bad_review(phone, comment)
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_url(RECEIPT_PAGE)
    receipt_url = phone.url
    # Back shows the page as it was served, its token included, with the choices the browser kept.
    phone.go_back()
    expect(phone.get_by_label("意见建议（选填）")).to_have_value(comment)
    expect(phone.get_by_text("办理慢、等候久")).to_be_visible()  # the restored bad review shows its reasons
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_url(RECEIPT_PAGE)
    assert phone.url == receipt_url
    phone.get_by_role("link", name="查看我的评价及处理进度").click()
    wait_for_the_case(phone)
    evaluation_id = receipt_url.split("/e/")[1].split("/")[0]
    assert evaluations_commented(stack, comment) == [evaluation_id]  # stored once
    assert evaluation_id in open_case_ids(stack)
