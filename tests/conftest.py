"""Shared test setup: no test ever reaches a real AWS account."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Set before any boto3 client exists; moto answers every call in the integration tests.
os.environ.setdefault("AWS_DEFAULT_REGION", "cn-north-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "GovrateTest")

# Tests that share one costly session fixture run in one xdist worker (`--dist loadgroup`): the local
# stack and the browser of the e2e tests, the synthesized CDK app of the infra tests.
SHARED_SESSION_GROUPS = ("e2e", "infra")


# Before xdist's own hook, which reads the groups from the markers.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        group = item.path.relative_to(tests_dir).parts[0]
        if group in SHARED_SESSION_GROUPS:
            item.add_marker(pytest.mark.xdist_group(group))
