"""The web module for online service platforms on moto: site keys bound to origins, the script, its
CORS-checked configuration, and the frame that only allowed origins may embed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from govrate.evaluations.models import Channel, Stage

from tests.integration.rating_support import (
    FORM_FOR_SCRIPT,
    JSON,
    evaluation_count,
    page_path,
    post_form,
    receipt_location,
    register_service_record,
    stored,
)
from tests.integration.staff_support import SignedIn, StaffPool

PLATFORM = "https://zwfw.beijing.gov.cn"
SITE_KEY = {
    "name": "北京市政务服务网",
    "allowed_origins": ["https://ZWFW.beijing.gov.cn:443/", "http://localhost:8080"],
    "item_codes": ["110105-SJ-001", "110105-GA-002"],
}


@pytest.fixture
def site_key(client: Any) -> str:
    response = client.http.post("/v1/site-keys", headers=JSON, body=json.dumps(SITE_KEY).encode())
    assert response.status_code == 201, response.body
    created = json.loads(response.body)
    assert response.headers["Location"] == f"/v1/site-keys/{created['site_key']}"
    return str(created["site_key"])


def test_a_site_key_keeps_its_origins_normalised(client: Any, site_key: str) -> None:
    assert re.fullmatch(r"gw_[A-Za-z0-9_-]{16}", site_key)
    shown = json.loads(client.http.get(f"/v1/site-keys/{site_key}").body)
    assert shown["allowed_origins"] == [PLATFORM, "http://localhost:8080"]
    assert shown["item_codes"] == SITE_KEY["item_codes"]
    assert client.http.get("/v1/site-keys/gw_AAAAAAAAAAAAAAAA").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"allowed_origins": ["http://zwfw.beijing.gov.cn"]}, "allowed_origins[0]"),
        ({"allowed_origins": ["https://zwfw.beijing.gov.cn/path"]}, "allowed_origins[0]"),
        ({"allowed_origins": ["https://*.gov.cn"]}, "allowed_origins[0]"),
        ({"allowed_origins": []}, "allowed_origins"),
        ({"item_codes": ["110105-MZ-001"]}, "item_codes[0]"),  # offered at a window only
        ({"item_codes": ["999999-XX-001"]}, "item_codes[0]"),
    ],
)
def test_a_site_key_takes_https_origins_and_online_items(client: Any, change: dict[str, Any], field: str) -> None:
    response = client.http.post("/v1/site-keys", headers=JSON, body=json.dumps({**SITE_KEY, **change}).encode())
    assert response.status_code == 422
    assert json.loads(response.body)["errors"][0]["field"] == field


def test_the_script_is_served_for_any_page(client: Any) -> None:
    response = client.http.get("/w/widget.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert b"data-site-key" in response.body


def test_the_configuration_answers_an_allowed_origin_only(client: Any, site_key: str) -> None:
    allowed = client.http.get(f"/w/{site_key}/config?item=110105-SJ-001&lang=en", headers={"Origin": PLATFORM})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == PLATFORM
    assert allowed.headers["Vary"] == "Origin"
    config = json.loads(allowed.body)
    assert config == {
        "frame_url": f"http://localhost/w/{site_key}/rate?lang=en&item=110105-SJ-001",
        "title": "Service evaluation",
        "open_label": "Rate this service",
        "close_label": "Close",
    }
    for origin in ("https://evil.example", "", "https://zwfw.beijing.gov.cn.evil.example"):
        refused = client.http.get(f"/w/{site_key}/config?item=110105-SJ-001", headers={"Origin": origin})
        assert refused.status_code == 403
        assert "Access-Control-Allow-Origin" not in refused.headers


def test_the_frame_may_be_embedded_by_the_keys_origins_only(client: Any, site_key: str) -> None:
    response = client.http.get(f"/w/{site_key}/rate?item=110105-SJ-001")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {PLATFORM} http://localhost:8080" in policy
    page = response.body.decode()
    assert "企业设立登记" in page
    assert re.search(r'name="nonce" value="[\w-]{12}\.\d{10}\.[\w-]{22}"', page)
    # The rating pages of windows may be framed by nobody.
    assert (
        "frame-ancestors 'none'" in client.http.get("/q/x.1.AAAAAAAAAAAAAAAAAAAAAA").headers["Content-Security-Policy"]
    )


def test_an_item_outside_the_key_is_refused_inside_the_frame(client: Any, site_key: str) -> None:
    response = client.http.get(f"/w/{site_key}/rate?item=330106-SJ-001")
    assert response.status_code == 404
    assert f"frame-ancestors {PLATFORM}" in response.headers["Content-Security-Policy"]
    assert "二维码无法识别" in response.body.decode()


def test_a_rating_through_the_module_is_a_web_module_evaluation(client: Any, site_key: str) -> None:
    response = post_form(client, f"/w/{site_key}/rate?item=110105-SJ-001", {"level": "1", "reason": ["system_fault"]})
    evaluation_id, receipt = receipt_location(response)
    assert response.headers["Location"].startswith(f"http://localhost/w/{site_key}/{evaluation_id}/receipt?")
    evaluation = stored(evaluation_id)
    assert (evaluation.channel, evaluation.item_code, evaluation.agency_code) == (
        Channel.WEB_MODULE,
        "110105-SJ-001",
        "110105-SJ",
    )
    receipt_page = client.http.get(page_path(response.headers["Location"]))
    assert receipt_page.status_code == 200
    assert f"frame-ancestors {PLATFORM}" in receipt_page.headers["Content-Security-Policy"]
    body = receipt_page.body.decode()
    assert "<main data-submitted>" in body  # the frame tells the embedding page
    status_link = f'href="http://localhost/e/{evaluation_id}?receipt={receipt}" target="_blank" rel="noopener"'
    assert status_link in body


def test_a_record_is_rated_through_the_module_by_its_ticket(client: Any, site_key: str) -> None:
    ticket = register_service_record("BJ-W-0001", window_id=None)
    path = f"/w/{site_key}/rate?ticket={ticket}&lang=en"
    assert "Household registration transfer" in client.http.get(path).body.decode()
    answer = post_form(client, path, {"stage": "deliver", "level": "5"}, FORM_FOR_SCRIPT)
    assert answer.status_code == 201
    next_url = json.loads(answer.body)["next_url"]
    evaluation = stored(re.findall(r"/([0-9A-Z]{26})/receipt", next_url)[0])
    assert (evaluation.channel, evaluation.record_id, evaluation.stage) == (
        Channel.WEB_MODULE,
        "BJ-W-0001",
        Stage.DELIVER,
    )


def test_the_module_takes_an_item_or_a_ticket(client: Any, site_key: str) -> None:
    for query in ("", "?item=110105-SJ-001&ticket=x.y.zzzzzzzz"):
        response = client.http.get(f"/w/{site_key}/rate{query}")
        assert response.status_code == 422
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert post_form(client, f"/w/{site_key}/rate", {"level": "5"}).status_code == 422
    assert evaluation_count() == 0


def test_site_keys_are_for_the_items_of_ones_own_agency_or_division(client: Any, staff_pool: StaffPool) -> None:
    body = json.dumps(SITE_KEY).encode()
    assert client.unsigned.http.post("/v1/site-keys", headers=JSON, body=body).status_code == 401
    police = SignedIn(client.unsigned, staff_pool.staff("li.ming", agency="110105-GA"))
    refused = police.http.post("/v1/site-keys", headers=JSON, body=body)
    assert refused.status_code == 403
    assert json.loads(refused.body)["errors"] == [
        {"field": "item_codes[0]", "message": "110105-SJ-001 is of agency 110105-SJ"}
    ]
    own = {**SITE_KEY, "item_codes": ["110105-GA-002"]}
    created = police.http.post("/v1/site-keys", headers=JSON, body=json.dumps(own).encode())
    assert created.status_code == 201, created.body
    site_key = json.loads(created.body)["site_key"]
    assert police.http.get(f"/v1/site-keys/{site_key}").status_code == 200
    market = SignedIn(client.unsigned, staff_pool.staff("chen.jing", agency="110105-SJ"))
    assert market.http.get(f"/v1/site-keys/{site_key}").status_code == 403
