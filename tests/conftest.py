"""Shared test setup: no test ever reaches a real AWS account."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.e2e import shared_stacks

# Set before any boto3 client exists; moto answers every call in the integration tests.
os.environ.setdefault("AWS_DEFAULT_REGION", "cn-north-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "GovrateTest")

# Tests that share one costly session fixture run in one xdist worker (`--dist loadgroup`): the
# synthesized CDK app of the infra tests. (The e2e tests share their local stacks across workers.)
SHARED_SESSION_GROUPS = ("infra",)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the main process, not an xdist worker
        shared_stacks.set_run_directory()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Once every worker is done: stop the local stacks the e2e tests shared, and fail the run if one
    of them did not stop cleanly."""
    if hasattr(session.config, "workerinput"):
        return
    problems = shared_stacks.stop_all()
    for problem in problems:
        print(f"\n{problem}", file=sys.stderr)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Before xdist's own hook, which reads the groups from the markers.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        group = item.path.relative_to(tests_dir).parts[0]
        if group in SHARED_SESSION_GROUPS:
            item.add_marker(pytest.mark.xdist_group(group))
