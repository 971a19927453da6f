"""The example client of docs/integration.md, exactly as written there, against the local stack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
MARKER = "<!-- example-client:"


def example_client() -> str:
    """The Python block that follows the example-client marker in the guide."""
    after_marker = GUIDE.read_text(encoding="utf-8").split(MARKER, 1)[1]
    found = re.search(r"```python\n(.*?)\n```", after_marker, re.DOTALL)
    assert found, f"no python block after {MARKER} in {GUIDE}"
    return found.group(1)


def test_the_documented_client_registers_posts_retries_and_follows_the_outcome_against_make_dev(
    stack: dict[str, Any], tmp_path: Path
) -> None:
    (platform,) = stack["platforms"]
    assert (platform["platform_id"], platform["key_id"]) == ("demo-platform", "demo-platform-2026")
    client = tmp_path / "platform_client.py"
    client.write_text(example_client(), encoding="utf-8")
    environment = {
        **os.environ,
        "GOVRATE_API_URL": stack["api_url"],
        "GOVRATE_KEY_ID": platform["key_id"],
        "GOVRATE_KEY": platform["key"],
    }
    run = subprocess.run(
        [sys.executable, str(client)], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("record BJ-DEMO-") and f"ticket {stack['api_url']}/t/110105.BJ-DEMO-" in lines[0]
    assert lines[1:] == [
        "registration sent again: replayed, the same ticket",
        lines[2],
        "batch: 2 accepted, 0 duplicate, 1 rejected",
        "  item 2 rejected (422): reason_codes: a bad review (level 1 or 2) needs a reason code",
        "batch sent again: 0 accepted, 2 duplicate, 1 rejected",
        lines[6],
        "change feed: the bad review's case is received",
        "done",
    ]
    assert lines[2].startswith("evaluation of the acceptance stage accepted: ")
    assert re.fullmatch(r"outcome of the bad review: case received, to be answered by \d{4}-\d{2}-\d{2}", lines[6])
