"""A signed request handed to the intake function as API Gateway hands it (REST API, proxy integration):
Host and the client's path with the stage prefix in the request context, the routed path apart, the
body base64-encoded."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import intake_api
import requests

from tests.integration.conftest import FakeLambdaContext

HOST = "abc123.execute-api.cn-north-1.amazonaws.com.cn"
STAGE = "api"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def deliver(
    prepared: requests.PreparedRequest, *, body: bytes | None = None, route: tuple[str, dict[str, str]] | None = None
) -> Answer:
    """Hand the request to the intake function as API Gateway does (REST API, proxy integration, stage STAGE);
    `route`: the resource template and path parameters the request was routed by, if not its path."""
    url = urlsplit(prepared.url or "")
    client_path = url.path
    routed_path = client_path.removeprefix(f"/{STAGE}")
    raw = body if body is not None else (prepared.body or b"")
    assert isinstance(raw, bytes)
    # API Gateway hands the query over decoded, each name with its values.
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    headers = {**prepared.headers, "Host": url.netloc, "X-Forwarded-Proto": "https"}
    resource, path_parameters = route or (routed_path, None)
    event = {
        "resource": resource,
        "path": routed_path,
        "httpMethod": prepared.method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": prepared.method,
            "path": client_path,
            "stage": STAGE,
            "requestId": "test-request",
            "identity": {"sourceIp": "203.0.113.7", "apiKey": "test-api-key"},
        },
        # "*/*" is a binary media type of the API, so every body arrives base64-encoded.
        "body": base64.b64encode(raw).decode() if raw else None,
        "isBase64Encoded": bool(raw),
    }
    response = intake_api.app(event, FakeLambdaContext())
    return Answer(response["statusCode"], response["headers"], json.loads(response["body"]))
