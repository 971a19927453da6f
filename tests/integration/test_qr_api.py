"""The QR HTTP function through Chalice's test client, on moto: windows, signed codes, the rating page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import qr_api
import segno
from govrate import runtime
from govrate.catalogue.service import parse_items, read_catalogue
from govrate.evaluations.models import ReasonCode, ServiceItem
from govrate.windows.service import register_agency_windows

from tests.integration.conftest import CATALOGUE_CSV
from tests.integration.staff_support import SignedIn, Staff, StaffPool

WINDOW_ID = "110105-GA-W01"
WINDOW: dict[str, Any] = {
    "window_id": WINDOW_ID,
    "name_zh": "朝阳区政务服务中心 公安综合窗口1号",
    "name_en": "Chaoyang service centre, police counter 1",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "item_codes": ["110105-GA-001", "110105-GA-002"],
}
JSON = {"content-type": "application/json"}
PUBLIC_BASE = "https://pj.zwfw.example.gov.cn"


@pytest.fixture
def window(client: Any) -> dict[str, Any]:
    response = register(client, WINDOW)
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def register(client: Any, body: dict[str, Any]) -> Any:
    return client.http.post("/v1/windows", headers=JSON, body=json.dumps(body).encode())


def issue(client: Any, window_id: str = WINDOW_ID, headers: dict[str, str] | None = None) -> Any:
    return client.http.post(f"/v1/windows/{window_id}/qr", headers=headers or {})


def issued_token(client: Any) -> str:
    response = issue(client)
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["url"]).rsplit("/q/", 1)[1]


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/problem+json"
    return dict(json.loads(response.body))


# Registering windows


def test_a_window_is_registered_with_its_first_rotation(window: dict[str, Any]) -> None:
    assert window == {**WINDOW, "rotation": 1, "revoked": False}


def test_registering_the_same_window_again_is_a_replay(client: Any, window: dict[str, Any]) -> None:
    replay = register(client, WINDOW)
    assert replay.status_code == 201
    assert json.loads(replay.body) == window
    assert replay.headers["Location"] == "/v1/windows/110105-GA-W01"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"window_id": "W" * 25}, "window_id"),
        ({"window_id": "110105.GA"}, "window_id"),
        ({"item_codes": []}, "item_codes"),
        ({"item_codes": ["110105-GA-001", "110105-GA-001"]}, "item_codes"),
        ({"region_code": "12345"}, "region_code"),
    ],
)
def test_an_invalid_registration_names_the_field(client: Any, change: dict[str, Any], field: str) -> None:
    response = register(client, {**WINDOW, **change})
    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == field


def test_the_demo_seed_registers_one_window_per_agency(client: Any) -> None:
    rows = read_catalogue(CATALOGUE_CSV.read_text(encoding="utf-8"), "csv")
    items = [item for _, item in parse_items(rows) if isinstance(item, ServiceItem)]
    windows, catalogue = runtime.window_repository(), runtime.catalogue_repository()
    seeded = register_agency_windows(items, windows=windows, catalogue=catalogue)
    assert register_agency_windows(items, windows=windows, catalogue=catalogue) == seeded  # idempotent
    window_items = [item for item in items if "window" in item.channels]
    assert sorted(code for window in seeded for code in window.item_codes) == sorted(
        item.item_code for item in window_items
    )
    assert len(seeded) == len({item.agency_code for item in window_items})
    police = next(window for window in seeded if window.window_id == "110105-GA-W01")
    assert police.item_codes == ("110105-GA-001", "110105-GA-002")
    assert police.name_zh == "北京市公安局朝阳分局 综合窗口"
    for window in seeded:  # every region's window prints its code (an administrator issues it: see below)
        assert client.http.get(f"/v1/windows/{window.window_id}/qr.svg").status_code == 200


def test_a_window_is_shown_with_the_state_of_its_codes(client: Any, window: dict[str, Any]) -> None:
    response = client.http.get("/v1/windows/110105-GA-W01")
    assert response.status_code == 200
    assert json.loads(response.body) == window
    assert client.http.get("/v1/windows/110105-GA-W99").status_code == 404


# Issuing codes and images


def test_issuing_gives_the_signed_url_and_the_image_links(client: Any, window: dict[str, Any]) -> None:
    response = issue(client)
    assert response.status_code == 200
    issued = json.loads(response.body)
    assert issued["rotation"] == 1
    assert re.fullmatch(r"http://localhost/q/110105-GA-W01\.1\.[A-Za-z0-9_-]{22}", issued["url"])
    assert issued["svg_url"] == "http://localhost/v1/windows/110105-GA-W01/qr.svg"
    assert issued["png_url"] == "http://localhost/v1/windows/110105-GA-W01/qr.png"
    assert json.loads(issue(client).body) == issued  # the same code can be printed again


def test_the_url_is_built_from_the_host_the_request_came_to(client: Any, window: dict[str, Any]) -> None:
    headers = {"Host": "pj.example.gov.cn", "X-Forwarded-Proto": "https"}
    issued = json.loads(issue(client, headers=headers).body)
    assert issued["url"].startswith("https://pj.example.gov.cn/q/110105-GA-W01.1.")


def test_behind_api_gateway_the_stage_prefix_is_kept(client: Any, administrator: Staff, lambda_context: Any) -> None:
    register(client, WINDOW)
    event = {
        "resource": "/v1/windows/{window_id}/qr",
        "path": "/v1/windows/110105-GA-W01/qr",
        "httpMethod": "POST",
        "headers": {
            "Host": "abc123.execute-api.cn-north-1.amazonaws.com.cn",
            "X-Forwarded-Proto": "https",
            "Authorization": f"Bearer {administrator.token}",
        },
        "multiValueQueryStringParameters": None,
        "pathParameters": {"window_id": "110105-GA-W01"},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/v1/windows/{window_id}/qr",
            "httpMethod": "POST",
            "path": "/prod/v1/windows/110105-GA-W01/qr",
            "stage": "prod",
            "requestId": "req-1",
        },
        "body": None,
        "isBase64Encoded": False,
    }
    response = qr_api.app(event, lambda_context)
    assert response["statusCode"] == 200, response["body"]
    issued = json.loads(response["body"])
    assert issued["url"].startswith("https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod/q/")
    assert issued["png_url"].endswith("/prod/v1/windows/110105-GA-W01/qr.png")


def test_a_configured_public_base_url_wins_and_fits_qr_version_6(
    client: Any, window: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVRATE_PUBLIC_BASE_URL", PUBLIC_BASE + "/")
    runtime.reset()
    url = json.loads(issue(client, headers={"Host": "ignored.example"}).body)["url"]
    assert url.startswith(f"{PUBLIC_BASE}/q/110105-GA-W01.1.")
    assert int(segno.make(url, error="m").version) <= 6


def test_a_base_url_too_long_for_the_qr_code_is_an_internal_error(
    client: Any, window: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVRATE_PUBLIC_BASE_URL", "https://" + "long-subdomain." * 6 + "example.gov.cn")
    runtime.reset()
    response = issue(client)
    assert response.status_code == 500
    assert "Traceback" not in response.body.decode()


def test_the_svg_image(client: Any, window: dict[str, Any]) -> None:
    response = client.http.get("/v1/windows/110105-GA-W01/qr.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    assert b"<svg" in response.body


@pytest.mark.parametrize("accept", ["image/png", "*/*", "image/avif,image/webp,image/*,*/*;q=0.8"])
def test_the_png_image_for_a_client_that_accepts_it(client: Any, window: dict[str, Any], accept: str) -> None:
    response = client.http.get("/v1/windows/110105-GA-W01/qr.png", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.body.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("headers", [{}, {"Accept": "application/json"}, {"Accept": "image/*"}])
def test_the_png_image_needs_an_accept_header_for_it(
    client: Any, window: dict[str, Any], headers: dict[str, str]
) -> None:
    response = client.http.get("/v1/windows/110105-GA-W01/qr.png", headers=headers)
    assert response.status_code == 406
    assert problem(response)["type"] == "/problems/not-acceptable"


def test_an_unknown_window_has_no_code(client: Any) -> None:
    assert problem(issue(client, "110105-GA-W99"))["status"] == 404
    assert client.http.post("/v1/windows/110105-GA-W99/rotate").status_code == 404
    assert client.http.post("/v1/windows/110105-GA-W99/revoke").status_code == 404
    assert client.http.get("/v1/windows/110105-GA-W99/qr.svg").status_code == 404


def test_without_the_signing_secret_codes_are_a_logged_fault(
    client: Any, window: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVRATE_QR_SIGNING_SECRET_ARN", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:gone")
    runtime.reset()
    # A missing secret is the deployment's fault, which no retry cures: 500, logged at ERROR.
    response = issue(client)
    assert response.status_code == 500
    assert problem(response)["type"] == "/problems/internal-error"
    page = client.http.get("/q/110105-GA-W01.1.AAAAAAAAAAAAAAAAAAAAAA")
    assert page.status_code == 500
    assert page.headers["Content-Type"].startswith("text/html")


# The rating page behind a code


def test_the_rating_page(client: Any, window: dict[str, Any]) -> None:
    response = client.http.get(f"/q/{issued_token(client)}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'sha256-" in response.headers["Content-Security-Policy"]
    page = response.body.decode()
    assert len(response.body) < 50 * 1024
    assert '<html lang="zh-CN">' in page
    assert WINDOW["name_zh"] in page
    for label in ("居民身份证换领", "户口迁移登记", "非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert label in page
    levels = re.findall(r'name="level" value="(\d)"', page)
    assert levels == ["5", "4", "3", "2", "1"]
    assert set(re.findall(r'name="reason" value="([a-z_]+)"', page)) == {code.value for code in ReasonCode}
    assert '<label class="field" for="field-comment">' in page
    assert 'name="website"' in page  # the honeypot
    assert re.search(r'name="nonce" value="[A-Za-z0-9_-]{12}\.\d{10}\.[A-Za-z0-9_-]{22}"', page)


@pytest.mark.parametrize(
    "token",
    [
        "110105-GA-W01.1.AAAAAAAAAAAAAAAAAAAAAA",
        "110105-GA-W99.1.AAAAAAAAAAAAAAAAAAAAAA",
        "not-a-token",
    ],
)
def test_a_forged_code_gets_a_friendly_refusal_page(client: Any, window: dict[str, Any], token: str) -> None:
    response = client.http.get(f"/q/{token}")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "二维码无法识别" in response.body.decode()


def test_a_tampered_code_is_refused(client: Any, window: dict[str, Any]) -> None:
    token = issued_token(client)
    tampered = token.replace("110105-GA-W01", "110105-GA-W02")
    assert client.http.get(f"/q/{tampered}").status_code == 404


def test_rotating_invalidates_the_printed_code(client: Any, window: dict[str, Any]) -> None:
    old = issued_token(client)
    rotated = client.http.post("/v1/windows/110105-GA-W01/rotate")
    assert rotated.status_code == 200
    issued = json.loads(rotated.body)
    assert issued["rotation"] == 2
    new = issued["url"].rsplit("/q/", 1)[1]
    assert new != old
    gone = client.http.get(f"/q/{old}")
    assert gone.status_code == 410
    assert "二维码已失效" in gone.body.decode()
    assert client.http.get(f"/q/{new}").status_code == 200
    assert issued_token(client) == new


def test_revoking_refuses_every_code_until_the_next_rotation(client: Any, window: dict[str, Any]) -> None:
    token = issued_token(client)
    revoked = client.http.post("/v1/windows/110105-GA-W01/revoke")
    assert revoked.status_code == 200
    assert json.loads(revoked.body)["revoked"] is True
    assert client.http.get(f"/q/{token}").status_code == 410
    assert problem(issue(client))["status"] == 410
    assert client.http.get("/v1/windows/110105-GA-W01/qr.svg").status_code == 410

    reissued = json.loads(client.http.post("/v1/windows/110105-GA-W01/rotate").body)
    assert reissued["rotation"] == 2
    assert client.http.get(f"/q/{token}").status_code == 410
    assert client.http.get(f"/q/{reissued['url'].rsplit('/q/', 1)[1]}").status_code == 200


def test_the_routes_the_api_mirrors() -> None:
    routes = {(path, method) for path, methods in qr_api.app.routes.items() for method in methods}
    assert routes == {
        ("/v1/windows", "POST"),
        ("/v1/windows/{window_id}", "GET"),
        ("/v1/windows/{window_id}/qr", "POST"),
        ("/v1/windows/{window_id}/qr.svg", "GET"),
        ("/v1/windows/{window_id}/qr.png", "GET"),
        ("/v1/windows/{window_id}/poster", "GET"),
        ("/v1/windows/{window_id}/rotate", "POST"),
        ("/v1/windows/{window_id}/revoke", "POST"),
        ("/v1/windows/{window_id}/kiosk", "POST"),
        ("/v1/windows/{window_id}/transaction", "POST"),
        ("/q", "GET"),
        ("/q/{token}", "GET"),
        ("/q/{token}", "POST"),
        ("/t", "GET"),
        ("/t/{ticket}", "GET"),
        ("/t/{ticket}", "POST"),
        ("/t/{ticket}/qr.svg", "GET"),
        ("/t/{ticket}/qr.png", "GET"),
        ("/e", "GET"),
        ("/e/{evaluation_id}/receipt", "GET"),
        ("/e/{evaluation_id}", "GET"),
        ("/k/{token}", "GET"),
        ("/k/{token}/transaction", "GET"),
        ("/k/{token}/evaluations", "POST"),
        ("/v1/site-keys", "POST"),
        ("/v1/site-keys/{site_key}", "GET"),
        ("/w/widget.js", "GET"),
        ("/w/{site_key}/config", "GET"),
        ("/w/{site_key}/rate", "GET"),
        ("/w/{site_key}/rate", "POST"),
        ("/w/{site_key}/{evaluation_id}/receipt", "GET"),
        ("/q/{token}/report", "POST"),
        ("/t/{ticket}/report", "POST"),
        ("/w/{site_key}/rate/report", "POST"),
        ("/favicon.ico", "GET"),
    }
    assert "image/png" in qr_api.app.api.binary_types


# Who may manage windows


def test_managing_windows_takes_the_staff_of_the_agency_or_a_supervisor_of_its_division(
    client: Any, window: dict[str, Any], staff_pool: StaffPool
) -> None:
    anonymous = client.unsigned  # the same app without the administrator's token
    for method, path in (
        ("POST", "/v1/windows"),
        ("GET", f"/v1/windows/{WINDOW_ID}"),
        ("POST", f"/v1/windows/{WINDOW_ID}/qr"),
        ("POST", f"/v1/windows/{WINDOW_ID}/rotate"),
        ("POST", f"/v1/windows/{WINDOW_ID}/revoke"),
        ("POST", f"/v1/windows/{WINDOW_ID}/kiosk"),
    ):
        refused = anonymous.http.request(method, path, headers=JSON, body=json.dumps(WINDOW).encode())
        assert (refused.status_code, problem(refused)["type"]) == (401, "/problems/unauthenticated"), path
    # What a citizen needs stays public: the printed code and its poster.
    assert anonymous.http.get(f"/v1/windows/{WINDOW_ID}/qr.svg").status_code == 200

    police = SignedIn(anonymous, staff_pool.staff("li.ming", agency="110105-GA"))
    market = SignedIn(anonymous, staff_pool.staff("chen.jing", agency="110105-SJ"))
    hangzhou = SignedIn(anonymous, staff_pool.supervisor("zhou.min", region="330000"))
    assert issue(police).status_code == 200
    for outsider in (market, hangzhou):
        refused = outsider.http.post(f"/v1/windows/{WINDOW_ID}/revoke")
        assert (refused.status_code, problem(refused)["type"]) == (403, "/problems/forbidden")
    assert not json.loads(client.http.get(f"/v1/windows/{WINDOW_ID}").body)["revoked"]
    other = {**WINDOW, "window_id": "110105-SJ-W09", "agency_code": "110105-SJ", "item_codes": ["110105-SJ-001"]}
    assert register(police, other).status_code == 403
    assert problem(register(police, other))["errors"] == [
        {"field": "agency_code", "message": "110105-SJ is not your agency"}
    ]
    assert register(market, other).status_code == 201
