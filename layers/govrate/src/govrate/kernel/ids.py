"""Ids of evaluations and cases: ULIDs, so that ids sort by the time they were made.

The ulid package reads its installed metadata when imported, so it is loaded on the first id made,
not when a handler is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


def new_id(at: datetime) -> str:
    """A new id made at `at` (its time part), random otherwise."""
    from ulid import ULID

    return str(ULID.from_datetime(at))


def id_of(seed: bytes) -> str:
    """The id whose 16 bytes are the first 16 of `seed`: the same seed, the same id."""
    from ulid import ULID

    return str(ULID.from_bytes(seed[:16]))
