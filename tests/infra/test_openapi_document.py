"""The committed OpenAPI document is exactly what the routes declare, and every route declares itself."""

from __future__ import annotations

import json

from infra.http_apps import HTTP_APPS
from infra.openapi import DOCUMENT_PATH, api_document, render


def test_the_committed_document_is_what_the_code_declares() -> None:
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render(api_document()), "run `make openapi`"


def test_every_route_of_every_app_is_described() -> None:
    declared = {(path, method) for app in HTTP_APPS for path, method, _ in app.operations()}
    routed = {
        (path, method) for app in HTTP_APPS for path, methods in app.chalice_app().routes.items() for method in methods
    }
    assert routed == declared


def test_the_document_is_openapi_3_1_with_problem_details() -> None:
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.1.0"
    post = document["paths"]["/v1/evaluations"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PublicEvaluationSubmission")
    assert "application/problem+json" in post["responses"]["422"]["content"]
    assert set(document["components"]["schemas"]["Level"]["enum"]) == {1, 2, 3, 4, 5}
