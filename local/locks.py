"""A lock between the processes of this machine, held on a file (`fcntl.flock`): the local stacks
started at once synthesize one template once, and the test workers start one shared stack once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the lock of `path` (created if missing) until the block ends; another process waits."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
