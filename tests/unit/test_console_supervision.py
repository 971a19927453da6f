"""The console's supervision cases as a supervisor reads them: each kind by its name, what a burst holds
and what a report says at the top, the decision forms of the kind, and no code where a name exists."""

from __future__ import annotations

import pytest

from tests.fakes.console_pages import REPORT_COMMENT, WINDOW, SupervisionPages, supervision_pages
from tests.fakes.world import FakeWorld

# Codes the console must show by their names.
CODES = ("bad_review", "pressure_report", "window_qr", "supervision_platform", "window#", "item#", ">received<")


@pytest.fixture
def pages() -> SupervisionPages:
    return supervision_pages(FakeWorld())


def section(page: str, labelled_by: str) -> str:
    return page.split(f'aria-labelledby="{labelled_by}">', 1)[1].split("</section>", 1)[0]


def test_the_list_names_the_supervision_cases_by_their_kind(pages: SupervisionPages) -> None:
    for case_id, kind in (
        (pages.burst_id, "集中差评待定 burst of bad reviews awaiting a decision"),
        (pages.report_id, "举报：被要求或催促评价 report: pressed to rate"),
    ):
        entry = pages.listing.split(f'href="/console/cases/{case_id}"', 1)[1].split("</li>", 1)[0]
        assert kind in entry
        # The window by its registry's name, its id beside.
        assert f'窗口 Window {WINDOW.name_zh} <span class="code">{WINDOW.window_id}</span>' in entry
        assert "户口迁移登记" in entry
        assert "北京市公安局朝阳分局" in entry  # the agency by its name
        assert "—" not in entry.split('class="facts"', 1)[1]  # no level where a kind has none
    assert pages.listing.count('class="case supervision') == 2
    assert not any(code in pages.listing for code in CODES)


def test_a_burst_shows_its_held_reviews_and_the_decision(pages: SupervisionPages) -> None:
    burst = section(pages.burst, "burst")
    assert "The 2 held bad reviews" in burst
    assert burst.count("1 非常不满意 Very dissatisfied") == 2 and burst.count("户口迁移登记") >= 3
    assert all(evaluation_id in burst for evaluation_id in pages.held)
    assert "/console/cases/" not in burst  # the held reviews have no case of their own until judged genuine
    assert "窗口 Window 110105-GA-W01" in section(pages.burst, "history")  # the counted subject, by its name
    assert 'action="/console/cases/' + pages.burst_id + '/burst-decision"' in pages.burst
    assert "/contact" not in pages.burst and 'id="evaluator"' not in pages.burst
    assert not any(code in pages.burst for code in CODES)


def test_a_report_shows_what_the_citizen_said_and_the_finding_form(pages: SupervisionPages) -> None:
    report = section(pages.report, "report")
    for shown in (
        "举报：被要求或催促评价 report: pressed to rate",
        REPORT_COMMENT,
        WINDOW.window_id,
        "户口迁移登记 Household registration transfer",
        "窗口二维码评价页",
        "匿名，无个人信息",
    ):
        assert shown in report
    assert "监督平台 supervision platform" in section(pages.report, "history")
    assert 'action="/console/cases/' + pages.report_id + '/conclusion"' in pages.report
    assert "/burst-decision" not in pages.report and 'id="evaluator"' not in pages.report
    assert not any(code in pages.report for code in CODES)
