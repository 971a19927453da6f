"""The local stack in a process of its own (`python -m local.devstack`), as a load run drives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.devstack import READY_PREFIX

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 300  # a first synthesis of the CDK app is most of it
# The load comes from one address and rates one item, standing in for many citizens at many windows:
# the abuse limits (docs/integrity.md), which would refuse it, and the burst thresholds, which would
# hold its bad reviews for a supervisor's decision instead of opening their cases, are lifted for the run.
# Each bad review still counts the item's bad reviews of the burst period (up to the threshold, so all
# of them when it is lifted): the period is cut to its shortest, a minute, so that each counts the last
# minute's (about 200 at this pace) rather than the last ten minutes'.
LIFTED_LIMITS = {
    "GOVRATE_LIMIT_PER_CLIENT_PER_HOUR": "10000000",
    "GOVRATE_LIMIT_PER_WINDOW_PER_MINUTE": "10000000",
    "GOVRATE_LIMIT_PER_ITEM_PER_MINUTE": "10000000",
    "GOVRATE_BURST_PER_WINDOW": "10000000",
    "GOVRATE_BURST_PER_ITEM": "10000000",
    "GOVRATE_BURST_MINUTES": "1",
}


@dataclass
class StackProcess:
    process: subprocess.Popen[bytes]
    ready: dict[str, Any]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)


def start_stack(log: Path) -> StackProcess:
    """Start the stack on free ports and wait for its ready line: without the weeks of demo history,
    whose analysis at start would take the CPU of the first minutes (the run measures the intake and the
    case loop; the e2e tests cover the analysis), and without scheduled runs, which would only add noise."""
    sink = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "local.devstack", "--port", "0", "--schedule-every", "86400", "--no-history"],
        cwd=ROOT,
        stdout=sink,
        stderr=subprocess.STDOUT,
        env={**os.environ, **LIFTED_LIMITS, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.startswith(READY_PREFIX):
                return StackProcess(process, json.loads(line[len(READY_PREFIX) :]))
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited with {process.returncode}; see {log}")
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the local stack was not ready within {START_TIMEOUT_S} s; see {log}")
