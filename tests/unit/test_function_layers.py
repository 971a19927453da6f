"""What an HTTP function does not load at a cold start: DuckDB ships only in the analyze function's
layer, so the functions that read results and render pages must start without it; the case function
loads the dashboard's results documents only when a dashboard route is first asked for; the intake
function loads the table models (pynamodb, and with it boto3) only when a route first stores or reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("code_dir", "module", "not_loaded"),
    [
        ("intake", "intake_api", "duckdb"),
        ("qr", "qr_api", "duckdb"),
        ("verify", "case_api", "govrate.analytics.results"),
        ("intake", "intake_api", "pynamodb"),
    ],
)
def test_an_http_function_starts_without(code_dir: str, module: str, not_loaded: str) -> None:
    probe = f"import sys, {module}; sys.exit({not_loaded!r} in sys.modules)"
    paths = [str(ROOT / "functions" / code_dir), str(ROOT / "layers" / "govrate" / "src")]
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "functions" / code_dir,
        env={"PYTHONPATH": ":".join(paths), "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "cn-north-1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr or f"{module} imports {not_loaded}"
