"""A local function that fails is logged with its traceback, except while the stack stops: then moto
is going away under the work in hand (Ctrl-C during the start-up jobs), which is no fault."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from local.pollers import Worker
from local.template import FunctionSpec

SEAL_JOB = FunctionSpec("SealJob", "seal-job", "python3.12", "seal_job.handler", 256, 60, {})


class OnePoll(Worker):
    def poll(self) -> bool:
        self.call({})
        return False


def failing_handler(event: dict[str, Any], context: Any) -> Any:
    raise ConnectionError("moto stopped")


@pytest.mark.parametrize(
    ("stopping", "level", "traceback"), [(False, logging.ERROR, True), (True, logging.INFO, False)]
)
def test_a_failure_is_logged_with_its_traceback_unless_the_stack_is_stopping(
    caplog: pytest.LogCaptureFixture, stopping: bool, level: int, traceback: bool
) -> None:
    stop = threading.Event()
    if stopping:
        stop.set()
    with caplog.at_level(logging.INFO, logger="local"):
        OnePoll("schedule→seal_job.handler", SEAL_JOB, failing_handler, stop).poll()
    [record] = [record for record in caplog.records if "seal_job.handler raised" in record.getMessage()]
    assert record.levelno == level
    assert (record.exc_info is not None) is traceback
