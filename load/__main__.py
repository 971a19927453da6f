"""`make load` and `make soak`: the local stack under a fixed rate of mixed traffic, then the checks.

    uv run python -m load [--duration 60] [--rate 20] [--memory-limit-mb 1024] [--name load]

Starts `make dev`'s stack (without the demo history) in a process of its own, runs locust headless
on loopback with `rate` users that each send one request a second, samples the stack's memory, and
afterwards checks the stack's tables (load/invariants.py). Prints the figures and writes them to
.local/load/<name>.json; exits 1 when a 5xx was answered, an invariant broke, memory passed the
limit or latency drifted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gevent
import locust  # noqa: F401  # before any networking: locust patches the standard library for gevent
import psutil
from locust.env import Environment

from load.invariants import Findings, StackTables, check
from load.stack_process import ROOT, start_stack
from load.traffic import Citizen

MEMORY_SAMPLE_S = 5.0
WINDOW_S = 60  # latency is compared minute by minute
DRIFT_LIMIT = 2.0
STOP_TIMEOUT_S = 120  # the last minute's p95 may be at most twice the second's (the first warms up)


@dataclass
class Sample:
    at: float  # seconds since the start of the run
    response_ms: float
    name: str
    status: int


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m load", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--rate", type=int, default=20, help="requests a second (one user each)")
    parser.add_argument("--memory-limit-mb", type=int, default=1024, help="the stack's memory must stay below")
    parser.add_argument("--name", default="load", help="the figures go to .local/load/<name>.json")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    out = ROOT / ".local" / "load"
    out.mkdir(parents=True, exist_ok=True)
    stack = start_stack(out / f"{args.name}-stack.log")
    try:
        tables = StackTables(stack.ready)
        before = tables.evaluation_ids()
        Citizen.platform = stack.ready["platforms"][0]
        Citizen.run_id = f"{args.name}-{uuid.uuid4().hex[:8]}"
        # At the end every user finishes the post it is in, so that each write has its answer.
        environment = Environment(user_classes=[Citizen], host=stack.ready["api_url"], stop_timeout=STOP_TIMEOUT_S)
        samples: list[Sample] = []
        memory_mb: list[tuple[float, float]] = []
        started = time.monotonic()

        def on_request(name: str, response_time: float, response: Any, **_: Any) -> None:
            status = getattr(response, "status_code", 0) or 0
            samples.append(Sample(time.monotonic() - started, response_time, name, status))

        def sample_memory() -> None:
            process = psutil.Process(stack.pid)
            while True:
                rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
                memory_mb.append((time.monotonic() - started, rss / 2**20))
                gevent.sleep(MEMORY_SAMPLE_S)

        environment.events.request.add_listener(on_request)  # type: ignore[no-untyped-call]
        sampler = gevent.spawn(sample_memory)
        runner = environment.create_local_runner()
        runner.start(args.rate, spawn_rate=args.rate)
        gevent.sleep(args.duration)
        runner.stop()
        runner.quit()
        sampler.kill()
        load_s = time.monotonic() - started
        # The load's figures first: the checks may take a while after a long run.
        unchecked = Findings(broken=["the checks did not finish"])
        write(args.name, figures(args, samples, memory_mb=memory_mb, load_s=load_s, findings=unchecked, exit_code=-1))
        findings = check(tables, Citizen.ledger.accepted, before)
    finally:
        code = stack.stop()
    return figures(args, samples, memory_mb=memory_mb, load_s=load_s, findings=findings, exit_code=code)


def figures(
    args: argparse.Namespace,
    samples: list[Sample],
    *,
    memory_mb: list[tuple[float, float]],
    load_s: float,
    findings: Any,
    exit_code: int,
) -> dict[str, Any]:
    times = [sample.response_ms for sample in samples]
    by_name: dict[str, list[float]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample.response_ms)
    minutes = [
        [s.response_ms for s in samples if start <= s.at < start + WINDOW_S]
        for start in range(0, int(load_s), WINDOW_S)
    ]
    minutes = [minute for minute in minutes if minute]
    return {
        "name": args.name,
        "duration_s": args.duration,
        "rate_per_s": args.rate,
        "requests": len(samples),
        "achieved_per_s": round(len(samples) / load_s, 1),
        "statuses": dict(sorted(Citizen.ledger.statuses.items())),
        "server_errors": sum(1 for s in samples if s.status >= 500 or s.status == 0),
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
        "by_request": {
            name: {"n": len(v), "p50_ms": round(percentile(v, 0.5), 1), "p95_ms": round(percentile(v, 0.95), 1)}
            for name, v in sorted(by_name.items())
        },
        "p95_ms_by_minute": [round(percentile(minute, 0.95), 1) for minute in minutes],
        "memory_mb_first": round(memory_mb[0][1]) if memory_mb else None,
        "memory_mb_max": round(max(m for _, m in memory_mb)) if memory_mb else None,
        "memory_mb_last": round(memory_mb[-1][1]) if memory_mb else None,
        "memory_mb_median": round(statistics.median(m for _, m in memory_mb)) if memory_mb else None,
        "invariants": asdict(findings),
        "stack_exit_code": exit_code,
    }


def verdict(result: dict[str, Any], memory_limit_mb: int) -> list[str]:
    failures = list(result["invariants"]["broken"])
    if result["server_errors"]:
        failures.append(f"{result['server_errors']} answers were 5xx or no answer")
    if (result["memory_mb_max"] or 0) >= memory_limit_mb:
        failures.append(f"memory reached {result['memory_mb_max']} MB (limit {memory_limit_mb})")
    by_minute = result["p95_ms_by_minute"]
    if len(by_minute) >= 3 and by_minute[-1] > DRIFT_LIMIT * by_minute[1]:
        failures.append(f"latency drifted: p95 {by_minute[1]} ms in minute 2, {by_minute[-1]} ms in the last")
    if result["stack_exit_code"] != 0:
        failures.append(f"the stack exited with {result['stack_exit_code']}")
    return failures


def write(name: str, result: dict[str, Any]) -> Path:
    path = ROOT / ".local" / "load" / f"{name}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    path = write(args.name, result)
    print(json.dumps(result, indent=2))
    failures = verdict(result, args.memory_limit_mb)
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"figures written to {path.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
