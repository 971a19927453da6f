"""What the e2e tests share: the run's local stacks (`python -m local.devstack` in a subprocess on free
ports, one of each kind for all the workers, see shared_stacks.py), and a real browser (Debian's
chromium, driven by Playwright) with axe-core to check a page with.

Screenshots, PDFs and accessibility reports go to test-artifacts/e2e/ (git-ignored; CI keeps them).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, sync_playwright

from local.devstack import READY_PREFIX
from tests.e2e.shared_stacks import ROOT, StartedStack, launch, shared_stack

ARTIFACTS = ROOT / "test-artifacts" / "e2e"
START_TIMEOUT_S = 300  # synthesizing the CDK app on a fresh clone is most of it
RESULTS_TIMEOUT_S = 600  # the analysis of the demo history at start, beside the seals and the watcher
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("GOVRATE_CHROMIUM", "/usr/bin/chromium")
# Flags that let Debian's chromium run headless as root in a container, quietly and offline.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The kiosk's timing, short enough for a test to watch a reset happen.
KIOSK_ENVIRONMENT = {
    "GOVRATE_KIOSK_POLL_SECONDS": "0.5",
    "GOVRATE_KIOSK_IDLE_SECONDS": "6",
    "GOVRATE_KIOSK_DEBOUNCE_MS": "1500",
    "GOVRATE_KIOSK_THANKS_SECONDS": "2",
}
# A citizen's page, its stylesheet and script included (QR images aside), must load within this.
PAGE_BUDGET_BYTES = 50 * 1024
SERIOUS = ("serious", "critical")
HISTORY = "history_stack"


@pytest.fixture(scope="session")
def stack() -> dict[str, Any]:
    """The running local stack, as its ready line describes it (api_url, aws_endpoint, environment, …),
    shared by every worker of the run.

    No history: its thousands of stream records would queue ahead of the tests' bad reviews."""
    return wait_until_ready(shared_stack("session", devstack_arguments("--no-history"), KIOSK_ENVIRONMENT))


def history_under_way() -> StartedStack:
    """The stack with demo history, started if no test has started it yet. Two weeks of it (`make dev`
    seeds five): every page the tests read has its rates, trend and rankings, for about half the CPU
    at start (the watcher and the analysis go through a third of the records)."""
    return shared_stack("history", devstack_arguments("--history-days", "14"), KIOSK_ENVIRONMENT)


@pytest.fixture(autouse=True)
def _history_started_early(request: pytest.FixtureRequest) -> None:
    """The history stack starts with the run's first test when a test reads the published results: its
    analysis at start takes a minute, which the tests before them cover (they run last, see
    `pytest_collection_modifyitems`)."""
    if any(uses(item, HISTORY) for item in request.session.items):
        history_under_way()


@pytest.fixture(scope="session")
def history_stack() -> dict[str, Any]:
    """The history stack once its analysis has published the results (the tests of the published
    results read them)."""
    ready = wait_until_ready(history_under_way())
    poll(lambda: published(ready["results_url"]), RESULTS_TIMEOUT_S)
    return ready


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of the published results last: the history stack's analysis runs meanwhile."""
    items.sort(key=lambda item: uses(item, HISTORY))


def uses(item: pytest.Item, fixture: str) -> bool:
    return fixture in getattr(item, "fixturenames", ())  # test functions have them, other items not


def published(results_url: str) -> bool:
    """Whether the results are out; a request the busy stack (the analysis itself) leaves unanswered is a no."""
    try:
        return requests.get(results_url, timeout=10).status_code == 200
    except requests.Timeout:
        return False


def devstack_arguments(*arguments: str, schedule_every: int = 3600) -> list[str]:
    """A test stack's options: any free port; the scheduled functions at start only (a ticker during
    the tests would only add noise), or never with `schedule_every` 0."""
    return ["--port", "0", "--schedule-every", f"{schedule_every}", *arguments]


@contextmanager
def started_stack(
    tmp_path_factory: pytest.TempPathFactory, *arguments: str, schedule_every: int = 3600
) -> Iterator[StartedStack]:
    """A stack of a test's own, stopped (and checked to exit cleanly) at the end."""
    output = tmp_path_factory.mktemp("devstack") / "output.log"
    process = launch(output, devstack_arguments(*arguments, schedule_every=schedule_every), KIOSK_ENVIRONMENT)
    try:
        yield StartedStack(process.pid, output)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0, output.read_text(encoding="utf-8")[-4000:]


def wait_until_ready(started: StartedStack) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in started.output.read_text(encoding="utf-8").splitlines():
            if line.startswith(READY_PREFIX):
                ready: dict[str, Any] = json.loads(line[len(READY_PREFIX) :])
                ready["output_log"] = str(started.output)  # what the stack prints, e.g. supervisor alerts
                return ready
        if started.exited():
            pytest.fail(f"the local stack exited:\n{started.output.read_text(encoding='utf-8')}")
        time.sleep(0.2)
    os.kill(started.pid, signal.SIGKILL)
    pytest.fail(f"the local stack was not ready in {START_TIMEOUT_S} s:\n{started.output.read_text(encoding='utf-8')}")


def poll(condition: Callable[[], Any], timeout_s: float) -> Any:
    """The first truthy answer of `condition` within the time; the test fails otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    pytest.fail(f"not within {timeout_s} s: {condition.__doc__ or condition}")


# The browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium (never a downloaded one): `apt-get install chromium`, as .ci/run does."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install -y --no-install-recommends chromium")
    if not AXE.is_file():
        pytest.fail(f"no axe-core at {AXE}: npm ci")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


# Set in the pages of a context without script (init scripts still run there): axe cannot finish in
# such a page, as its timers never fire.
WITHOUT_SCRIPT_MARK = "window.govrateTestWithoutScript = true;"


def new_context(browser: Browser, *, javascript: bool = True, **options: Any) -> BrowserContext:
    """A fresh context (cookies, storage)."""
    context = browser.new_context(java_script_enabled=javascript, locale="zh-CN", **options)
    if not javascript:
        context.add_init_script(WITHOUT_SCRIPT_MARK)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    browser_context = new_context(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    yield browser_context
    browser_context.close()


@pytest.fixture
def no_script_context(browser: Browser) -> Iterator[BrowserContext]:
    browser_context = new_context(browser, javascript=False, viewport={"width": 390, "height": 844})
    yield browser_context
    browser_context.close()


def screenshot(page: Page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_accessible(page: Page, name: str) -> None:
    """No serious or critical axe-core violation on the page, its frames included; the full report is kept
    as an artifact. A page seen without script is the server's HTML as it is, so axe checks a copy of it
    in a context that runs script."""
    if page.evaluate("() => window.govrateTestWithoutScript === true"):
        browser = page.context.browser
        assert browser is not None
        checker = new_context(browser, viewport=page.viewport_size)
        try:
            copy = checker.new_page()
            copy.set_content(page.content())
            assert_accessible(copy, name)
        finally:
            checker.close()
        return
    # axe-core into the page and each of its frames only now, not into every page the tests load (a
    # script evaluated over the DevTools protocol is not subject to the page's Content-Security-Policy).
    for frame in page.frames:
        frame.evaluate(axe_source())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))
            }));
        }"""
    )
    (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(violations, ensure_ascii=False, indent=2), encoding="utf-8")
    serious = [violation for violation in violations if violation["impact"] in SERIOUS]
    assert not serious, f"{name}: {json.dumps(serious, ensure_ascii=False, indent=2)}"


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


class Transfer:
    """The bytes a page's loads moved (headers and bodies as they went over the wire), QR images aside."""

    def __init__(self, page: Page) -> None:
        self._requests: list[Request] = []
        page.on("requestfinished", self._finished)

    def _finished(self, request: Request) -> None:
        self._requests.append(request)

    def total(self) -> int:
        total = 0
        for request in self._requests:
            if "/qr." in request.url:
                continue
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return total

    def assert_within_budget(self, name: str) -> int:
        total = self.total()
        assert 0 < total <= PAGE_BUDGET_BYTES, f"{name}: {total} bytes transferred"
        return total
