from __future__ import annotations

import json

import pytest
from govrate.evaluations.models import EvaluationSubmission
from govrate.kernel.errors import (
    BodyTooLarge,
    Conflict,
    EvaluationPeriodOver,
    Forbidden,
    Gone,
    InvalidInput,
    MalformedBody,
    NotFound,
    StorageUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
)
from govrate.web.problems import problem_for
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (MalformedBody("x"), 400, "malformed-body"),
        (BodyTooLarge("x"), 413, "body-too-large"),
        (UnsupportedMediaType("x"), 415, "unsupported-media-type"),
        (InvalidInput("x"), 422, "validation-error"),
        (EvaluationPeriodOver("x"), 422, "evaluation-period-over"),
        (NotFound("x"), 404, "not-found"),
        (Unauthenticated("x"), 401, "unauthenticated"),
        (Forbidden("x"), 403, "forbidden"),
        (Conflict("x"), 409, "conflict"),
        (Gone("x"), 410, "gone"),
        (StorageUnavailable("x"), 503, "unavailable"),
        (RuntimeError("boom"), 500, "internal-error"),
    ],
)
def test_status_and_type_come_from_the_exception_type(error: Exception, status: int, kind: str) -> None:
    problem = problem_for(error)
    assert (problem.status, problem.type_uri) == (status, f"/problems/{kind}")


def test_a_forbidden_field_is_named() -> None:
    problem = problem_for(Forbidden("not yours", [{"field": "region_code", "message": "another region"}]))
    assert problem.errors == [{"field": "region_code", "message": "another region"}]


def test_an_unexpected_error_never_shows_its_message() -> None:
    body = json.loads(problem_for(RuntimeError("secret stack detail")).body())
    assert "secret" not in json.dumps(body)


def test_a_storage_outage_asks_the_client_to_retry() -> None:
    assert problem_for(StorageUnavailable("x")).headers == {"Retry-After": "5"}


def test_validation_errors_name_the_offending_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        EvaluationSubmission.model_validate(
            {
                "item_code": "110105-GA-001",
                "agency_code": "110105-GA",
                "region_code": "99",
                "channel": "fax",
                "level": 7,
            }
        )
    body = json.loads(problem_for(caught.value).body("/v1/evaluations"))
    assert body["status"] == 422
    assert {error["field"] for error in body["errors"]} == {"region_code", "channel", "level"}
    assert body["instance"] == "/v1/evaluations"
