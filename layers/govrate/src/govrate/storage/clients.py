"""One boto3 client per AWS service for the process, shared by every adapter that talks to it.

Building a client costs tens of milliseconds of CPU (its class, its event handlers, its endpoint), so
a container builds each once, however many queues, buckets or keys its adapters reach (boto3 clients
are safe to share between threads). A client is kept per region and per the environment that chooses
its endpoint and credentials, so that a process pointed elsewhere (a test, the local stack) gets a
client of its own there.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3

# What boto3 reads from the environment when it builds a client (the service's own endpoint variable,
# AWS_ENDPOINT_URL_<SERVICE>, is added per service).
_CLIENT_ENVIRONMENT = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
)


def aws_client(service: str, region_name: str | None = None) -> Any:
    """The process's client of `service` (in `region_name`, else the environment's region)."""
    return _client(service, region_name, client_environment(service))


def client_environment(service: str) -> tuple[str | None, ...]:
    """The environment a client of `service` is built from: a client built under another is not it."""
    endpoint = f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}"
    return tuple(os.environ.get(name) for name in (*_CLIENT_ENVIRONMENT, endpoint))


@cache
def _client(service: str, region_name: str | None, _environment: tuple[str | None, ...]) -> Any:
    return boto3.client(service, region_name=region_name)  # type: ignore[call-overload]
