"""The windows' evaluation devices (kiosks) on moto: the signed kiosk address, the window system's push
of a finished transaction, what the kiosk is offered, and its rating of it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from govrate import runtime
from govrate.evaluations.models import Channel, Stage

from tests.integration.rating_support import (
    BASE,
    JSON,
    WINDOW,
    WINDOW_ID,
    evaluation_count,
    now,
    register_service_record,
    register_window,
    stored,
)

OTHER_WINDOW = {**WINDOW, "window_id": "110105-GA-W02", "name_zh": "公安综合窗口2号"}


@pytest.fixture
def client(client: Any) -> Any:
    register_window(client)
    register_window(client, OTHER_WINDOW)
    return client


@pytest.fixture
def kiosk(client: Any) -> str:
    """The path of the window's kiosk page."""
    response = client.http.post(f"/v1/windows/{WINDOW_ID}/kiosk")
    assert response.status_code == 200, response.body
    issued = json.loads(response.body)
    assert issued["window_id"] == WINDOW_ID
    assert issued["url"].startswith(f"{BASE}/k/{WINDOW_ID}.1.")
    return str(issued["url"]).removeprefix(BASE)


def push(client: Any, ticket: str, window_id: str = WINDOW_ID, **extra: Any) -> Any:
    body = {"ticket_url": f"{BASE}/t/{ticket}", **extra}
    return client.http.post(f"/v1/windows/{window_id}/transaction", headers=JSON, body=json.dumps(body).encode())


def offered(client: Any, kiosk: str) -> dict[str, Any]:
    response = client.http.get(f"{kiosk}/transaction")
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    return dict(json.loads(response.body))


def rate(client: Any, kiosk: str, body: dict[str, Any]) -> Any:
    return client.http.post(f"{kiosk}/evaluations", headers=JSON, body=json.dumps(body).encode())


def test_the_kiosk_page_carries_its_timing_and_addresses(client: Any, kiosk: str) -> None:
    response = client.http.get(kiosk)
    assert response.status_code == 200
    page = response.body.decode()
    assert WINDOW["name_zh"] in page
    assert f'data-transaction-url="{BASE}{kiosk}/transaction"' in page
    assert f'data-submit-url="{BASE}{kiosk}/evaluations"' in page
    assert 'data-poll-ms="2000" data-idle-ms="60000" data-debounce-ms="1500" data-thanks-ms="5000"' in page
    assert re.findall(r'data-level="(\d)"', page) == ["5", "4", "3", "2", "1"]
    assert "img-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_timing_is_configurable(client: Any, kiosk: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVRATE_KIOSK_DEBOUNCE_MS", "800")
    monkeypatch.setenv("GOVRATE_KIOSK_IDLE_SECONDS", "20")
    runtime.reset()
    page = client.http.get(kiosk).body.decode()
    assert 'data-idle-ms="20000" data-debounce-ms="800"' in page


def test_nothing_is_offered_before_the_window_system_pushes(client: Any, kiosk: str) -> None:
    assert offered(client, kiosk) == {
        "seq": None,
        "item_name_zh": None,
        "item_name_en": None,
        "stage": None,
        "qr_svg_url": None,
        "offered_until": None,
    }


def test_a_pushed_transaction_is_offered_and_rated_once_on_the_kiosk(client: Any, kiosk: str) -> None:
    ticket = register_service_record("BJ-K-0001")
    pushed = push(client, ticket)
    assert pushed.status_code == 200, pushed.body
    transaction = json.loads(pushed.body)
    assert transaction["seq"] == 1
    assert transaction["stage"] == "accept"  # the first stage still to rate
    assert transaction["item_name_zh"] == "户口迁移登记"
    assert transaction["qr_svg_url"] == f"{BASE}/t/{ticket}/qr.svg"
    assert offered(client, kiosk) == transaction

    response = rate(client, kiosk, {"seq": 1, "level": 2, "reason_codes": ["slow"]})
    assert response.status_code == 201, response.body
    rated = json.loads(response.body)
    assert set(rated) == {"evaluation_id", "bad_review", "replayed"}  # no receipt on a shared device
    evaluation = stored(rated["evaluation_id"])
    assert (evaluation.channel, evaluation.record_id, evaluation.stage, evaluation.window_id) == (
        Channel.WINDOW_DEVICE,
        "BJ-K-0001",
        Stage.ACCEPT,
        WINDOW_ID,
    )
    assert offered(client, kiosk)["seq"] is None  # rated: nothing more to offer

    assert rate(client, kiosk, {"seq": 1, "level": 2, "reason_codes": ["slow"]}).status_code == 409
    assert evaluation_count() == 1


def test_the_window_system_chooses_the_stage_and_the_next_push_replaces_the_offer(client: Any, kiosk: str) -> None:
    first, second = register_service_record("BJ-K-0002"), register_service_record("BJ-K-0003")
    assert json.loads(push(client, first, stage="deliver").body)["stage"] == "deliver"
    assert json.loads(push(client, second).body)["seq"] == 2
    stale = rate(client, kiosk, {"seq": 1, "level": 5})
    assert stale.status_code == 409  # the kiosk rates only what it is offered now
    assert rate(client, kiosk, {"seq": 2, "level": 5}).status_code == 201
    assert stored_records() == {"BJ-K-0003"}


def stored_records() -> set[str]:
    return {evaluation.record_id or "" for evaluation in runtime.evaluation_repository().on_day(now().date())}


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("another window's record", 422, "ticket_url"),
        ("a record without a window", 422, "ticket_url"),
        ("a stage the record has not", 422, "stage"),
        ("a forged ticket", 404, None),
        ("not a ticket URL", 422, "ticket_url"),
    ],
)
def test_the_window_system_pushes_only_its_own_open_records(
    client: Any, kiosk: str, case: str, status: int, field: str | None
) -> None:
    ticket = register_service_record("BJ-K-0004", window_id="110105-GA-W02")
    elsewhere = register_service_record("BJ-K-0005", window_id=None)
    mine = register_service_record("BJ-K-0006")
    response = {
        "another window's record": lambda: push(client, ticket),
        "a record without a window": lambda: push(client, elsewhere),
        "a stage the record has not": lambda: push(client, mine, stage="approve"),
        "a forged ticket": lambda: push(client, mine[:-2] + "AA"),
        "not a ticket URL": lambda: client.http.post(
            f"/v1/windows/{WINDOW_ID}/transaction", headers=JSON, body=json.dumps({"ticket_url": BASE}).encode()
        ),
    }[case]()
    assert response.status_code == status, response.body
    problem = json.loads(response.body)
    if field:
        assert problem["errors"][0]["field"] == field
    assert offered(client, kiosk)["seq"] is None


def test_a_rated_stage_or_an_expired_record_is_not_pushed(client: Any, kiosk: str) -> None:
    ticket = register_service_record("BJ-K-0007")
    push(client, ticket, stage="accept")
    rate(client, kiosk, {"seq": 1, "level": 4})
    assert push(client, ticket, stage="accept").status_code == 409
    assert push(client, ticket).status_code == 200  # delivery is still open
    old = register_service_record("BJ-K-0008", completed_at=now() - timedelta(days=8))
    expired = push(client, old)
    assert expired.status_code == 422
    assert json.loads(expired.body)["type"] == "/problems/evaluation-period-over"


def test_an_offer_lapses_after_the_configured_minutes(client: Any, kiosk: str) -> None:
    push(client, register_service_record("BJ-K-0009"))
    with time_machine.travel(now() + timedelta(minutes=16)):
        assert offered(client, kiosk)["seq"] is None
        assert rate(client, kiosk, {"seq": 1, "level": 5}).status_code == 409


def test_rotating_the_window_withdraws_the_kiosk_address(client: Any, kiosk: str) -> None:
    client.http.post(f"/v1/windows/{WINDOW_ID}/rotate")
    assert client.http.get(kiosk).status_code == 410
    assert client.http.get(f"{kiosk}/transaction").status_code == 410
    assert rate(client, kiosk, {"seq": 1, "level": 5}).status_code == 410
    renewed = json.loads(client.http.post(f"/v1/windows/{WINDOW_ID}/kiosk").body)
    assert renewed["rotation"] == 2
    assert client.http.get(renewed["url"].removeprefix(BASE)).status_code == 200


def test_a_forged_kiosk_address_is_refused(client: Any, kiosk: str) -> None:
    forged = kiosk.replace(WINDOW_ID, "110105-GA-W02")
    page = client.http.get(forged)
    assert page.status_code == 404
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    # A window's QR token is not its kiosk address: another purpose, another key.
    qr_token = json.loads(client.http.post(f"/v1/windows/{WINDOW_ID}/qr").body)["url"].rsplit("/q/", 1)[1]
    assert client.http.get(f"/k/{qr_token}").status_code == 404


def test_a_revoked_window_has_no_kiosk(client: Any) -> None:
    client.http.post(f"/v1/windows/{WINDOW_ID}/revoke")
    assert client.http.post(f"/v1/windows/{WINDOW_ID}/kiosk").status_code == 410
    assert push(client, register_service_record("BJ-K-0010")).status_code == 410
