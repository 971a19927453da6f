"""The OpenAPI 3.1 document, generated from the routes' declared operations and pydantic models.

`make openapi` writes the committed copy (infra/openapi.py, over the apps the API serves); a test
keeps it identical to what the code says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from govrate.web.operations import Auth, Media, Operation
from govrate.web.problems import PROBLEM_JSON

TITLE = "Govrate API"
VERSION = "1.0.0"
SCHEMA_REF = "#/components/schemas/{model}"
JSON = "application/json"

_PATH_PARAMETER = re.compile(r"{([^}]+)}")

_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details. `type` is stable per kind of error.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/validation-error"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "For validation errors: the offending field paths.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

# The schemes each kind of authentication needs, all of them together.
_SECURITY_SCHEMES: dict[Auth, dict[str, dict[str, Any]]] = {
    Auth.PLATFORM_SIGNATURE: {
        Auth.PLATFORM_SIGNATURE.value: {
            "type": "apiKey",
            "in": "header",
            "name": "Signature",
            "description": "RFC 9421 HTTP Message Signature (with its Signature-Input), HMAC-SHA256 over "
            "@method, @target-uri and content-digest (the RFC 9530 Content-Digest of the body) with created, "
            "keyid and nonce; older than 300 s or a reused nonce is refused. See docs/integration.md.",
        },
        "platform-api-key": {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "The platform's API key, which selects its usage plan (throttle and quota).",
        },
    },
    Auth.STAFF: {
        Auth.STAFF.value: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token of the staff app client of the Cognito user pool (at most an hour old).",
        },
    },
}

_ERROR_STATUSES = {
    400: "The body could not be parsed",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    406: "Not acceptable: the Accept header names no media type the route answers",
    409: "Conflicts with what is stored",
    410: "No longer valid",
    413: "The body is too large",
    415: "Unsupported media type",
    422: "A field is invalid; `errors` names it",
    429: "An abuse limit is reached; nothing was stored: retry after Retry-After seconds",
    503: "Temporarily unavailable; retry after Retry-After seconds",
}


def build_document(routes: Iterable[tuple[str, str, Operation]]) -> dict[str, Any]:
    """The document for (path, method, operation) triples."""
    routes = sorted(routes, key=lambda route: (route[0], route[1]))
    models = sorted(
        {model for _, _, op in routes for model in _models_of(op)},
        key=lambda model: model.__name__,
    )
    modes: list[tuple[type[BaseModel], Any]] = []
    for model in models:
        modes += [(model, "validation"), (model, "serialization")]
    _, definitions = models_json_schema(modes, ref_template=SCHEMA_REF)
    schemas: dict[str, Any] = {**definitions.get("$defs", {}), "Problem": _PROBLEM_SCHEMA}

    paths: dict[str, dict[str, Any]] = {}
    for path, method, op in routes:
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, op)
    used_auth = {op.auth for _, _, op in routes}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Government service evaluation (好差评): evaluations from every channel, the "
            "bad-review loop and the public results. Errors are application/problem+json (RFC 9457).",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                name: scheme
                for auth, schemes in _SECURITY_SCHEMES.items()
                if auth in used_auth
                for name, scheme in schemes.items()
            },
        },
    }


def _models_of(op: Operation) -> list[type[BaseModel]]:
    found = [model for model in op.responses.values() if isinstance(model, type)]
    return found + [model for model in (op.body, op.query) if model is not None]


def _operation(path: str, method: str, op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": _operation_id(path, method),
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        document["description"] = op.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(path)
    ]
    if op.query is not None:
        for name, field in op.query.model_fields.items():
            schema = op.query.model_json_schema(ref_template=SCHEMA_REF)["properties"][name]
            parameter = {"name": name, "in": "query", "required": field.is_required(), "schema": schema}
            if field.description:
                parameter["description"] = field.description
            parameters.append(parameter)
    parameters += [
        {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": description}
        for name, description in op.headers.items()
    ]
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {op.body_media_type: {"schema": {"$ref": SCHEMA_REF.format(model=op.body.__name__)}}},
        }
    elif _takes_text(op):
        document["requestBody"] = {"required": True, "content": {op.body_media_type: {"schema": {"type": "string"}}}}
    responses: dict[str, Any] = {}
    for status, answer in sorted(op.responses.items()):
        responses[str(status)] = _response(answer, status)
    if op.alternatives:
        responses["200"]["content"].update(
            {media.media_type: {"schema": {"type": "string"}} for media in op.alternatives}
        )
    for status, description in _ERROR_STATUSES.items():
        if _can_fail_with(op, status):
            responses.setdefault(
                str(status),
                {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            )
    document["responses"] = responses
    if op.auth in _SECURITY_SCHEMES:
        document["security"] = [{name: [] for name in _SECURITY_SCHEMES[op.auth]}]
    return document


def _response(answer: type[BaseModel] | Media | None, status: int) -> dict[str, Any]:
    if answer is None:
        return {"description": "Not modified: the If-None-Match ETag is current" if status == 304 else "No content"}
    if isinstance(answer, Media):
        return {
            "description": answer.description,
            "content": {media_type: {} for media_type in (answer.media_type, *answer.alternatives)},
        }
    return {
        "description": (answer.__doc__ or answer.__name__).strip().splitlines()[0],
        "content": {JSON: {"schema": {"$ref": SCHEMA_REF.format(model=answer.__name__)}}},
    }


def _can_fail_with(op: Operation, status: int) -> bool:
    if status in op.errors:
        return True
    if status in {400, 413, 415}:
        return op.body is not None or _takes_text(op)
    if status in {401, 403}:
        return op.auth in {Auth.PLATFORM_SIGNATURE, Auth.STAFF}
    return status in {404, 422, 503}


def _takes_text(op: Operation) -> bool:
    """A body media type other than JSON, declared without a model: a text document such as a CSV file,
    described in the operation's description."""
    return op.body is None and op.body_media_type != JSON


def _operation_id(path: str, method: str) -> str:
    words = [part.strip("{}").replace("-", "_").replace(".", "_") for part in path.split("/") if part and part != "v1"]
    return "_".join([method.lower(), *words])
