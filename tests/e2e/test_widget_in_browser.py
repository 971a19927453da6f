"""The web module on a page of another origin, in a real browser: an online platform's page (served here
by a second HTTP server on its own port) embeds the script inline or as a modal, or an iframe; an origin
the site key does not allow gets nothing."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Transfer, assert_accessible, screenshot
from tests.e2e.govrate_client import create_site_key

pytestmark = pytest.mark.e2e

ITEM = "110105-SJ-001"  # 企业设立登记, offered online
HOST_PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>某市政务服务网 · 办件详情</title></head>
<body>
<main>
<h1>企业设立登记 · 已办结</h1>
<p>您的申请已办理完毕，欢迎对本次服务进行评价。</p>
<section aria-labelledby="rate">
<h2 id="rate">服务评价</h2>
{embed}
</section>
</main>
<script>document.addEventListener("govrate:submitted", function () {{ document.body.dataset.rated = "yes"; }});</script>
</body>
</html>
"""


@dataclass(frozen=True)
class Platform:
    """A platform's web server with three pages embedding the module; `origin` is the one its key allows."""

    origin: str
    other_origin: str  # the same server under another name: a different origin


@pytest.fixture(scope="module")
def platform(stack: dict[str, Any]) -> Iterator[Platform]:
    pages: dict[str, str] = {}

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    port = server.server_address[1]
    platform = Platform(origin=f"http://127.0.0.1:{port}", other_origin=f"http://localhost:{port}")
    site_key = create_site_key(stack, [platform.origin], [ITEM])
    api = stack["api_url"]
    script = f'<script src="{api}/w/widget.js" data-site-key="{site_key}" data-item="{ITEM}"{{mode}} async></script>'
    pages["/inline.html"] = HOST_PAGE.format(embed=script.format(mode=""))
    pages["/modal.html"] = HOST_PAGE.format(embed=script.format(mode=' data-mode="modal"'))
    pages["/iframe.html"] = HOST_PAGE.format(
        embed=f'<iframe src="{api}/w/{site_key}/rate?item={ITEM}" title="服务评价" '
        'style="width:100%;height:70rem;border:0"></iframe>'
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield platform
    server.shutdown()
    server.server_close()


def module_frame(page: Page) -> Any:
    return page.frame_locator("iframe[title='服务评价']")


def stored_channel(stack: dict[str, Any], evaluation_id: str) -> str:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack["aws_endpoint"],
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    item = dynamodb.get_item(
        TableName=stack["environment"]["GOVRATE_EVALUATIONS_TABLE"], Key={"pk": {"S": f"EVAL#{evaluation_id}"}}
    )["Item"]
    return str(item["channel"]["S"])


def test_the_script_renders_the_module_inline_on_an_allowed_origin(
    stack: dict[str, Any], context: BrowserContext, platform: Platform
) -> None:
    page = context.new_page()
    transfer = Transfer(page)
    page.goto(f"{platform.origin}/inline.html")
    frame = module_frame(page)
    expect(frame.get_by_role("heading", name="请对本次服务进行评价")).to_be_visible()
    expect(frame.get_by_text("企业设立登记")).to_be_visible()
    page.wait_for_load_state("networkidle")
    transfer.assert_within_budget("30-widget-inline")  # the host page, the script, its config and the frame
    expect(page.locator("iframe[title='服务评价']")).to_have_attribute("style", re.compile(r"height: \d+px"))
    assert_accessible(page, "30-widget-inline")
    screenshot(page, "30-widget-inline")

    frame.locator("label.choice", has=frame.get_by_text("非常不满意", exact=True)).click()
    frame.locator("label.choice", has=frame.get_by_text("系统故障", exact=True)).click()
    frame.get_by_role("button", name="提交评价").click()
    expect(frame.get_by_role("heading", name="评价已提交")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-rated", "yes")  # the frame told the host page
    expect(frame.get_by_role("link", name="查看我的评价及处理进度")).to_have_attribute("target", "_blank")
    assert_accessible(page, "31-widget-inline-receipt")
    screenshot(page, "31-widget-inline-receipt")

    receipt = next(child for child in page.frames if "/receipt?" in child.url)
    evaluation_id = re.findall(r"/([0-9A-Z]{26})/receipt", receipt.url)[0]
    assert stored_channel(stack, evaluation_id) == "web_module"


def test_the_script_renders_the_module_as_a_modal(context: BrowserContext, platform: Platform) -> None:
    page = context.new_page()
    page.goto(f"{platform.origin}/modal.html")
    opener = page.get_by_role("button", name="评价本次服务")
    expect(opener).to_be_visible()
    expect(page.locator("iframe")).to_have_count(0)  # nothing loads until it is asked for
    opener.click()
    dialog = page.get_by_role("dialog", name="服务评价")
    expect(dialog).to_be_visible()
    expect(module_frame(page).get_by_role("heading", name="请对本次服务进行评价")).to_be_visible()
    assert_accessible(page, "32-widget-modal")
    screenshot(page, "32-widget-modal")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    dialog_close = page.get_by_role("button", name="关闭")
    opener.click()
    dialog_close.click()
    expect(dialog).to_be_hidden()


def test_the_iframe_alternative_on_an_allowed_origin(context: BrowserContext, platform: Platform) -> None:
    page = context.new_page()
    page.goto(f"{platform.origin}/iframe.html")
    expect(module_frame(page).get_by_role("heading", name="请对本次服务进行评价")).to_be_visible()
    assert_accessible(page, "33-widget-iframe")
    screenshot(page, "33-widget-iframe")


def test_an_origin_the_key_does_not_allow_gets_nothing(context: BrowserContext, platform: Platform) -> None:
    page = context.new_page()
    with page.expect_console_message(lambda message: "Govrate evaluation module" in message.text):
        page.goto(f"{platform.other_origin}/inline.html")
    expect(page.locator("iframe")).to_have_count(0)  # the configuration was refused (CORS, 403)
    screenshot(page, "34-widget-refused-origin")

    page.goto(f"{platform.other_origin}/iframe.html")
    page.wait_for_load_state("load")
    framed = [child for child in page.frames if child is not page.main_frame]
    assert framed
    # The browser refuses to show the frame (frame-ancestors): no rating form is ever in it.
    expect(module_frame(page).locator("form#rate")).to_have_count(0)
    screenshot(page, "35-widget-iframe-refused-origin")
