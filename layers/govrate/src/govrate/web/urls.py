"""The URLs a request was sent to, as the client saw them, whether behind API Gateway or on the local server.

API Gateway routes on the resource path (`/v1/…`), but on its own domain the client's path starts
with `/<stage>`; on a custom domain, and on Chalice's local server, it does not. The client's path is
in the request context (`path`); the routed one is `request.path`.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from chalice.app import Request

from govrate import runtime
from govrate.rating.models import Lang


def _origin(request: Request) -> str:
    scheme = request.headers.get("x-forwarded-proto", "http").split(",")[0].strip()
    host = request.headers.get("host", "localhost")
    return f"{scheme}://{host}"


def client_path(request: Request) -> str:
    """The path the client sent, stage prefix included."""
    return str(request.context.get("path") or request.path)


def public_base_url(request: Request) -> str:
    """Where the API is reached from outside: the configured base, else scheme, Host and stage prefix."""
    configured = runtime.settings().public_base_url
    if configured:
        return configured.rstrip("/")
    stage = request.context.get("stage", "")
    prefix = f"/{stage}" if stage and client_path(request).startswith(f"/{stage}/") else ""
    return f"{_origin(request)}{prefix}"


def status_url(request: Request, evaluation_id: str, receipt: str, lang: Lang) -> str:
    """The evaluator's status page of an evaluation (the link the receipt page gives to keep)."""
    query = {"receipt": receipt, **({"lang": lang.value} if lang is not Lang.ZH else {})}
    return f"{public_base_url(request)}/e/{evaluation_id}?{urlencode(query)}"


def target_uri(request: Request) -> str:
    """The absolute URI the client sent the request to (RFC 9421 `@target-uri`).

    API Gateway hands over the query decoded, so it is encoded again the RFC 3986 way (`%20`, not `+`);
    a client that signs a query must encode it so.
    """
    params = request.query_params
    pairs = [(name, value) for name in params for value in params.getlist(name)] if params else []
    query = urlencode(pairs, quote_via=quote)
    return f"{_origin(request)}{client_path(request)}{'?' + query if query else ''}"
