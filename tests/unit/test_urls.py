"""The URL a client sent a request to, rebuilt from API Gateway's event (no AWS, no network)."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import Request
from govrate import runtime
from govrate.web.urls import public_base_url, target_uri

HOST = "abc123.execute-api.cn-north-1.amazonaws.com.cn"


def request(client_path: str, *, stage: str = "api", query: dict[str, list[str]] | None = None) -> Request:
    event: dict[str, Any] = {
        "headers": {"Host": HOST, "X-Forwarded-Proto": "https"},
        "multiValueQueryStringParameters": query,
        "pathParameters": None,
        "requestContext": {
            "resourcePath": "/v1/platform/evaluations",
            "httpMethod": "POST",
            "path": client_path,
            "stage": stage,
        },
        "stageVariables": None,
        "body": None,
    }
    return Request(event)


@pytest.fixture(autouse=True)
def no_configured_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVRATE_PUBLIC_BASE_URL", raising=False)
    runtime.reset()


def test_the_target_uri_keeps_the_stage_prefix_the_client_sent() -> None:
    assert target_uri(request("/api/v1/platform/evaluations")) == f"https://{HOST}/api/v1/platform/evaluations"


def test_on_a_custom_domain_the_client_path_has_no_stage() -> None:
    assert target_uri(request("/v1/platform/evaluations")) == f"https://{HOST}/v1/platform/evaluations"
    assert public_base_url(request("/v1/platform/evaluations")) == f"https://{HOST}"


def test_the_query_is_encoded_again_the_rfc_3986_way() -> None:
    uri = target_uri(request("/api/v1/x", query={"q": ["a b", "c"], "region": ["110105"]}))
    assert uri == f"https://{HOST}/api/v1/x?q=a%20b&q=c&region=110105"


def test_the_public_base_url_has_the_stage_behind_api_gateways_own_domain() -> None:
    assert public_base_url(request("/api/v1/platform/service-records")) == f"https://{HOST}/api"
