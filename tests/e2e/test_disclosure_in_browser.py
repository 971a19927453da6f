"""The published results in a real browser on the local stack (seeded history, analysed at start): the
disclosure pages at a phone's and a desktop's width, without script, under 100 KB and axe-clean; the
scorecards page; and the way there from a citizen's thanks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.conftest import Transfer, assert_accessible, new_context, screenshot

# The first test waits for the history stack's first analysis (up to RESULTS_TIMEOUT_S), which runs
# beside the seals and the integrity watcher working through the seeded history.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

DISCLOSURE_BUDGET_BYTES = 100 * 1024
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def load(context: BrowserContext, url: str, name: str) -> Page:
    page = context.new_page()
    # Every load over the wire: the pages are cacheable, and a cached one would transfer nothing.
    context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    transfer = Transfer(page)
    page.goto(url)
    page.wait_for_load_state("load")
    total = transfer.total()
    assert 0 < total <= DISCLOSURE_BUDGET_BYTES, f"{name}: {total} bytes transferred"
    assert_accessible(page, name)
    screenshot(page, name)
    return page


def followed(page: Page, link: Locator) -> str:
    """Where a link of the page leads (each page is loaded, and measured, in a page of its own)."""
    href = link.get_attribute("href")
    assert href, "the link has no href"
    return urljoin(page.url, href)


def a_region(ready: dict[str, Any]) -> str:
    index = requests.get(f"{ready['api_url']}/v1/results", timeout=10).json()
    return str(next(ref["code"] for ref in index["scopes"] if ref["scope"] == "region"))


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_published_results_without_script(
    history_stack: dict[str, Any], browser: Browser, size: str, viewport: dict[str, int]
) -> None:
    context = new_context(browser, javascript=False, viewport=viewport)
    try:
        api, region = history_stack["api_url"], a_region(history_stack)
        index = load(context, f"{api}/disclosure", f"40-disclosure-index-{size}")
        expect(index.get_by_role("heading", name="政务服务好差评结果公开")).to_be_visible()
        page = load(context, followed(index, index.get_by_role("link", name=region)), f"41-disclosure-region-{size}")
        expect(page.get_by_role("img", name="近12个月趋势")).to_be_visible()
        expect(page.locator("#answered")).to_contain_text("差评按期答复")
        # The chart fits the screen: no sideways scrolling of the page itself.
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        agency = page.locator("table a[href*='/disclosure/agencies/']").first
        page = load(context, followed(page, agency), f"42-disclosure-agency-{size}")
        page = load(
            context, followed(page, page.get_by_role("link", name="English")), f"43-disclosure-agency-en-{size}"
        )
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page = load(context, f"{api}/disclosure/regions/{region}/scorecards", f"44-scorecards-{size}")
        # A table on a desktop, a card per agency on a phone: the ranking note heads both.
        expect(page.get_by_text("排名按好评率")).to_be_visible()
    finally:
        context.close()


def test_the_thanks_page_leads_to_the_results(history_stack: dict[str, Any], no_script_context: BrowserContext) -> None:
    page = no_script_context.new_page()
    # A form posted with the honeypot filled stores nothing and gets the thanks page; the browser
    # sends it only with the required choices made.
    page.goto(history_stack["qr_pages"][0]["url"])
    for choice in ("item", "stage", "level"):
        radios = page.locator(f"input[type=radio][name={choice}]")
        if radios.count():
            radios.first.check(force=True)
    page.locator("#website").fill("x", force=True)
    page.locator("button[type=submit], button").first.click()
    link = page.get_by_role("link", name="查看各地各部门好差评结果公开")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="政务服务好差评结果公开")).to_be_visible()
