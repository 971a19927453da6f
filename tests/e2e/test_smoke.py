"""`make smoke` against the local stack: the same script operators run against a deployed stage."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.shared_stacks import ROOT

pytestmark = pytest.mark.e2e

SMOKE_TIMEOUT_S = 120


def test_the_smoke_test_passes_against_the_local_stack(stack: dict[str, Any]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.smoke", stack["api_url"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for step in ("catalogue:", "evaluation accepted:", "bad review accepted:", "case opened:"):
        assert any(line.startswith(f"ok  {step}") for line in lines), (step, result.stdout)
    assert lines[-1] == "smoke test passed"
