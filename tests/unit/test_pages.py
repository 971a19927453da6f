"""The pages people see, rendered without AWS: what the Content-Security-Policy allows is exactly what
the page inlines, user text is escaped, and every page stays small."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime

import pytest
from govrate.evaluations.models import (
    BurstHold,
    CaseState,
    CaseSummary,
    Channel,
    EvaluationStatus,
    HandlingRating,
    ReasonCode,
    ServiceItem,
    Stage,
)
from govrate.kernel.qr_codes import qr_svg_inline
from govrate.kernel.scale import Level
from govrate.rating.models import EvaluationView, Lang, PosterSize, RatingForm, RatingTarget, StageChoice, WindowPoster
from govrate.web.pages import (
    Page,
    PageContext,
    kiosk_page,
    poster_page,
    rating_page,
    receipt_page,
    refusal_page,
    reported_page,
    status_page,
    thanks_page,
)
from govrate.windows.models import ServiceWindow

PAGE_BUDGET = 50 * 1024
NOW = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)
ITEM = ServiceItem(
    item_code="110105-GA-002",
    version=2,
    name_zh="户口迁移登记",
    name_en="Household registration transfer",
    agency_code="110105-GA",
    agency_name_zh="北京市公安局朝阳分局",
    region_code="110105",
    region_name_zh="北京市朝阳区",
    channels=("window",),
    stages=(Stage.ACCEPT, Stage.APPROVE, Stage.DELIVER),
    promised_days=10,
)
WINDOW = ServiceWindow(
    window_id="110105-GA-W01",
    name_zh="公安综合窗口<1号>",
    name_en="Police counter 1",
    agency_code="110105-GA",
    region_code="110105",
    item_codes=("110105-GA-002",),
    rotation=1,
    revoked=False,
)
TARGET = RatingTarget(
    channel=Channel.WINDOW_QR,
    agency_code="110105-GA",
    region_code="110105",
    items=(ITEM,),
    record_id="BJ-1",
    ticket="t",
    stages=tuple(StageChoice(stage=stage, rated=stage is Stage.ACCEPT) for stage in ITEM.stages),
    evaluation_deadline=NOW,
)
VIEW = EvaluationView(
    status=EvaluationStatus(
        evaluation_id="01JDZ4Q4S0Z9T7XK3V6W8Y2A1B",
        item_code="110105-GA-002",
        agency_code="110105-GA",
        region_code="110105",
        channel=Channel.WINDOW_QR,
        stage=Stage.DELIVER,
        level=Level.DISSATISFIED,
        level_label_zh="不满意",
        level_label_en="Dissatisfied",
        comment="</dd><script>alert(1)</script>",
        reason_codes=[ReasonCode.SLOW, ReasonCode.REPEATED_TRIPS],
        created_at=NOW,
        bad_review=True,
        case=CaseSummary(
            state=CaseState.ANSWERED, opened_at=NOW, answer="已整改", answered_at=NOW, awaiting_rating=True
        ),
    ),
    item_name_zh="户口迁移登记",
    item_name_en="Household registration transfer",
)


def pages() -> dict[str, Page]:
    framed = PageContext(lang=Lang.EN, switch_url="?lang=zh", frame_ancestors=("https://zwfw.example.gov.cn",))
    plain = PageContext(switch_url="?lang=en")
    return {
        "rating": rating_page(TARGET, plain, max_comment_length=1000),
        "rating with problems": rating_page(
            TARGET,
            plain,
            max_comment_length=1000,
            values=RatingForm(level="2", comment="<b>typed</b>"),
            errors={"reason": "请至少选择一项不满意的原因。"},
        ),
        "framed rating": rating_page(TARGET, framed, max_comment_length=1000, nonce="n" * 22),
        "rating with the report": rating_page(
            TARGET, PageContext(switch_url="?lang=en", report_url="t/report"), max_comment_length=1000, nonce="n" * 22
        ),
        "reported": reported_page(plain, back_url="/q/t"),
        "report refused": reported_page(framed, back_url="/w/k/rate?items=x", refused=True),
        "refusal": refusal_page("gone", 410, plain),
        "thanks": thanks_page(plain),
        "receipt": receipt_page(VIEW, framed, status_url="https://pj.example.gov.cn/e/1?receipt=r"),
        "status": status_page(VIEW, plain, refresh_url="?receipt=r", receipt="r" * 22),
        "kiosk": kiosk_page(
            WINDOW, transaction_url="t", submit_url="s", poll_ms=2000, idle_ms=60000, debounce_ms=1500, thanks_ms=5000
        ),
        "poster": poster_page(
            WindowPoster(
                window=WINDOW,
                agency_name_zh="北京市公安局朝阳分局",
                url="https://x/q/t",
                qr_svg=qr_svg_inline("https://x/q/t"),
            ),
            PosterSize.A4,
            other_size_url="?size=a5",
        ),
    }


def sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("name", list(pages()))
def test_the_policy_allows_exactly_what_the_page_inlines(name: str) -> None:
    page = pages()[name]
    policy = dict(directive.split(" ", 1) for directive in page.headers["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'none'"
    styles = re.findall(r"<style>(.*?)</style>", page.body, re.DOTALL)
    scripts = re.findall(r"<script>(.*?)</script>", page.body, re.DOTALL)
    assert policy["style-src"].split() == [sha256(style) for style in styles]
    assert policy.get("script-src", "").split() == [sha256(script) for script in scripts]
    assert "<script src" not in page.body
    assert "<link" not in page.body
    assert len(page.body.encode()) <= PAGE_BUDGET


def test_user_text_is_escaped() -> None:
    rendered = pages()
    assert "&lt;/dd&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in rendered["status"].body
    assert "&lt;b&gt;typed&lt;/b&gt;</textarea>" in rendered["rating with problems"].body
    assert "公安综合窗口&lt;1号&gt;" in rendered["kiosk"].body


def test_only_the_web_modules_pages_may_be_framed_and_by_its_origins_only() -> None:
    for name, page in pages().items():
        ancestors = page.headers["Content-Security-Policy"].split("frame-ancestors ")[1]
        expected = "https://zwfw.example.gov.cn" if name in {"framed rating", "receipt", "report refused"} else "'none'"
        assert ancestors == expected, name


def test_the_status_page_shows_the_case_and_the_agencys_answer() -> None:
    body = pages()["status"].body
    assert 'data-state="answered">已答复，请评价处理结果</dd>' in body
    assert "<dd>已整改</dd>" in body
    assert "2026-11-25 10:30" in body  # China time


def test_the_status_page_of_an_answered_case_carries_the_form_rating_the_handling() -> None:
    page = pages()["status"]
    form = re.search(r'<form method="post" action="([^"]+)" id="handling">(.*?)</form>', page.body, re.DOTALL)
    assert form is not None
    assert form.group(1) == "/e/01JDZ4Q4S0Z9T7XK3V6W8Y2A1B/handling"
    assert f'name="receipt" value="{"r" * 22}"' in form.group(2)
    ratings = re.findall(r'name="rating" value="(\w+)" required><span>([^<]+)</span>', form.group(2))
    assert ratings == [("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意")]
    assert 'name="comment" maxlength="500"' in form.group(2)
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    english = status_page(VIEW, PageContext(lang=Lang.EN), refresh_url="?", receipt="r" * 22, handling_problem=True)
    assert 'action="/e/01JDZ4Q4S0Z9T7XK3V6W8Y2A1B/handling?lang=en"' in english.body
    assert 'role="alert">Choose how satisfied you are with the handling.</p>' in english.body
    assert english.body.count('aria-invalid="true"') == 3


def test_the_status_page_says_what_a_dissatisfied_rating_did() -> None:
    due = datetime(2026, 12, 16, 16, 0, tzinfo=UTC)  # midnight of 17 December in China: the end of the 16th
    cases = {
        "reopened": CaseSummary(
            state=CaseState.VERIFIED,
            opened_at=NOW,
            reopened=True,
            due_at=due,
            handling_rating=HandlingRating.DISSATISFIED,
        ),
        "escalated": CaseSummary(state=CaseState.ESCALATED, opened_at=NOW, handling_rating=HandlingRating.DISSATISFIED),
        "closed": CaseSummary(state=CaseState.CLOSED, opened_at=NOW, handling_rating=HandlingRating.SATISFIED),
    }
    said = {}
    for name, case in cases.items():
        view = VIEW.model_copy(update={"status": VIEW.status.model_copy(update={"case": case})})
        body = status_page(view, PageContext(), refresh_url="?", receipt="r" * 22).body
        assert 'id="handling"' not in body
        said[name] = re.search(r'id="case-outcome">([^<]+)</p>', body).group(1)  # type: ignore[union-attr]
    assert said["reopened"].startswith("您对处理结果不满意，案件已退回办理部门重新处理。")
    assert "2026-12-16" in said["reopened"]
    assert "上级主管部门督办" in said["escalated"]
    assert "案件已办结" in said["closed"]


def test_the_status_page_of_a_review_held_in_a_burst_says_what_became_of_it() -> None:
    said = {}
    for hold in BurstHold:
        status = VIEW.status.model_copy(update={"case": None, "burst": hold})
        for lang in Lang:
            body = status_page(
                VIEW.model_copy(update={"status": status}), PageContext(lang=lang), refresh_url="?", receipt="r" * 22
            ).body
            said[hold, lang] = re.search(r'id="case-state" data-burst="[a-z]+">([^<]+)</p>', body).group(1)  # type: ignore[union-attr]
            assert "转交办理部门" not in body and "passed to the agency" not in body
    assert "等待上级主管部门一并审核" in said[BurstHold.AWAITING, Lang.ZH]
    assert "awaits the supervising authority&#39;s review" in said[BurstHold.AWAITING, Lang.EN]
    assert "不再单独立案" in said[BurstHold.FLOOD, Lang.ZH] and "仍计入公开的评价结果" in said[BurstHold.FLOOD, Lang.ZH]
    flood = said[BurstHold.FLOOD, Lang.EN]
    assert "reviewed them together and no separate case is opened" in flood
    assert "still counts in the published results" in flood


def test_the_receipt_repeats_the_level_and_the_reasons() -> None:
    body = pages()["receipt"].body
    assert "<dd>Dissatisfied</dd>" in body
    assert "<li>Slow, long wait</li><li>Had to come back again</li>" in body


def test_the_thanks_page_has_no_language_link_back_to_the_form() -> None:
    assert "?lang=" not in pages()["thanks"].body


def test_a_wrong_status_link_is_said_to_be_a_wrong_link() -> None:
    page = refusal_page("unknown-link", 404, PageContext())
    assert "找不到这条评价" in page.body
    assert "二维码" not in page.body


def test_the_rating_page_offers_the_open_stages_of_a_record() -> None:
    body = pages()["rating"].body
    inputs = re.findall(r'<input type="radio" name="stage" value="(\w+)"([^>]*)>', body)
    assert [(stage, " disabled" in attributes) for stage, attributes in inputs] == [
        ("accept", True),
        ("approve", False),
        ("deliver", False),
    ]
    assert "受理（已评价）" in body


def test_the_rating_page_says_rating_is_voluntary_and_may_be_anonymous() -> None:
    chinese = pages()["rating"].body
    assert "评价完全自愿，可以匿名" in chinese
    assert "Rating is voluntary and may be anonymous" in pages()["framed rating"].body


def test_every_rating_surface_says_the_same_words_on_freedom_to_evaluate() -> None:
    notice = ("评价完全自愿，可以匿名；任何单位和个人不得强迫、催促或干扰您的评价。", "nobody may press you to rate")
    for name in ("rating", "kiosk", "poster"):
        assert all(words in pages()[name].body for words in notice[: 1 if name == "rating" else 2]), name
    assert notice[1] in pages()["framed rating"].body


def test_the_report_of_being_pressed_is_a_plain_form_with_the_pages_token() -> None:
    body = pages()["rating with the report"].body
    form = re.search(r'<form id="report" method="post" action="t/report">(.*?)</form>', body, re.DOTALL)
    assert form is not None
    assert f'<input type="hidden" name="nonce" value="{"n" * 22}">' in form[1]
    assert '<label class="field" for="report-comment">' in form[1]
    assert "有人要求或催促我评价" in form[1]
    # Without a token (a page that serves no form) there is nothing to report with.
    assert 'id="report"' not in pages()["rating"].body


def test_the_report_answers_with_a_plain_confirmation_or_says_to_reload() -> None:
    reported, refused = pages()["reported"], pages()["report refused"]
    assert (reported.status, refused.status) == (200, 422)
    assert "举报已收到" in reported.body and 'href="/q/t"' in reported.body
    assert "Go back, reload the page and report again" in refused.body and 'role="alert"' in refused.body
    assert 'href="/w/k/rate?items=x"' in refused.body


def test_the_too_many_requests_page_says_plainly_to_try_later() -> None:
    page = refusal_page("too-many-requests", 429, PageContext(switch_url="?lang=en"), {"Retry-After": "42"})
    assert page.status == 429
    assert page.headers["Retry-After"] == "42"
    assert "请稍后再提交" in page.body
