"""Over an abuse limit, the public endpoint and the rating pages answer 429 with Retry-After and store
nothing; the citizen's page says plainly to try again later."""

from __future__ import annotations

import json

import intake_api
import pytest
import qr_api
from chalice.test import Client
from govrate import runtime
from govrate.windows.models import ServiceWindow

from tests.integration.conftest import AwsResources
from tests.integration.rating_support import FORM_FOR_SCRIPT, JSON, WINDOW, evaluation_count, post_form

GOOD = {"item_code": "110105-GA-001", "agency_code": "110105-GA", "region_code": "110105", "level": 5}
FORM = {"item": "110105-GA-001", "level": "5"}


@pytest.fixture
def two_per_client(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVRATE_LIMIT_PER_CLIENT_PER_HOUR", "2")
    runtime.reset()


def test_the_public_endpoint_refuses_a_client_over_its_limit(two_per_client: None) -> None:
    with Client(intake_api.app) as client:
        answers = [client.http.post("/v1/evaluations", headers=JSON, body=json.dumps(GOOD).encode()) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    refused = answers[2]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert json.loads(refused.body)["type"] == "/problems/too-many-requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert evaluation_count() == 2


def test_the_window_page_tells_the_citizen_to_try_later(two_per_client: None) -> None:
    runtime.window_repository().add(ServiceWindow.model_validate({**WINDOW, "rotation": 1, "revoked": False}))
    path = "/q/" + runtime.window_token_signer().sign(WINDOW["window_id"], 1)
    with Client(qr_api.app) as client:
        assert [post_form(client, path, FORM).status_code for _ in range(2)] == [303, 303]
        page = post_form(client, path, FORM)
        script = post_form(client, path, FORM, FORM_FOR_SCRIPT)
    assert page.status_code == 429
    assert page.headers["Content-Type"].startswith("text/html")
    assert "请稍后再提交" in page.body.decode()
    assert int(page.headers["Retry-After"]) >= 1
    assert script.status_code == 429
    assert "请稍后再提交" in json.loads(script.body)["detail"]
    assert evaluation_count() == 2
