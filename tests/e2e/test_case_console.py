"""The case loop on the local stack as staff meet it: tokens from the stack's Cognito (moto) on the
staff API, and the console in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import assert_accessible, poll, screenshot
from tests.e2e.govrate_client import access_token
from tests.e2e.test_local_stack import BAD_REVIEW, CASE_TIMEOUT_S
from tests.fakes.console_pages import REPORT_COMMENT, supervision_pages
from tests.fakes.world import FakeWorld

pytestmark = pytest.mark.e2e

# The page itself never scrolls sideways (a wide table scrolls within its own box).
FITS_THE_WIDTH = "() => document.documentElement.scrollWidth <= window.innerWidth"

CONTACT: dict[str, Any] = {"name": "王芳", "phone": "13912345678", "consent": True}
AGENCY = str(BAD_REVIEW["agency_code"])


def account(stack: dict[str, Any], *, role: str, agency: str | None = None) -> dict[str, Any]:
    """A demo account the stack printed in its banner."""
    found: dict[str, Any] = next(
        staff
        for staff in stack["staff"]
        if staff["role"] == role and (agency is None or staff["agency_code"] == agency)
    )
    return found


def bearer(stack: dict[str, Any], staff: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {access_token(stack, staff)}"}


def real_name_bad_review(stack: dict[str, Any]) -> str:
    """A real-name bad review at the first demo window's agency, once its case is open."""
    api = stack["api_url"]
    response = requests.post(f"{api}/v1/evaluations", json={**BAD_REVIEW, "evaluator": CONTACT}, timeout=10)
    assert response.status_code == 201, response.text
    accepted = response.json()

    def case_is_open() -> Any:
        """the case of the bad review is open"""
        return requests.get(f"{api}{accepted['status_url']}", timeout=10).json()["case"]

    poll(case_is_open, CASE_TIMEOUT_S)
    return str(accepted["evaluation_id"])


def test_staff_see_their_agencys_case_supervisors_their_regions_and_no_one_else(stack: dict[str, Any]) -> None:
    api = stack["api_url"]
    case_id = real_name_bad_review(stack)
    staff = bearer(stack, account(stack, role="staff", agency=AGENCY))
    supervisor = bearer(stack, account(stack, role="supervisor"))
    outsider = next(s for s in stack["staff"] if s["role"] == "staff" and s["region_code"][:2] != "11")

    for headers in (staff, supervisor):
        listed = requests.get(f"{api}/v1/cases", headers=headers, timeout=10)
        assert listed.status_code == 200, listed.text
        assert case_id in [item["evaluation_id"] for item in listed.json()["items"]]

    seen = requests.get(f"{api}/v1/cases/{case_id}", headers=staff, timeout=10)
    assert seen.status_code == 200, seen.text
    assert seen.json()["contact"]["phone"] == CONTACT["phone"]

    refused = requests.get(f"{api}/v1/cases/{case_id}", headers=bearer(stack, outsider), timeout=10)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"{api}/v1/cases", timeout=10).status_code == 401


def test_a_staff_member_signs_in_to_the_console_and_records_the_return_visit(
    stack: dict[str, Any], context: BrowserContext
) -> None:
    case_id = real_name_bad_review(stack)
    staff = account(stack, role="staff", agency=AGENCY)
    page = context.new_page()
    page.goto(f"{stack['api_url']}/console/cases")
    expect(page).to_have_url(f"{stack['api_url']}/console/login")  # no session yet
    page.get_by_label("User name").fill(staff["username"])
    page.get_by_label("Password").fill(staff["password"])
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Open cases")).to_be_visible()
    assert_accessible(page, "console-cases")
    assert page.evaluate(FITS_THE_WIDTH), "the case list scrolls sideways at a phone's width"
    page.get_by_role("link", name=case_id).click()
    assert page.evaluate(FITS_THE_WIDTH), "the case page scrolls sideways at a phone's width"

    expect(page.get_by_text(CONTACT["phone"])).to_have_count(0)  # a GET reveals no contact
    page.get_by_role("button", name="Show the contact").click()  # a POST with the form token, audited
    expect(page.get_by_text(CONTACT["phone"])).to_be_visible()
    expect(page.get_by_text("Audit chain intact")).to_be_visible()
    assert_accessible(page, "console-case")
    return_visit = page.locator("form.step").filter(has=page.get_by_role("heading", name="Return visit"))
    return_visit.get_by_label("Reached").select_option(label="是 yes")
    return_visit.get_by_label("Channel").select_option(label="电话 phone")
    return_visit.get_by_label("Note").fill("已电话回访，情况属实")
    return_visit.get_by_role("button", name="Record").click()

    expect(page.get_by_text("已回访 contacted").first).to_be_visible()
    screenshot(page, "console-case-contacted")
    session = [cookie for cookie in context.cookies() if cookie["name"] == "__Host-govrate_session"]
    assert session and session[0]["httpOnly"] and session[0]["secure"] and session[0]["sameSite"] == "Strict"
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{stack['api_url']}/console/login")
    # The old session id, replayed, opens nothing: the session ended on the server.
    old = session[0]
    context.add_cookies(
        [{"name": old["name"], "value": old["value"], "domain": old["domain"], "path": "/", "secure": True}]
    )
    page.goto(f"{stack['api_url']}/console/cases")
    expect(page).to_have_url(f"{stack['api_url']}/console/login")


def test_a_staff_member_enters_paper_forms_from_an_excel_file_in_the_console(
    stack: dict[str, Any], context: BrowserContext, tmp_path: Path
) -> None:
    staff = account(stack, role="staff", agency=AGENCY)
    forms = tmp_path / "窗口评价表.csv"
    # As Excel on Chinese Windows saves "CSV (逗号分隔)": GBK, CRLF.
    forms.write_bytes(
        "\r\n".join(
            [
                "form_id,channel,item_code,agency_code,region_code,level,reason_codes,comment",
                f"E2E-{uuid4().hex[:8]},paper,{BAD_REVIEW['item_code']},{AGENCY},{BAD_REVIEW['region_code']},5,,很好",
                f"E2E-{uuid4().hex[:8]},paper,{BAD_REVIEW['item_code']},{AGENCY},{BAD_REVIEW['region_code']},2,,",
                "",
            ]
        ).encode("gbk")
    )
    page = context.new_page()
    page.goto(f"{stack['api_url']}/console/login")
    page.get_by_label("User name").fill(staff["username"])
    page.get_by_label("Password").fill(staff["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Enter paper forms").click()

    expect(page.get_by_role("heading", name="Enter paper forms")).to_be_visible()
    assert_accessible(page, "console-paper-forms")
    page.get_by_label("CSV file").set_input_files(forms)
    page.get_by_role("button", name="Enter the forms").click()

    expect(page.get_by_role("status")).to_contain_text("1 entered, 0 entered before, 1 refused.")
    expect(page.get_by_text("reason_codes")).to_be_visible()  # the bad review without a reason, and why
    assert_accessible(page, "console-paper-forms-entered")
    screenshot(page, "console-paper-forms-entered")


def test_the_supervision_cases_read_well_at_a_phones_width(context: BrowserContext) -> None:
    """A burst and a report of being pressed to rate, as the console renders them for a supervisor: named
    by their kind, no sideways scrolling at 390 px, nothing serious for axe."""
    pages = supervision_pages(FakeWorld())
    page = context.new_page()
    for name, html in (("list", pages.listing), ("burst", pages.burst), ("report", pages.report)):
        page.set_content(html)
        assert page.evaluate(FITS_THE_WIDTH), f"the {name} page scrolls sideways at 390 px"
        assert_accessible(page, f"console-supervision-{name}")
        screenshot(page, f"console-supervision-{name}")
    page.set_content(pages.burst)
    expect(page.get_by_role("heading", name="The 2 held bad reviews")).to_be_visible()
    expect(page.get_by_role("region", name="集中差评 The burst").get_by_text("户口迁移登记").first).to_be_visible()
    decision = page.locator("form.step").filter(has=page.get_by_role("heading", name="Decide the burst"))
    choices = decision.get_by_role("group", name="决定 Decision")
    expect(choices).to_be_visible()
    expect(choices.get_by_role("radio")).to_have_count(2)
    page.set_content(pages.report)
    expect(page.get_by_role("region", name="举报内容 The report").get_by_text(REPORT_COMMENT)).to_be_visible()
