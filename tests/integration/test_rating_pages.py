"""The pages citizens rate on, on moto: a window's QR page and a record's ticket page, their form posts
(with and without the page's script), the receipt and status pages, the ticket's QR image, the poster."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import case_consumer
import pytest
import segno
import time_machine
from govrate.evaluations.models import Channel, NegativeReviewMessage, ReasonCode, Stage
from govrate.kernel.scale import Level

from tests.integration.rating_support import (
    FORM_FOR_SCRIPT,
    WINDOW,
    WINDOW_ID,
    evaluation_count,
    now,
    page_path,
    post_form,
    receipt_location,
    register_service_record,
    register_window,
    served_form_token,
    stored,
    window_token,
)

BAD = {"item": "110105-GA-001", "level": "2", "reason": ["slow", "attitude"], "comment": "等了一个小时"}


@pytest.fixture
def client(client: Any) -> Any:
    register_window(client)
    return client


@pytest.fixture
def token(client: Any) -> str:
    return window_token(client)


def text(response: Any) -> str:
    return str(response.body.decode())


# The window's page


def test_the_page_is_chinese_by_default_and_english_on_request(client: Any, token: str) -> None:
    chinese = text(client.http.get(f"/q/{token}"))
    assert '<html lang="zh-CN">' in chinese
    assert "请对本次服务进行评价" in chinese
    assert '<a href="?lang=en" lang="en" hreflang="en">English</a>' in chinese
    english = client.http.get(f"/q/{token}?lang=en")
    assert english.status_code == 200
    page = text(english)
    assert '<html lang="en">' in page
    assert "Please rate this service" in page
    assert WINDOW["name_en"] in page
    for label in ("Very satisfied", "Dissatisfied", "Slow, long wait", "Renewal of resident identity card"):
        assert label in page
    assert '<a href="?lang=zh" lang="zh-CN" hreflang="zh-CN">中文</a>' in page


def test_the_page_is_labelled_for_assistive_technology(client: Any, token: str) -> None:
    page = text(client.http.get(f"/q/{token}"))
    for field in ("item", "level", "reason", "contact"):
        assert re.search(rf'<fieldset id="field-{field}">\s*<legend>', page), field
    for control in ("comment", "contact_name", "contact_phone", "contact_email", "contact_consent"):
        assert f'for="field-{control}"' in page, control
    assert 'role="status" aria-live="polite"' in page
    # The honeypot is out of sight and out of the tab order, and says so if reached anyway.
    assert re.search(r'<div class="trap" aria-hidden="true"><label for="website">[^<]*请勿填写', page)
    assert 'tabindex="-1" autocomplete="off"' in page


def test_a_bad_review_without_script_is_a_plain_post_then_the_receipt_page(client: Any, token: str) -> None:
    response = post_form(client, f"/q/{token}", BAD)
    evaluation_id, receipt = receipt_location(response)
    assert response.headers["Location"].startswith("http://localhost/e/")
    evaluation = stored(evaluation_id)
    assert (evaluation.channel, evaluation.window_id, evaluation.item_code) == (
        Channel.WINDOW_QR,
        WINDOW_ID,
        "110105-GA-001",
    )
    assert evaluation.level is Level.DISSATISFIED
    assert evaluation.reason_codes == (ReasonCode.SLOW, ReasonCode.ATTITUDE)
    assert evaluation.comment == "等了一个小时"
    assert evaluation.stage is Stage.OVERALL
    assert evaluation.contact_cipher is None  # anonymous

    page = client.http.get(page_path(response.headers["Location"]))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    body = text(page)
    for shown in ("评价已提交", "居民身份证换领", "不满意", "转交办理部门", evaluation_id):
        assert shown in body
    status_link = re.search(r'<a class="link" id="status-link" href="([^"]+)">', body)
    assert status_link
    assert status_link[1].replace("&amp;", "&") == f"http://localhost/e/{evaluation_id}?receipt={receipt}"


def test_the_script_gets_the_receipt_page_as_json(client: Any, token: str) -> None:
    response = post_form(client, f"/q/{token}?lang=en", {**BAD, "level": "5", "reason": []}, FORM_FOR_SCRIPT)
    assert response.status_code == 201
    answer = json.loads(response.body)
    assert re.fullmatch(r"http://localhost/e/[0-9A-Z]{26}/receipt\?receipt=[\w-]+&lang=en", answer["next_url"])
    assert "Evaluation submitted" in text(client.http.get(page_path(answer["next_url"])))


def test_a_good_review_ignores_reason_chips_left_ticked(client: Any, token: str) -> None:
    evaluation_id, _ = receipt_location(post_form(client, f"/q/{token}", {**BAD, "level": "4"}))
    assert stored(evaluation_id).reason_codes == ()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"level": ""}, "level", "请选择满意程度。"),
        ({"level": "7"}, "level", "请选择满意程度。"),
        ({"reason": []}, "reason", "请至少选择一项不满意的原因。"),
        ({"reason": ["nonsense"]}, "reason", "请至少选择一项不满意的原因。"),
        ({"item": "110105-SJ-001"}, "item", "请选择办理事项。"),
        ({"comment": "长" * 1001}, "comment", "意见建议过长，请精简。"),
        ({"contact_phone": "13800138000"}, "contact_consent", "留下联系方式需勾选同意回访。"),
        ({"contact_consent": "on"}, "contact", "请填写手机号或电子邮箱，或不留联系方式。"),
        ({"contact_phone": "12345", "contact_consent": "on"}, "contact_phone", "请填写正确的11位手机号。"),
        ({"contact_email": "nobody", "contact_consent": "on"}, "contact_email", "请填写正确的电子邮箱。"),
    ],
)
def test_a_problem_comes_back_beside_its_field_with_what_was_typed(
    client: Any, token: str, change: dict[str, Any], field: str, message: str
) -> None:
    response = post_form(client, f"/q/{token}", {**BAD, **change})
    assert response.status_code == 422
    page = text(response)
    assert f'<p class="error" id="error-{field}">{message}</p>' in page
    assert f'<li><a href="#field-{field}">{message}</a></li>' in page
    assert 'aria-invalid="true"' in page
    if "comment" not in change:
        assert "等了一个小时</textarea>" in page  # nothing typed is lost
    assert evaluation_count() == 0

    script = post_form(client, f"/q/{token}", {**BAD, **change}, FORM_FOR_SCRIPT)
    assert script.status_code == 422
    assert script.headers["Content-Type"] == "application/problem+json"
    assert json.loads(script.body)["errors"] == [{"field": field, "message": message}]


def test_the_problems_speak_the_pages_language(client: Any, token: str) -> None:
    response = post_form(client, f"/q/{token}?lang=en", {**BAD, "reason": []})
    assert "Choose at least one reason." in text(response)


def test_a_contact_is_kept_only_with_consent_and_encrypted(client: Any, token: str) -> None:
    fields = {**BAD, "contact_name": "王女士", "contact_phone": "13800138000", "contact_consent": "on"}
    evaluation_id, _ = receipt_location(post_form(client, f"/q/{token}", fields))
    evaluation = stored(evaluation_id)
    assert evaluation.contact_cipher is not None
    assert b"13800138000" not in evaluation.contact_cipher


def test_a_filled_honeypot_stores_nothing_and_is_logged(
    client: Any, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = post_form(client, f"/q/{token}", {**BAD, "website": "http://spam.example"})
    assert response.status_code == 200
    assert "您的评价已收到" in text(response)
    script = post_form(client, f"/q/{token}", {**BAD, "website": "x"}, FORM_FOR_SCRIPT)
    assert json.loads(script.body) == {"next_url": None, "message": "您的评价已收到，感谢您的反馈。"}
    assert evaluation_count() == 0
    warnings = [record for record in caplog.records if record.getMessage() == "suspicious submission refused quietly"]
    assert [(record.levelname, record.__dict__["path"]) for record in warnings] == [("WARNING", "/q/{token}")] * 2


def test_the_same_form_posted_twice_is_one_evaluation(client: Any, token: str) -> None:
    nonce = served_form_token(client, f"/q/{token}")
    first = post_form(client, f"/q/{token}", {**BAD, "nonce": nonce})
    original = receipt_location(first)
    # A second tap, or a retry after a lost answer: the receipt of the evaluation taken, status link and all.
    again = post_form(client, f"/q/{token}", {**BAD, "nonce": nonce})
    assert receipt_location(again) == original
    script_again = post_form(client, f"/q/{token}", {**BAD, "nonce": nonce}, FORM_FOR_SCRIPT)
    assert script_again.status_code == 201
    assert json.loads(script_again.body)["next_url"] == first.headers["Location"]
    receipt = text(client.http.get(page_path(again.headers["Location"])))
    assert f"/e/{original[0]}?receipt={original[1]}" in receipt
    # The same rating from another page (another token) is not given that receipt.
    other = post_form(client, f"/q/{token}", BAD)
    assert other.status_code == 303 and receipt_location(other) != original  # a window's code rates anew
    assert evaluation_count() == 2


def test_the_page_loaded_again_after_rating_keeps_the_token_until_asked_to_rate_anew(client: Any, token: str) -> None:
    path = f"/q/{token}"
    first = post_form(client, path, BAD)
    kept = first.headers["Set-Cookie"]
    assert kept.startswith("govrate_rated=") and f"Path={path};" in kept and "HttpOnly" in kept
    browser = {"cookie": kept.split(";")[0]}
    # Back from the receipt: the page again, with the token rated with, so posting it is the same rating.
    back = client.http.get(path, headers=browser)
    assert back.status_code == 200 and "几分钟前已在本设备提交过" in text(back)
    nonce = re.search(r'name="nonce" value="([\w.-]+)"', text(back))
    assert nonce is not None
    again = post_form(client, path, {**BAD, "nonce": nonce[1]})
    assert receipt_location(again) == receipt_location(first)
    assert evaluation_count() == 1
    # Rating another service: the link forgets the kept token and shows the page at its own address.
    anew = client.http.get(f"{path}?again=1", headers=browser)
    assert (anew.status_code, anew.headers["Location"]) == (303, path)
    assert "Max-Age=0" in anew.headers["Set-Cookie"]
    fresh = client.http.get(path)
    assert "几分钟前" not in text(fresh)
    # A kept token of another page, or a forged one, is not used.
    forged = client.http.get(path, headers={"cookie": "govrate_rated=forged.token"})
    assert "几分钟前" not in text(forged)


def test_a_tickets_form_posted_again_lands_on_its_receipt_even_when_the_record_is_done(client: Any) -> None:
    ticket = register_service_record("BJ-2026-0011", stages=(Stage.DELIVER,))
    nonce = served_form_token(client, f"/t/{ticket}")
    first = receipt_location(post_form(client, f"/t/{ticket}", {"level": "2", "reason": ["slow"], "nonce": nonce}))
    assert client.http.get(f"/t/{ticket}").status_code == 409  # every stage is rated now
    again = post_form(client, f"/t/{ticket}", {"level": "2", "reason": ["slow"], "nonce": nonce})
    assert receipt_location(again) == first
    stranger = post_form(client, f"/t/{ticket}", {"level": "2", "reason": ["slow"]})
    assert stranger.status_code == 409
    assert evaluation_count() == 1


@pytest.mark.parametrize(
    "nonce",
    [
        pytest.param("", id="missing"),
        pytest.param("AAAAAAAAAAAA.1764460800.AAAAAAAAAAAAAAAAAAAAAA", id="forged"),
    ],
)
def test_a_form_without_a_token_served_for_it_is_refused(client: Any, token: str, nonce: str) -> None:
    page = post_form(client, f"/q/{token}", {**BAD, "nonce": nonce})
    assert page.status_code == 422
    fresh = re.search(r'name="nonce" value="([\w.-]+)"', text(page))
    assert fresh and fresh[1] != nonce  # the form again, with a token to rate with
    script = post_form(client, f"/q/{token}", {**BAD, "nonce": nonce}, FORM_FOR_SCRIPT)
    assert script.status_code == 422
    assert [error["field"] for error in json.loads(script.body)["errors"]] == ["form"]
    assert script.headers["X-Form-Token"]
    assert evaluation_count() == 0
    receipt_location(post_form(client, f"/q/{token}", {**BAD, "nonce": fresh[1]}))


def test_a_token_is_bound_to_its_page_and_expires(client: Any, token: str) -> None:
    ticket = register_service_record("BJ-2026-0009")
    of_the_ticket = served_form_token(client, f"/t/{ticket}")
    assert post_form(client, f"/q/{token}", {**BAD, "nonce": of_the_ticket}).status_code == 422
    served = served_form_token(client, f"/q/{token}")
    with time_machine.travel(now() + timedelta(minutes=121)):
        assert post_form(client, f"/q/{token}", {**BAD, "nonce": served}).status_code == 422
    assert evaluation_count() == 0


def test_a_rotated_code_refuses_the_page_and_the_post(client: Any, token: str) -> None:
    client.http.post(f"/v1/windows/{WINDOW_ID}/rotate")
    page = client.http.get(f"/q/{token}?lang=en")
    assert page.status_code == 410
    assert "Code no longer valid" in text(page)
    assert post_form(client, f"/q/{token}", BAD).status_code == 410
    script = post_form(client, f"/q/{token}", BAD, FORM_FOR_SCRIPT)
    assert script.status_code == 410
    assert json.loads(script.body)["detail"].startswith("这个二维码已更换或停用")
    assert evaluation_count() == 0


# The receipt and status pages


def test_the_status_page_shows_the_evaluation_and_the_handling_of_a_bad_review(
    client: Any, token: str, lambda_context: Any
) -> None:
    fields = {**BAD, "comment": "<script>alert(1)</script> 材料讲不清"}
    evaluation_id, receipt = receipt_location(post_form(client, f"/q/{token}", fields))
    status = client.http.get(f"/e/{evaluation_id}?receipt={receipt}")
    assert status.status_code == 200
    body = text(status)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 材料讲不清" in body
    assert "<script>alert(1)" not in body
    assert "正在转交办理部门" in body

    evaluation = stored(evaluation_id)
    message = NegativeReviewMessage(
        evaluation_id=evaluation_id,
        item_code=evaluation.item_code,
        agency_code=evaluation.agency_code,
        region_code=evaluation.region_code,
        level=evaluation.level,
        created_at=evaluation.created_at,
    )
    record = {
        "messageId": "m-1",
        "receiptHandle": "h-1",
        "body": message.model_dump_json(),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws-cn:sqs:cn-north-1:123456789012:test-negative-reviews",
        "awsRegion": "cn-north-1",
    }
    assert case_consumer.handler({"Records": [record]}, lambda_context) == {"batchItemFailures": []}
    opened = text(client.http.get(f"/e/{evaluation_id}?receipt={receipt}&lang=en"))
    assert re.search(r'<dd id="case-state" data-state="received">Received; the agency will contact you', opened)


@pytest.mark.parametrize("path", ["/e/{id}?receipt={wrong}", "/e/{id}/receipt?receipt={wrong}", "/e/{id}"])
def test_a_wrong_receipt_shows_nothing_of_the_evaluation(client: Any, token: str, path: str) -> None:
    evaluation_id, _ = receipt_location(post_form(client, f"/q/{token}", BAD))
    response = client.http.get(path.format(id=evaluation_id, wrong="A" * 22))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "等了一个小时" not in text(response)
    assert "找不到这条评价" in text(response)  # a wrong link, not an unknown QR code


def test_the_receipt_repeats_the_level_and_the_reasons(client: Any, token: str) -> None:
    location = post_form(client, f"/q/{token}", BAD).headers["Location"]
    receipt = text(client.http.get(page_path(location)))
    assert "<dd>不满意</dd>" in receipt
    assert "<li>办理慢、等候久</li><li>服务态度不好</li>" in receipt


def test_the_favicon_is_an_empty_answer_not_an_error(client: Any) -> None:
    response = client.http.get("/favicon.ico")
    assert response.status_code == 204
    assert "max-age" in response.headers["Cache-Control"]


# A service record's ticket


def test_the_ticket_page_names_the_service_and_the_stages_to_rate(client: Any) -> None:
    ticket = register_service_record("BJ-2026-0001")
    response = client.http.get(f"/t/{ticket}")
    assert response.status_code == 200
    page = text(response)
    assert "户口迁移登记" in page
    assert "办件编号：BJ-2026-0001" in page
    assert re.findall(r'name="stage" value="(\w+)"', page) == ["accept", "deliver"]
    assert re.search(r'name="nonce" value="[\w.-]{40,}"', page)


def test_each_stage_is_rated_once_then_the_record_is_already_rated(client: Any) -> None:
    ticket = register_service_record("BJ-2026-0002")
    accept_id, _ = receipt_location(post_form(client, f"/t/{ticket}", {"stage": "accept", "level": "5"}))
    accepted = stored(accept_id)
    assert (accepted.record_id, accepted.stage, accepted.channel) == ("BJ-2026-0002", Stage.ACCEPT, Channel.WINDOW_QR)

    page = text(client.http.get(f"/t/{ticket}"))
    assert "评价环节：出件" in page  # only delivery is left
    assert 'name="stage"' not in page
    again = post_form(client, f"/t/{ticket}", {"stage": "accept", "level": "1", "reason": ["slow"]})
    assert again.status_code == 409
    assert "已经评价过了" in text(again)

    receipt_location(post_form(client, f"/t/{ticket}", {"level": "3"}))
    done = client.http.get(f"/t/{ticket}?lang=en")
    assert done.status_code == 409
    assert "Already rated" in text(done)
    assert evaluation_count() == 2


def test_a_record_served_online_is_rated_from_the_phone_as_mobile(client: Any) -> None:
    ticket = register_service_record("BJ-2026-0003", item_code="110105-SJ-001", stages=(Stage.OVERALL,), window_id=None)
    page = text(client.http.get(f"/t/{ticket}"))
    assert "企业设立登记" in page
    assert 'name="stage"' not in page
    assert "评价环节" not in page
    evaluation_id, _ = receipt_location(post_form(client, f"/t/{ticket}", {"level": "4"}))
    assert stored(evaluation_id).channel is Channel.MOBILE_APP


def test_after_the_evaluation_period_the_ticket_gets_a_friendly_page(client: Any) -> None:
    ticket = register_service_record("BJ-2026-0004", completed_at=now() - timedelta(days=8))
    response = client.http.get(f"/t/{ticket}")
    assert response.status_code == 422
    assert "评价期已过" in text(response)
    assert "评价期已过" in text(post_form(client, f"/t/{ticket}", {"stage": "accept", "level": "5"}))
    assert evaluation_count() == 0


@pytest.mark.parametrize(
    "forge", [lambda ticket: ticket[:-2] + "AA", lambda ticket: ticket.replace("BJ-2026-0005", "BJ-2026-0006")]
)
def test_a_forged_ticket_is_refused_with_a_page(client: Any, forge: Any) -> None:
    ticket = register_service_record("BJ-2026-0005")
    register_service_record("BJ-2026-0006")
    response = client.http.get(f"/t/{forge(ticket)}")
    assert response.status_code == 404
    assert "二维码无法识别" in text(response)


def test_the_tickets_qr_code_for_a_receipt_or_a_kiosk_screen(client: Any) -> None:
    ticket = register_service_record("BJ-2026-0007")
    svg = client.http.get(f"/t/{ticket}/qr.svg")
    assert svg.status_code == 200
    assert svg.headers["Content-Type"] == "image/svg+xml"
    png = client.http.get(f"/t/{ticket}/qr.png", headers={"Accept": "image/png"})
    assert png.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.http.get(f"/t/{ticket}/qr.png", headers={"Accept": "text/html"}).status_code == 406
    assert client.http.get(f"/t/{ticket[:-2]}AA/qr.svg").status_code == 404
    # A record id of the usual length keeps the ticket's code small enough to print on a receipt.
    url = f"http://localhost/t/{ticket}"
    assert int(segno.make(url, error="m").version) <= 6


# The poster


@pytest.mark.parametrize(("size", "page_size"), [("", "A4"), ("?size=a5", "A5")])
def test_the_poster_to_print(client: Any, token: str, size: str, page_size: str) -> None:
    response = client.http.get(f"/v1/windows/{WINDOW_ID}/poster{size}")
    assert response.status_code == 200
    page = text(response)
    for shown in (WINDOW["name_zh"], WINDOW["name_en"], "北京市公安局朝阳分局", "请您评价", "Please rate our service"):
        assert shown in page
    assert "用手机扫描二维码" in page
    assert "Scan the code with your phone" in page
    assert f"@page{{size:{page_size} portrait" in page
    assert f"http://localhost/q/{token}" in page
    view_box = re.search(r'<svg viewBox="0 0 (\d+) (\d+)" class="qr"', page)
    assert view_box
    modules = int(view_box[1]) - 8  # the quiet zone: 4 modules each side
    assert (modules - 17) // 4 == int(segno.make(f"http://localhost/q/{token}", error="m").version) <= 6
    assert "style-src 'sha256-" in response.headers["Content-Security-Policy"]


def test_a_revoked_window_has_no_poster(client: Any, token: str) -> None:
    client.http.post(f"/v1/windows/{WINDOW_ID}/revoke")
    assert client.http.get(f"/v1/windows/{WINDOW_ID}/poster").status_code == 410


def test_a_link_cut_short_gets_the_page_saying_so_not_a_json_document(client: Any) -> None:
    for path, title in (
        ("/q/", "二维码无法识别"),
        ("/t/", "二维码无法识别"),
        ("/e/", "找不到这条评价"),
        ("/q/?lang=en", "Code not recognised"),
    ):
        response = client.http.get(path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8", path
        assert title in text(response), path
