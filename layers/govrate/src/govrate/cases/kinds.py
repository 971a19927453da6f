"""What a case is about: a light module, so that the contracts that name a case's kind (the relay's,
the upstream messages) do not load the case model."""

from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    """What a case is about. Bad reviews go to their agency; the other kinds are supervision cases,
    worked by the supervisors of the region only (not listed to the agency, not swept, not in the rates)."""

    BAD_REVIEW = "bad_review"
    BURST = "burst"
    """Bad reviews of one window (or item) arriving faster than the burst threshold, held for a decision."""
    PRESSURE_REPORT = "pressure_report"
    """A citizen reports that someone pressed them to rate (supervision channel, against a window)."""


SUPERVISION_KINDS = frozenset({CaseKind.BURST, CaseKind.PRESSURE_REPORT})
