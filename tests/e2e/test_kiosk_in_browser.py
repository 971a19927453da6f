"""A window's evaluation device (kiosk) in a real browser on the local stack: the window system finishes a
transaction and pushes it, the kiosk offers it, ignores a press that comes too soon, takes the rating,
thanks and resets; an untouched prompt resets by itself. Timing from tests/e2e/conftest.py."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import KIOSK_ENVIRONMENT, Transfer, assert_accessible, new_context, screenshot
from tests.e2e.govrate_client import demo_window, kiosk_url, push_transaction, record_id, register_record

pytestmark = pytest.mark.e2e

POLL_S = float(KIOSK_ENVIRONMENT["GOVRATE_KIOSK_POLL_SECONDS"])
IDLE_S = int(KIOSK_ENVIRONMENT["GOVRATE_KIOSK_IDLE_SECONDS"])
DEBOUNCE_S = int(KIOSK_ENVIRONMENT["GOVRATE_KIOSK_DEBOUNCE_MS"]) / 1000
THANKS_S = int(KIOSK_ENVIRONMENT["GOVRATE_KIOSK_THANKS_SECONDS"])
OFFER_TIMEOUT_MS = int((POLL_S * 4 + 2) * 1000)


@pytest.fixture
def kiosk_context(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    yield context
    context.close()


def level(page: Page, label: str) -> Any:
    return page.get_by_role("button", name=re.compile(f"^{label} "))


def screen(page: Page) -> Any:
    return expect(page.locator("#kiosk"))


def test_the_kiosk_offers_the_finished_transaction_and_takes_one_rating(
    stack: dict[str, Any], kiosk_context: BrowserContext
) -> None:
    window = demo_window(stack)
    page = kiosk_context.new_page()
    transfer = Transfer(page)
    page.goto(kiosk_url(stack, window["window_id"]))
    transfer.assert_within_budget("kiosk")
    screen(page).to_have_attribute("data-screen", "idle")
    expect(page.get_by_role("heading", name=re.compile("办理完成后，请在此为本次服务评价"))).to_be_visible()
    assert_accessible(page, "20-kiosk-idle")
    screenshot(page, "20-kiosk-idle")

    ticket_url = register_record(stack, record_id("BJ-K"), window_id=window["window_id"])
    offered = push_transaction(stack, window["window_id"], ticket_url)
    screen(page).to_have_attribute("data-screen", "prompt", timeout=OFFER_TIMEOUT_MS)
    expect(page.locator("#prompt-item-zh")).to_have_text("户口迁移登记")
    expect(page.locator("#prompt-stage-zh")).to_have_text("受理")
    expect(page.locator("#kiosk-qr")).to_have_attribute("src", offered["qr_svg_url"])
    assert_accessible(page, "21-kiosk-prompt")
    screenshot(page, "21-kiosk-prompt")

    # A second press within the interval (a double tap, a hand on the screen) is ignored.
    level(page, "不满意").click()
    level(page, "非常满意").click()
    expect(level(page, "不满意")).to_have_attribute("aria-pressed", "true")
    expect(level(page, "非常满意")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#kiosk-reasons")).to_be_visible()
    page.locator("#kiosk-reasons label", has_text="办理慢、等候久").click()
    assert_accessible(page, "22-kiosk-reasons")
    screenshot(page, "22-kiosk-reasons")
    submit = page.get_by_role("button", name=re.compile("^提交"))
    time.sleep(DEBOUNCE_S)  # past the interval, the next press counts
    submit.click()

    screen(page).to_have_attribute("data-screen", "done")
    expect(page.locator("#done-thanks")).to_be_visible()
    assert_accessible(page, "23-kiosk-thanks")
    screenshot(page, "23-kiosk-thanks")
    screen(page).to_have_attribute("data-screen", "idle", timeout=(THANKS_S + 3) * 1000)

    # The accept stage has its one evaluation (channel window_device); delivery is still open on the ticket.
    ticket_page = requests.get(ticket_url, timeout=10)
    assert ticket_page.status_code == 200
    assert "评价环节：出件" in ticket_page.text
    page.wait_for_timeout(POLL_S * 3000)
    screen(page).to_have_attribute("data-screen", "idle")  # a rated transaction is not offered again


def test_an_untouched_prompt_resets_and_leaves_the_record_to_rate(
    stack: dict[str, Any], kiosk_context: BrowserContext
) -> None:
    window = demo_window(stack)
    page = kiosk_context.new_page()
    page.goto(kiosk_url(stack, window["window_id"]))
    ticket_url = register_record(stack, record_id("BJ-K"), window_id=window["window_id"])
    push_transaction(stack, window["window_id"], ticket_url)
    screen(page).to_have_attribute("data-screen", "prompt", timeout=OFFER_TIMEOUT_MS)
    started = time.monotonic()
    screen(page).to_have_attribute("data-screen", "idle", timeout=(IDLE_S + 3) * 1000)
    assert time.monotonic() - started >= IDLE_S - 1
    page.wait_for_timeout(POLL_S * 3000)
    screen(page).to_have_attribute("data-screen", "idle")  # not offered again after the reset
    assert re.findall(r'name="stage" value="(\w+)"', requests.get(ticket_url, timeout=10).text) == [
        "accept",
        "deliver",
    ]
