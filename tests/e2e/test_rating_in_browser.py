"""A citizen in a real browser (Debian's chromium through Playwright) on the local stack: scan a window's
code, rate, keep the receipt, follow the case; the same without JavaScript; a record's ticket, stage by
stage; the refusal pages; the poster. Every page is checked with axe-core and against the 50 KB budget."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from govrate.kernel.clock import zone
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import ARTIFACTS, Transfer, assert_accessible, poll, screenshot
from tests.e2e.govrate_client import administrator, demo_window, record_id, register_record

pytestmark = pytest.mark.e2e

CASE_TIMEOUT_S = 60
RECEIPT_PAGE = re.compile(r"/e/[0-9A-Z]{26}/receipt\?receipt=[\w-]+")


def load(context: BrowserContext, url: str, name: str) -> Page:
    """Open a page in a new tab, hold it to the size budget and to axe, and keep a screenshot."""
    page = context.new_page()
    transfer = Transfer(page)
    page.goto(url)
    page.wait_for_load_state("load")
    transfer.assert_within_budget(name)
    assert_accessible(page, name)
    screenshot(page, name)
    return page


def choose(page: Page, label: str) -> None:
    """Press a choice the way a person does: on its label (the input itself is drawn as the label)."""
    page.locator("label.choice", has=page.get_by_text(label, exact=True)).click()


def revoked_window_code(stack: dict[str, Any]) -> str:
    """The code of a window registered for this test and then revoked (the demo window stays as it is)."""
    api, window_id = stack["api_url"], record_id("110105-GA")[:24]
    window = {
        "window_id": window_id,
        "name_zh": "公安综合窗口9号",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "item_codes": ["110105-GA-001"],
    }
    headers = administrator(stack)
    assert requests.post(f"{api}/v1/windows", json=window, headers=headers, timeout=10).status_code == 201
    url = str(requests.post(f"{api}/v1/windows/{window_id}/qr", headers=headers, timeout=10).json()["url"])
    assert requests.post(f"{api}/v1/windows/{window_id}/revoke", headers=headers, timeout=10).status_code == 200
    return url


def wait_for_the_case(page: Page) -> None:
    """Reload the status page until the bad review's case is open (stream → queue → verify)."""

    def case_is_open() -> bool:
        """the status page shows the case"""
        page.reload()
        return page.locator("#case-state[data-state]").count() == 1

    poll(case_is_open, CASE_TIMEOUT_S)


def test_scan_rate_2_with_reasons_keep_the_receipt_and_follow_the_case(
    stack: dict[str, Any], context: BrowserContext
) -> None:
    window = demo_window(stack)
    page = load(context, window["url"], "01-window-page")
    expect(page.get_by_role("heading", name="请对本次服务进行评价")).to_be_visible()
    expect(page.get_by_text(window["name"])).to_be_visible()
    reasons = page.locator("#field-reason")
    expect(reasons).to_be_hidden()  # the script shows the chips for a bad review only

    choose(page, "居民身份证换领")
    choose(page, "不满意")
    expect(reasons).to_be_visible()
    choose(page, "办理慢、等候久")
    choose(page, "来回跑、多次跑")
    page.get_by_label("意见建议（选填）").fill("跑了两趟，材料清单没有讲清楚")
    screenshot(page, "02-window-page-bad-review")
    page.get_by_role("button", name="提交评价").click()

    page.wait_for_url(RECEIPT_PAGE)
    expect(page.get_by_role("heading", name="评价已提交")).to_be_visible()
    expect(page.get_by_text("您的不满意评价已转交办理部门核实整改")).to_be_visible()
    receipt = load(context, page.url, "03-receipt")
    receipt.close()

    page.get_by_role("link", name="查看我的评价及处理进度").click()
    expect(page.get_by_role("heading", name="我的评价")).to_be_visible()
    wait_for_the_case(page)
    expect(page.locator("#case-state")).to_have_attribute("data-state", "received")
    expect(page.locator("#case-state")).to_have_text("已受理，等待回访核实")
    expect(page.get_by_text("跑了两趟，材料清单没有讲清楚")).to_be_visible()
    load(context, page.url, "04-status-with-case").close()


def test_the_same_without_javascript_a_plain_form_post(
    stack: dict[str, Any], no_script_context: BrowserContext
) -> None:
    page = load(no_script_context, demo_window(stack)["url"], "05-window-page-no-script")
    expect(page.locator("#field-reason")).to_be_visible()  # without the script the chips always show
    expect(page.locator("#reasons-hint")).to_be_visible()

    choose(page, "户口迁移登记")
    choose(page, "不满意")
    page.get_by_label("意见建议（选填）").fill("窗口说系统故障，让明天再来")
    page.get_by_role("button", name="提交评价").click()
    # No reason chosen: the form comes back with the problem beside its field and nothing typed lost.
    expect(page.locator("#error-reason")).to_have_text("请至少选择一项不满意的原因。")
    expect(page.get_by_label("意见建议（选填）")).to_have_value("窗口说系统故障，让明天再来")
    assert_accessible(page, "06-form-problems-no-script")
    screenshot(page, "06-form-problems-no-script")

    choose(page, "系统故障")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(RECEIPT_PAGE)  # the 303 after the post
    assert_accessible(page, "07-receipt-no-script")
    screenshot(page, "07-receipt-no-script")
    page.get_by_role("link", name="查看我的评价及处理进度").click()
    wait_for_the_case(page)
    expect(page.locator("#case-state")).to_have_attribute("data-state", "received")
    assert_accessible(page, "08-status-with-case-no-script")
    screenshot(page, "08-status-with-case-no-script")


def test_in_english(stack: dict[str, Any], context: BrowserContext) -> None:
    page = load(context, demo_window(stack)["url"], "09-window-page-zh")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Please rate this service")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert_accessible(page, "09-window-page-en")
    screenshot(page, "09-window-page-en")
    choose(page, "Renewal of resident identity card")
    choose(page, "Very satisfied")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/receipt\?receipt=[\w-]+&lang=en"))
    expect(page.get_by_role("heading", name="Evaluation submitted")).to_be_visible()


def test_a_records_ticket_is_rated_stage_by_stage_once(stack: dict[str, Any], context: BrowserContext) -> None:
    window = demo_window(stack)
    ticket_url = register_record(stack, record_id("BJ-T"), window_id=window["window_id"])
    page = load(context, ticket_url, "10-ticket-page")
    expect(page.get_by_text("户口迁移登记")).to_be_visible()
    choose(page, "受理")
    choose(page, "满意")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(RECEIPT_PAGE)

    page = load(context, ticket_url, "11-ticket-page-one-stage-left")
    expect(page.get_by_text("评价环节：出件")).to_be_visible()
    choose(page, "非常满意")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(RECEIPT_PAGE)

    done = load(context, ticket_url, "12-already-rated")
    expect(done.get_by_role("heading", name="已经评价过了")).to_be_visible()
    assert requests.get(ticket_url, timeout=10).status_code == 409


def test_the_refusal_pages(stack: dict[str, Any], context: BrowserContext) -> None:
    forged = demo_window(stack)["url"][:-3] + "AAA"
    page = load(context, forged, "13-code-not-recognised")
    expect(page.get_by_role("heading", name="二维码无法识别")).to_be_visible()

    revoked = revoked_window_code(stack)
    page = load(context, revoked, "13-code-withdrawn")
    expect(page.get_by_role("heading", name="二维码已失效")).to_be_visible()
    assert requests.get(revoked, timeout=10).status_code == 410

    old = datetime.now(zone()) - timedelta(days=8)
    expired = register_record(stack, record_id("BJ-X"), window_id=demo_window(stack)["window_id"], completed_at=old)
    page = load(context, expired, "14-evaluation-period-over")
    expect(page.get_by_role("heading", name="评价期已过")).to_be_visible()
    page = load(context, f"{expired}?lang=en", "15-evaluation-period-over-en")
    expect(page.get_by_role("heading", name="The evaluation period has ended")).to_be_visible()


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_the_poster_prints_on_one_sheet(stack: dict[str, Any], context: BrowserContext, size: str) -> None:
    window = demo_window(stack)
    page = context.new_page()
    page.goto(f"{stack['api_url']}/v1/windows/{window['window_id']}/poster?size={size}")
    expect(page.get_by_role("heading", name=re.compile("请您评价"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("扫码评价本次服务"))).to_be_visible()
    assert_accessible(page, f"16-poster-{size}")
    screenshot(page, f"16-poster-{size}")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / f"16-poster-{size}.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # one sheet, A4 or A5
    size_box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert size_box
    width_mm = float(size_box[1]) / 72 * 25.4
    assert round(width_mm) == {"a4": 210, "a5": 148}[size]
    # The printed code is the window's, within QR version 6 at level M (17 + 4v modules, 4 quiet each side).
    view_box = page.locator("svg.qr").get_attribute("viewBox") or ""
    assert (int(view_box.split()[2]) - 8 - 17) // 4 <= 6
