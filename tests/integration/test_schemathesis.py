"""Property-based requests from the committed OpenAPI document against the functions the API serves.

Every app the REST API serves runs on Chalice's local server (as in `make dev`), on moto; schemathesis
generates requests for every operation, signs those to the platform routes as an integrator would,
and checks that no answer is a 5xx and that every answer is what the document says (status, media
type, schema). `GOVRATE_FUZZ_EXAMPLES` sets the examples per operation (`make fuzz` runs more).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import schemathesis
from govrate import runtime
from govrate.platforms.signing import platform_signer
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.http_apps import HTTP_APPS
from infra.openapi import DOCUMENT_PATH
from local.http import HttpServer
from tests.integration.conftest import AwsResources
from tests.integration.staff_support import StaffPool

EXAMPLES = int(os.environ.get("GOVRATE_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
KEY_ID = "fuzz-platform-2026"
# The relay route takes downstream Govrate stages only: it is signed as one.
STAGE_KEY_ID = "fuzz-stage-2026"
RELAY_PATH = "/v1/platform/relay/batch"
KEY = b"f" * 64


@pytest.fixture
def api_url(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The apps behind one local server; one platform that may post for every region, and one downstream
    stage that may relay for every region (with the same key)."""
    arn = boto3.client("secretsmanager").create_secret(Name="fuzz", SecretString=KEY.decode())["ARN"]
    regions = [f"{province}0000" for province in range(11, 83)]
    monkeypatch.setenv(
        "GOVRATE_PLATFORMS",
        json.dumps(
            {
                KEY_ID: {"platform_id": "fuzz-platform", "regions": regions, "secret_arn": arn},
                STAGE_KEY_ID: {"platform_id": "fuzz-stage", "regions": regions, "secret_arn": arn, "downstream": True},
            }
        ),
    )
    StaffPool(aws, monkeypatch)  # the staff user pool of the staff routes, named in the settings
    runtime.reset()
    server = HttpServer("127.0.0.1", 0)
    for http_app in HTTP_APPS:
        server.apps.add(http_app.chalice_app())
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


def signing(path: str) -> dict[str, Any]:
    if not path.startswith("/v1/platform/"):
        return {}
    return {"auth": platform_signer(STAGE_KEY_ID if path == RELAY_PATH else KEY_ID, KEY)}


def test_no_generated_request_gets_a_5xx_or_an_answer_the_document_does_not_promise(api_url: str) -> None:
    results = list(schemathesis.openapi.from_path(DOCUMENT_PATH).get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) > 10, "the document has operations schemathesis cannot read"
    failures: dict[str, str] = {}
    for operation in operations:
        try:
            fuzz(operation, {"base_url": api_url, "checks": CHECKS, "timeout": 10, **signing(operation.path)})
        except (Exception, FailureGroup) as failure:  # every operation is tried; the failures are reported together
            failures[operation.label] = str(failure)[:3000]
    assert not failures, "\n\n".join(f"{label}:\n{failure}" for label, failure in failures.items())


def fuzz(operation: APIOperation[Any, Any, Any, Any], call_options: dict[str, Any]) -> None:
    """EXAMPLES generated requests of the operation, each answer checked."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def exercise(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(**call_options)

    exercise()
