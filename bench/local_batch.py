"""A regional platform's signed batch of 100 on the local stack, over HTTP as a platform posts it.

Starts the stack as `make load` does (its own process, moto in another, no demo history) and waits
until its start-up jobs (the first analysis, the seals, the watcher) are done. Then it posts a first
batch, which loads the platform route's code and clients (reported apart, as a cold start), and
`BENCH_BATCHES` batches (default 8) of 100 evaluations (10 of them bad reviews) two seconds apart,
printing each batch's latency with the CPU the stack's process and moto's spent meanwhile: the stream
readers and the case consumer work through the earlier batches beside the next one, as they would.
Command: `.venv/bin/python -m bench.local_batch` (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import requests
from govrate.platforms.signing import platform_signer

from load.stack_process import start_stack

ROOT = Path(__file__).resolve().parent.parent
ITEM = {"item_code": "110105-GA-001", "agency_code": "110105-GA", "region_code": "110105", "channel": "hotline"}
BATCH = 100
PAUSE_S = 2.0
# Of a core, the two processes together over IDLE_SAMPLE_S: the start-up jobs are done (the pollers
# polling an idle stack take about 0.17; the start-up jobs over 1.2 for the first minute).
IDLE_CPU_SHARE = 0.3
IDLE_SAMPLE_S = 2.0
IDLE_WAIT_MAX_S = 300.0


def batch_of(run: str) -> list[dict[str, Any]]:
    bad = {"level": 1, "reason_codes": ["slow"]}
    return [
        {**ITEM, "external_id": f"bench-{run}-{index:03d}", **(bad if index % 10 == 0 else {"level": 5})}
        for index in range(BATCH)
    ]


def cpu_seconds(processes: list[psutil.Process]) -> list[float]:
    return [sum(process.cpu_times()[:2]) for process in processes]


def wait_until_idle(processes: list[psutil.Process]) -> float:
    """Seconds waited until the processes together use less than IDLE_CPU_SHARE of a core."""
    started = time.monotonic()
    while time.monotonic() - started < IDLE_WAIT_MAX_S:
        before = sum(cpu_seconds(processes))
        time.sleep(IDLE_SAMPLE_S)
        if sum(cpu_seconds(processes)) - before < IDLE_CPU_SHARE * IDLE_SAMPLE_S:
            break
    return time.monotonic() - started


def post_batch(api_url: str, platform: dict[str, Any]) -> tuple[float, requests.Response]:
    signer = platform_signer(platform["key_id"], platform["key"].encode())
    started = time.perf_counter()
    answer = requests.post(
        f"{api_url}/v1/platform/evaluations/batch",
        json={"evaluations": batch_of(uuid.uuid4().hex[:8])},
        auth=signer,
        timeout=60,
    )
    latency = time.perf_counter() - started
    answer.raise_for_status()
    accepted = sum(result["status"] == "accepted" for result in answer.json()["results"])
    assert accepted == BATCH, answer.text[:500]
    return latency, answer


def run() -> list[float]:
    batches = int(os.environ.get("BENCH_BATCHES", "8"))
    log = ROOT / ".local" / "bench" / "local-batch-stack.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    stack = start_stack(log)
    try:
        platform = stack.ready["platforms"][0]
        stack_process = psutil.Process(stack.pid)
        processes = [stack_process, *stack_process.children(recursive=True)]
        print(f"local stack: a signed batch of {BATCH} (10 bad reviews)")
        waited = wait_until_idle(processes)
        cold, _ = post_batch(stack.ready["api_url"], platform)
        print(f"  idle {waited:.0f} s after start; the first batch (the route's cold start): {cold * 1000:.0f} ms")
        time.sleep(PAUSE_S)
        latencies: list[float] = []
        for number in range(batches):
            before = cpu_seconds(processes)
            latency, _ = post_batch(stack.ready["api_url"], platform)
            spent = [after - earlier for after, earlier in zip(cpu_seconds(processes), before, strict=True)]
            latencies.append(latency)
            print(
                f"  batch {number + 1}: {latency * 1000:.0f} ms; CPU meanwhile: functions {spent[0] * 1000:.0f} ms, "
                f"moto {sum(spent[1:]) * 1000:.0f} ms"
            )
            time.sleep(PAUSE_S)
        print(
            f"  median {statistics.median(latencies) * 1000:.0f} ms, slowest {max(latencies) * 1000:.0f} ms; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        return latencies
    finally:
        stack.stop()


if __name__ == "__main__":
    run()
