"""RFC 9457 problem details. Status codes are chosen here, from exception types only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from govrate.kernel.contracts import field_errors
from govrate.kernel.errors import (
    BodyTooLarge,
    Conflict,
    EvaluationPeriodOver,
    Forbidden,
    Gone,
    GovrateError,
    InvalidInput,
    MalformedBody,
    NotFound,
    StorageUnavailable,
    TooManyAttempts,
    TooManyRequests,
    Unauthenticated,
    UnsupportedMediaType,
)
from govrate.platforms.models import FieldError, ItemProblem

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Problem:
    kind: str
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def type_uri(self) -> str:
        return f"/problems/{self.kind}"

    def body(self, instance: str | None = None) -> str:
        document: dict[str, Any] = {"type": self.type_uri, "title": self.title, "status": self.status}
        if self.detail:
            document["detail"] = self.detail
        if instance:
            document["instance"] = instance
        if self.errors:
            document["errors"] = self.errors
        return json.dumps(document, ensure_ascii=False)


# The order matters: the first matching type wins.
_BY_TYPE: list[tuple[type[Exception], str, str, int]] = [
    (MalformedBody, "malformed-body", "The request body could not be parsed", 400),
    (BodyTooLarge, "body-too-large", "The request body is too large", 413),
    (UnsupportedMediaType, "unsupported-media-type", "Unsupported media type", 415),
    (EvaluationPeriodOver, "evaluation-period-over", "The evaluation period has ended", 422),
    (InvalidInput, "validation-error", "The request is not valid", 422),
    (NotFound, "not-found", "Not found", 404),
    (Unauthenticated, "unauthenticated", "Not authenticated", 401),
    (Forbidden, "forbidden", "Forbidden", 403),
    (Conflict, "conflict", "Conflicts with what is stored", 409),
    (Gone, "gone", "No longer valid", 410),
    # The sign-in's limit before the evaluations' (it is a kind of the other).
    (TooManyAttempts, "too-many-attempts", "Too many attempts, wait before trying again", 429),
    (TooManyRequests, "too-many-requests", "Too many evaluations from here just now; try again later", 429),
    (StorageUnavailable, "unavailable", "Temporarily unavailable, retry later", 503),
]


def problem_for(exc: Exception) -> Problem:
    if isinstance(exc, ValidationError):
        return Problem(
            "validation-error",
            "The request is not valid",
            422,
            "one or more fields are invalid",
            errors=field_errors(exc),
        )
    for kind_type, kind, title, status in _BY_TYPE:
        if isinstance(exc, kind_type):
            errors = exc.errors if isinstance(exc, InvalidInput | Forbidden | MalformedBody) else []
            headers = {"Retry-After": "5"} if status == 503 else {}
            if isinstance(exc, TooManyRequests):
                headers = {"Retry-After": str(exc.retry_after_s)}
            detail = exc.public_detail if isinstance(exc, Unauthenticated) and exc.public_detail else str(exc)
            return Problem(kind, title, status, detail, errors=errors, headers=headers)
    return Problem("internal-error", "Internal error", 500, "the error was logged; retry later")


def item_problem(refused: GovrateError | ValidationError) -> ItemProblem:
    """The problem a single post of a refused batch item would have answered."""
    problem = problem_for(refused)
    return ItemProblem(
        type=problem.type_uri,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        errors=[FieldError(**error) for error in problem.errors],
    )
