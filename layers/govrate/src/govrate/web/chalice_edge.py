"""Chalice glue shared by every HTTP function: problem+json, body and query parsing, declared operations."""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar

from aws_lambda_powertools.logging import correlation_paths
from chalice.app import Blueprint, Chalice, ConvertToMiddleware, Request, Response
from pydantic import BaseModel

from govrate.kernel import observability
from govrate.kernel.contracts import from_json
from govrate.kernel.errors import (
    BodyTooLarge,
    InvalidInput,
    MalformedBody,
    StorageUnavailable,
    UnsupportedMediaType,
)
from govrate.kernel.observability import logger
from govrate.web.operations import Operation
from govrate.web.problems import PROBLEM_JSON, Problem, problem_for

MAX_BODY_BYTES = 64 * 1024
# No document the API takes nests deeper than a few levels or has a number longer than a few digits;
# a deeper or longer one is refused while it is parsed, before it can cost time or recursion.
MAX_NESTING = 16
MAX_NUMBER_CHARACTERS = 24

ModelT = TypeVar("ModelT", bound=BaseModel)
ViewT = TypeVar("ViewT", bound=Callable[..., Any])

# Chalice's own error responses (415, 405, …) carry {"Code", "Message"}; we answer them as problems too.
_CHALICE_CODES = {
    400: ("malformed-body", "The request could not be parsed"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def observed(app: Chalice) -> Chalice:
    """The HTTP function's app with every request traced and logged under API Gateway's request id, like
    the other handlers (`govrate.kernel.observability.handler`)."""
    app.register_middleware(
        ConvertToMiddleware(observability.handler(correlation_id_path=correlation_paths.API_GATEWAY_REST)), "http"
    )
    setattr(app, observability.OBSERVED, True)
    return app


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    return Response(
        body=problem.body(instance),
        status_code=problem.status,
        headers={"Content-Type": PROBLEM_JSON, **problem.headers},
    )


def json_response(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=model.model_dump_json(),
        status_code=status_code,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def raw_body(request: Request) -> bytes:
    """The body's bytes as the client sent them (Chalice decodes API Gateway's base64)."""
    raw = request.raw_body or b""
    return raw.encode() if isinstance(raw, str) else raw


def parse_json(request: Request, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The body as a JSON document, not yet validated; too large and malformed raise distinct errors.
    The body must say it is JSON: Chalice, like API Gateway, would take a body without a
    Content-Type as JSON (a route's content types refuse any other)."""
    if "content-type" not in request.headers:
        raise UnsupportedMediaType("send the body with Content-Type: application/json")
    raw = raw_body(request)
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"at most {max_bytes} bytes")
    try:
        document = json.loads(
            raw, parse_int=_integer, parse_float=_decimal, parse_constant=_not_json, object_pairs_hook=_object
        )
    except RecursionError as exc:
        raise MalformedBody(f"the body is nested more than {MAX_NESTING} levels deep") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}") from exc
    _check_shape(document)
    return document


@dataclass(frozen=True)
class _OverlongNumber:
    """Stands in for a number too long to be one the API takes, until its field is known."""

    characters: int


@dataclass(frozen=True)
class _RepeatedName:
    """Stands in for an object that names a member twice (JSON parsers disagree on which one counts)."""

    name: str


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _RepeatedName:
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            return _RepeatedName(name)
        document[name] = value
    return document


def _integer(text: str) -> int | _OverlongNumber:
    """An integer of the document; one longer than any the API takes is not converted."""
    return _OverlongNumber(len(text)) if len(text) > MAX_NUMBER_CHARACTERS else int(text)


def _decimal(text: str) -> float | _OverlongNumber:
    return _OverlongNumber(len(text)) if len(text) > MAX_NUMBER_CHARACTERS else float(text)


def _unreadable(node: Any) -> str | None:
    """Why a parsed value cannot be taken (None when it can)."""
    if isinstance(node, _OverlongNumber):
        return f"a number of {node.characters} characters; at most {MAX_NUMBER_CHARACTERS}"
    if isinstance(node, _RepeatedName):
        return f"the member {node.name!r} is given twice"
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            return "not a Unicode string (an unpaired surrogate escape)"
    return None


def _not_json(name: str) -> Any:
    raise MalformedBody(f"{name} is not a JSON value")


def _check_shape(document: Any) -> None:
    """Refuse a document nested deeper than MAX_NESTING, or holding an overlong number, a member named
    twice or a string that is not Unicode (an unpaired surrogate escape), naming the field (without
    recursion: the depth is what is being checked)."""
    pending: list[tuple[Any, int, str]] = [(document, 0, "")]
    while pending:
        node, depth, path = pending.pop()
        problem = _unreadable(node)
        if problem is not None:
            field = _member(path, node.name) if isinstance(node, _RepeatedName) else path
            raise MalformedBody(problem, [{"field": field or "body", "message": problem}])
        if isinstance(node, dict | list):
            if depth + 1 > MAX_NESTING:
                raise MalformedBody(f"the body is nested more than {MAX_NESTING} levels deep")
            children = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in children:
                problem = _unreadable(key)
                if problem is not None:  # named by the object that holds it: the name cannot be written out
                    raise MalformedBody(problem, [{"field": path or "body", "message": problem}])
                pending.append((child, depth + 1, _member(path, key)))


def _member(path: str, key: str | int) -> str:
    """The field path of a member or an element, as validation errors name fields (`a.b[0]`)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def parse_json_body(request: Request, model: type[ModelT], max_bytes: int = MAX_BODY_BYTES) -> ModelT:
    """The body validated as `model`, its JSON types taken strictly; malformed JSON and invalid fields
    raise distinct errors."""
    return from_json(model, parse_json(request, max_bytes))


# At least 16 random bytes in base64url (22 characters) or a UUID: the key derives the receipt, so it
# must be as hard to guess.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{22,128}")


def idempotency_key(request: Request) -> str | None:
    """The client's `Idempotency-Key` (None without one); one too short to be unguessable is refused
    (422, naming the header)."""
    key = request.headers.get("idempotency-key")
    if key is None or IDEMPOTENCY_KEY.fullmatch(key):
        return key
    raise InvalidInput(
        "the Idempotency-Key is not a random key",
        [
            {
                "field": "Idempotency-Key",
                "message": "22 to 128 characters of base64url (16 random bytes or more) or a UUID",
            }
        ],
    )


def client_address(request: Request) -> str:
    """The address the request came from, as API Gateway saw it (the local server gives 127.0.0.1)."""
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def query_params(request: Request) -> dict[str, str]:
    """The query string as a plain mapping (the last value of a repeated parameter wins)."""
    params = request.query_params
    return {name: params[name] for name in params} if params else {}


def cookie(request: Request, name: str) -> str | None:
    """The value of the cookie `name` that came with the request; None if none (or the header is unreadable)."""
    try:
        morsel = SimpleCookie(request.headers.get("cookie", "")).get(name)
    except CookieError:
        return None
    return morsel.value if morsel is not None and morsel.value else None


def parse_query(request: Request, model: type[ModelT]) -> ModelT:
    """The query string validated as `model`; errors name the parameter."""
    return model.model_validate(query_params(request))


class ApiBlueprint(Blueprint):
    """A Chalice blueprint whose routes answer every failure with problem+json and log a correlation id.

    Chalice turns exceptions raised in a view into its own 500 before middleware sees them, so each
    view is wrapped here; the middleware rewrites Chalice's own errors (415, 405) as problems.
    """

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self.operations: list[tuple[str, str, Operation]] = []

    def register(self, app: Chalice, options: dict[str, Any]) -> None:
        """Chalice's registration; the app gets the edge middleware once, however many ApiBlueprints it has."""
        registered = _REGISTERED.setdefault(app, [])
        if not registered:
            app.register_middleware(_edge_middleware, "http")
        registered.append(self)
        super().register(app, options)

    def route(self, path: str, *, doc: Operation | None = None, **kwargs: Any) -> Callable[[ViewT], ViewT]:
        """Chalice's route, plus `doc`: what the route promises, for the OpenAPI document."""
        if doc is not None:
            self.operations += [(path, method, doc) for method in kwargs.get("methods", ["GET"])]
        register = super().route(path, **kwargs)

        def decorator(view: ViewT) -> ViewT:
            @functools.wraps(view)
            def answered(*args: Any, **view_kwargs: Any) -> Any:
                try:
                    return view(*args, **view_kwargs)
                except Exception as exc:
                    return _problem_from(exc, self.current_request.path)

            register(answered)
            return view

        return decorator


# The ApiBlueprints registered in each app, in order.
_REGISTERED: weakref.WeakKeyDictionary[Chalice, list[ApiBlueprint]] = weakref.WeakKeyDictionary()


def declared_operations(app: Chalice) -> list[tuple[str, str, Operation]]:
    """What the app's routes promise: the operations of every ApiBlueprint registered in it."""
    return [operation for blueprint in _REGISTERED.get(app, []) for operation in blueprint.operations]


def _problem_from(exc: Exception, instance: str) -> Response:
    problem = problem_for(exc)
    if problem.status >= 500 and not isinstance(exc, StorageUnavailable):
        # A bug or a deployment fault (a bare ValueError, AWS refusing for good): alarmable.
        logger.exception("request failed", extra={"error": type(exc).__name__})
    elif isinstance(exc, StorageUnavailable):
        logger.warning("storage unavailable", extra={"error": type(exc).__name__, "detail": str(exc)})
    else:
        logger.info("request refused", extra={"error": type(exc).__name__, "detail": str(exc)})
    return problem_response(problem, instance)


# Every response: no content sniffing, HTTPS only (browsers ignore it over plain HTTP, as locally), and
# a CSP that allows nothing where a route set none (JSON, problems, images).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _edge_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    correlation_id = event.headers.get("x-correlation-id") or event.context.get("requestId", "")
    logger.set_correlation_id(correlation_id)
    response = _as_problem(get_response(event), event.path)
    response.headers["X-Correlation-Id"] = correlation_id
    secure(response.headers)
    return response


def secure(headers: dict[str, Any]) -> None:
    """Add the headers every response carries; a page that may be framed says so in its own CSP
    (`frame-ancestors` with the origins), any other is never framed (also for browsers that read
    only X-Frame-Options)."""
    headers.update(SECURITY_HEADERS)
    csp = headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    if "frame-ancestors" not in csp or "frame-ancestors 'none'" in csp:
        headers.setdefault("X-Frame-Options", "DENY")


def _as_problem(response: Response, instance: str) -> Response:
    """Rewrite Chalice's own error bodies as problem documents."""
    known = _CHALICE_CODES.get(response.status_code)
    if known is None or not isinstance(response.body, dict) or "Code" not in response.body:
        return response
    kind, title = known
    detail: Any = response.body.get("Message", "")
    return problem_response(Problem(kind, title, response.status_code, str(detail)), instance)
