"""The server decides the channel of an evaluation posted to the public endpoint, and a window named
by an evaluation must be a registered window of the agency offering the item.

The other paths set their channel themselves and are tested with them: the QR page (`window_qr`,
test_rating_pages), the ticket page (`window_qr` / `mobile_app`, test_rating_pages), the kiosk
(`window_device`, test_kiosk), the web module (`web_module`, test_web_module), signed platform
requests (the platform's channel, test_platform_api) and staff uploads (test_transcriptions).
"""

from __future__ import annotations

import json
from typing import Any

import intake_api
import pytest
from chalice.test import Client
from govrate import runtime
from govrate.evaluations.models import Channel, Stage
from govrate.windows.models import ServiceWindow

from tests.integration.conftest import AwsResources
from tests.integration.rating_support import JSON, WINDOW, evaluation_count, register_service_record, stored

GOOD = {"item_code": "110105-GA-001", "agency_code": "110105-GA", "region_code": "110105", "level": 5}
VOUCHED = frozenset({Channel.MOBILE_APP, Channel.WINDOW_QR})


@pytest.fixture
def client(aws: AwsResources) -> Any:
    for window in (
        WINDOW,
        {**WINDOW, "window_id": "110105-GA-W02", "item_codes": ["110105-GA-001"]},
        {**WINDOW, "window_id": "110105-MZ-W01", "agency_code": "110105-MZ", "item_codes": ["110105-MZ-001"]},
    ):
        runtime.window_repository().add(ServiceWindow.model_validate({**window, "rotation": 1, "revoked": False}))
    with Client(intake_api.app) as test_client:
        yield test_client


def post(client: Any, body: dict[str, Any]) -> Any:
    return client.http.post("/v1/evaluations", headers=JSON, body=json.dumps(body).encode())


def refused_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.body
    problem = json.loads(response.body)
    assert response.headers["Content-Type"] == "application/problem+json"
    return [error["field"] for error in problem["errors"]]


def accepted_channel(response: Any) -> Channel:
    assert response.status_code == 201, response.body
    return stored(json.loads(response.body)["evaluation_id"]).channel


def test_without_a_record_the_public_endpoint_records_a_citizens_own_device(client: Any) -> None:
    assert accepted_channel(post(client, GOOD)) is Channel.MOBILE_APP
    assert accepted_channel(post(client, {**GOOD, "channel": "mobile_app"})) is Channel.MOBILE_APP


def test_a_ticket_of_a_record_served_at_a_window_vouches_for_window_qr(client: Any) -> None:
    ticket = register_service_record("BJ-CH-0001", item_code="110105-GA-001", stages=(Stage.OVERALL,))
    body = {**GOOD, "record_id": "BJ-CH-0001", "ticket": ticket}
    accepted = post(client, {**body, "channel": "window_qr"})
    assert accepted_channel(accepted) is Channel.WINDOW_QR
    assert stored(json.loads(accepted.body)["evaluation_id"]).window_id == WINDOW["window_id"]


def test_a_ticket_of_a_record_served_online_is_the_mobile_channel(client: Any) -> None:
    ticket = register_service_record("BJ-CH-0002", item_code="110105-GA-001", stages=(Stage.OVERALL,), window_id=None)
    body = {**GOOD, "record_id": "BJ-CH-0002", "ticket": ticket}
    assert refused_fields(post(client, {**body, "channel": "window_qr"})) == ["channel"]
    assert accepted_channel(post(client, body)) is Channel.MOBILE_APP


@pytest.mark.parametrize("claimed", sorted(set(Channel) - VOUCHED))
def test_a_claim_the_public_endpoint_cannot_vouch_for_is_refused(client: Any, claimed: Channel) -> None:
    assert refused_fields(post(client, {**GOOD, "channel": claimed.value})) == ["channel"]
    assert evaluation_count() == 0


def test_window_qr_is_not_vouched_for_without_a_ticket(client: Any) -> None:
    body = {**GOOD, "channel": "window_qr", "window_id": WINDOW["window_id"]}
    assert refused_fields(post(client, body)) == ["channel"]


@pytest.mark.parametrize(
    "window_id",
    [
        pytest.param("110105-GA-W99", id="not in the register"),
        pytest.param("110105-MZ-W01", id="of another agency"),
    ],
)
def test_a_window_must_be_registered_and_of_the_agency(client: Any, window_id: str) -> None:
    assert refused_fields(post(client, {**GOOD, "window_id": window_id})) == ["window_id"]
    assert evaluation_count() == 0


def test_a_window_must_offer_the_item_rated(client: Any) -> None:
    body = {**GOOD, "item_code": "110105-GA-002", "window_id": "110105-GA-W02"}
    assert refused_fields(post(client, body)) == ["window_id"]
    assert accepted_channel(post(client, {**GOOD, "window_id": "110105-GA-W02"})) is Channel.MOBILE_APP


def test_a_record_is_rated_at_the_window_it_was_served_at(client: Any) -> None:
    ticket = register_service_record("BJ-CH-0003", item_code="110105-GA-001", stages=(Stage.OVERALL,))
    body = {**GOOD, "record_id": "BJ-CH-0003", "ticket": ticket, "window_id": "110105-MZ-W01"}
    assert refused_fields(post(client, body)) == ["window_id"]
