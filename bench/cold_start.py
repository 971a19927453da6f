"""Cold start: the time to import each handler module in a fresh interpreter (what Lambda pays before
the first event, on top of the runtime's own start)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = {
    "intake_api": "functions/intake",
    "relay": "functions/intake",
    "case_consumer": "functions/verify",
    "qr_api": "functions/qr",
    "analyze_job": "functions/analyze",
}
RUNS = 5


def run() -> dict[str, float]:
    figures = {}
    print(f"cold start: import time of each handler module, median of {RUNS} fresh interpreters")
    for module, directory in HANDLERS.items():
        code = (
            f"import sys,time;sys.path.insert(0,{str(ROOT / directory)!r});"
            f"t=time.perf_counter();import {module};print(time.perf_counter()-t)"
        )
        times = [
            float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(RUNS)
        ]
        figures[f"{module}_ms"] = statistics.median(times) * 1000
        print(f"  {module:15s} {figures[f'{module}_ms']:7.0f} ms")
    return figures


if __name__ == "__main__":
    run()
