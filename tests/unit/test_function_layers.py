"""DuckDB ships only in the analyze function's layer: the functions that read results and render
pages must start without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("code_dir", "module"), [("intake", "intake_api"), ("qr", "qr_api")])
def test_an_http_function_starts_without_duckdb(code_dir: str, module: str) -> None:
    probe = f"import sys, {module}; sys.exit('duckdb' in sys.modules)"
    paths = [str(ROOT / "functions" / code_dir), str(ROOT / "layers" / "govrate" / "src")]
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "functions" / code_dir,
        env={"PYTHONPATH": ":".join(paths), "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "cn-north-1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr or f"{module} imports duckdb"
