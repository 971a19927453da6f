"""Local stacks shared by every process of a test run: the pytest-xdist workers and the main process.

The first test that needs a stack starts it (`python -m local.devstack` in a subprocess); the tests of
the other workers find it through a file in the run's directory, taken under a lock, and wait for the
same ready line. A worker ends as soon as it runs out of tests, while the others may still use the
stack, so no worker stops one: the main pytest process stops them all once every worker is done
(`stop_all`, from tests/conftest.py) and reports any that did not stop cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from local.locks import exclusive

ROOT = Path(__file__).resolve().parents[2]
RUN_DIRECTORY = "GOVRATE_TEST_RUN_DIRECTORY"
STOP_TIMEOUT_S = 30
# The last line a stack logs when it stops on SIGINT (local/devstack.py), just before it exits with 0.
STOPPED = " stopped"

# The processes this one started, kept referenced so that they are not collected while they run.
_started: dict[Path, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class StartedStack:
    """A local stack's process and the file its output goes to."""

    pid: int
    output: Path

    def exited(self) -> bool:
        return exited(self.pid)


def set_run_directory() -> None:
    """In the main process, before any worker starts: a new directory to record the run's shared stacks
    in, handed to the workers through the environment (removed at the end unless a stack did not stop)."""
    os.environ[RUN_DIRECTORY] = tempfile.mkdtemp(prefix="govrate-test-run-")


def launch(output: Path, arguments: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python -m local.devstack <arguments>`, its output (stdout and stderr) written to `output`."""
    with output.open("w", encoding="utf-8") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "local.devstack", *arguments],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **environment, "PYTHONUNBUFFERED": "1"},
        )


def shared_stack(name: str, arguments: list[str], environment: dict[str, str]) -> StartedStack:
    """The run's stack of this name, started now if no process of the run has started it yet."""
    run = Path(os.environ[RUN_DIRECTORY])
    record = run / f"{name}.json"
    with exclusive(run / f"{name}.lock"):
        if not record.exists():
            output = run / f"{name}.log"
            process = launch(output, arguments, environment)
            _started[output] = process
            record.write_text(json.dumps({"pid": process.pid, "output": str(output)}), encoding="utf-8")
    started = json.loads(record.read_text(encoding="utf-8"))
    return StartedStack(pid=started["pid"], output=Path(started["output"]))


def stop_all() -> list[str]:
    """Stop (SIGINT, as Ctrl-C does) every stack the run shared; what went wrong, if anything."""
    if RUN_DIRECTORY not in os.environ or not (run := Path(os.environ[RUN_DIRECTORY])).is_dir():
        return []
    stacks = [json.loads(record.read_text(encoding="utf-8")) for record in sorted(run.glob("*.json"))]
    for stack in stacks:
        if not exited(stack["pid"]):
            os.kill(stack["pid"], signal.SIGINT)
    problems = []
    for stack in stacks:
        output = Path(stack["output"])
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while not exited(stack["pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        log = output.read_text(encoding="utf-8")
        if not exited(stack["pid"]):
            os.kill(stack["pid"], signal.SIGKILL)
            problems.append(f"{output}: still running {STOP_TIMEOUT_S} s after SIGINT\n{log[-4000:]}")
        elif not log.rstrip().endswith(STOPPED):  # nothing after it: no error on the way out
            problems.append(f"{output}: did not stop cleanly on SIGINT\n{log[-4000:]}")
    if not problems:
        for path in run.iterdir():
            path.unlink()
        run.rmdir()
    return problems


def exited(pid: int) -> bool:
    """Whether the process is gone, or has exited and waits for its parent (perhaps another worker, or
    one that has ended) to collect it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
