"""Freedom to evaluate, in a real browser on the local stack: the window's page says rating is voluntary
and may be anonymous, and a citizen without JavaScript, on a phone's width, reports "someone pressed me to
rate" in one tap; the report lands in the supervisor's console as a labelled supervision case."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Transfer, assert_accessible, screenshot
from tests.e2e.govrate_client import demo_window
from tests.e2e.test_case_console import FITS_THE_WIDTH, account, bearer

pytestmark = pytest.mark.e2e


def reported_case(stack: dict[str, Any], headers: dict[str, str], comment: str) -> str:
    """The id of the open pressure report with this comment, from the supervisor's list."""
    api = stack["api_url"]
    listed = requests.get(f"{api}/v1/cases?limit=100", headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text
    for item in listed.json()["items"]:
        if item["kind"] != "pressure_report":
            continue
        case = requests.get(f"{api}/v1/cases/{item['evaluation_id']}", headers=headers, timeout=10).json()["case"]
        if case["note"] == comment:
            return str(item["evaluation_id"])
    raise AssertionError(f"no report with the comment {comment!r}")


def test_a_citizen_reports_being_pressed_and_the_supervisor_sees_it(
    stack: dict[str, Any], no_script_context: BrowserContext, context: BrowserContext
) -> None:
    window = demo_window(stack)
    page = no_script_context.new_page()
    transfer = Transfer(page)
    page.goto(window["url"])
    transfer.assert_within_budget("report-01-window-page")
    expect(page.get_by_text("评价完全自愿，可以匿名").first).to_be_visible()
    expect(page.get_by_role("heading", name="有人要求或催促您评价？")).to_be_visible()
    assert page.evaluate(FITS_THE_WIDTH), "the rating page scrolls sideways at 390 px"
    assert_accessible(page, "report-01-window-page")

    comment = f"工作人员要求当面点满意 {uuid4().hex[:8]}"
    page.get_by_label("补充说明（选填）").fill(comment)
    page.get_by_role("button", name="有人要求或催促我评价").click()
    expect(page.get_by_role("heading", name="举报已收到")).to_be_visible()
    expect(page.get_by_text("不会告知窗口工作人员是谁举报")).to_be_visible()
    assert page.evaluate(FITS_THE_WIDTH), "the confirmation scrolls sideways at 390 px"
    assert_accessible(page, "report-02-confirmation")
    screenshot(page, "report-02-confirmation")
    page.get_by_role("link", name="返回评价页面").click()
    expect(page.get_by_role("heading", name="请对本次服务进行评价")).to_be_visible()

    supervisor = account(stack, role="supervisor")
    case_id = reported_case(stack, bearer(stack, supervisor), comment)
    staff = bearer(stack, account(stack, role="staff", agency="110105-GA"))
    assert requests.get(f"{stack['api_url']}/v1/cases/{case_id}", headers=staff, timeout=10).status_code == 403

    console = context.new_page()
    console.goto(f"{stack['api_url']}/console/login")
    console.get_by_label("User name").fill(supervisor["username"])
    console.get_by_label("Password").fill(supervisor["password"])
    console.get_by_role("button", name="Sign in").click()
    console.goto(f"{stack['api_url']}/console/cases?limit=100")
    row = console.locator("tr", has=console.get_by_role("link", name=case_id))
    expect(row.get_by_text("举报：被要求或催促评价 Report: pressed to rate")).to_be_visible()
    row.get_by_role("link", name=case_id).click()
    expect(console.get_by_role("cell", name=comment, exact=True)).to_be_visible()
    expect(console.get_by_text(window["window_id"]).first).to_be_visible()
    assert_accessible(console, "report-03-console-case")
    conclusion = console.locator("form.step").filter(has=console.get_by_role("heading", name="Conclude the report"))
    conclusion.get_by_label("Finding").fill("已约谈窗口负责人，责令整改")
    conclusion.get_by_role("button", name="Record").click()
    expect(console.get_by_role("cell", name="已办结 closed", exact=True).first).to_be_visible()
    screenshot(console, "report-04-console-concluded")
