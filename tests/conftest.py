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

# Tests that share one costly session fixture run in one xdist worker (`--dist loadgroup`): the
# synthesized CDK app of the infra tests; the e2e tests' session stack, and apart from them (in a
# worker of their own when there are two) the e2e tests that use the history stack or start stacks of
# their own.
SHARED_SESSION_GROUPS = ("e2e", "infra")
E2E_SESSION_STACK = "stack"


# Before xdist's own hook, which reads the groups from the markers.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        group = item.path.relative_to(tests_dir).parts[0]
        if group not in SHARED_SESSION_GROUPS:
            continue
        if group == "e2e" and E2E_SESSION_STACK not in getattr(item, "fixturenames", ()):
            group = "e2e-own-stacks"
        item.add_marker(pytest.mark.xdist_group(group))
