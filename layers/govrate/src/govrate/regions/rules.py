"""A region's rules: its evaluation policy, its case deadlines and its working-day calendar, as one
document per GB/T 2260 division (`510000` a province, `513200` a prefecture, `513221` a county).

The national rules are the defaults written here and the State Council's calendar of the
`chinese-calendar` package. For a region the documents of its province, its prefecture and itself
apply in that order: each field comes from the most local document that sets it, and calendar overlays
accumulate. `RulesBook` is the one reader every function uses; it keeps what it read for a time
(`GOVRATE_RULES_TTL_SECONDS`, a minute), so a change is in force everywhere within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govrate.kernel.scale import Level

if TYPE_CHECKING:
    from collections.abc import Mapping

    from govrate.regions.calendar import WorkingCalendar
    from govrate.regions.ports import RulesSource


class YearOverlay(BaseModel):
    """One year of a region's calendar: days off and adjusted working days."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    holidays: frozenset[date] = Field(default_factory=frozenset, description="Days off (holidays, local holidays).")
    workdays: frozenset[date] = Field(
        default_factory=frozenset, description="Adjusted working days (调休), usually a Saturday or Sunday."
    )


class EvaluationPolicy(BaseModel):
    """How long a service can be rated, and what the daily sweep does about an unrated one."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    evaluation_days: int = Field(default=7, ge=1, le=90, description="Natural days after completion to rate.")
    follow_up_days: int = Field(default=30, ge=1, le=365, description="Natural days to add the one follow-up.")
    invite_after_days: int = Field(default=3, ge=1, le=30, description="Invite an unrated applicant after.")
    default_level: Level | None = Field(
        default=None, description="System rating of a record left unrated; null keeps it unrated."
    )

    @field_validator("default_level")
    @classmethod
    def _never_a_bad_review(cls, level: Level | None) -> Level | None:
        if level is not None and level.is_bad_review:
            raise ValueError("a system-given rating is never a bad review")
        return level

    def evaluation_deadline(self, completed_at: datetime) -> datetime:
        return completed_at + timedelta(days=self.evaluation_days)

    def follow_up_deadline(self, evaluated_at: datetime) -> datetime:
        return evaluated_at + timedelta(days=self.follow_up_days)


class CasePolicy(BaseModel):
    """The deadlines of a bad review's case, in working days, and how often it may be reopened."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    verify_working_days: int = Field(default=1, ge=1, le=30, description="Contact the evaluator and verify.")
    answer_working_days: int = Field(default=15, ge=1, le=120, description="Rectify and answer the evaluator.")
    max_reopens: int = Field(default=1, ge=0, le=5, description="Dissatisfied ratings that reopen before escalating.")


class RulesDocument(BaseModel):
    """What one division sets. Only the fields written in the document count: the others come from the
    enclosing divisions (a field written as null, possible for `default_level` only, sets it to null)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    evaluation: EvaluationPolicy = Field(default_factory=EvaluationPolicy)
    cases: CasePolicy = Field(default_factory=CasePolicy)
    calendar: dict[int, YearOverlay] = Field(
        default_factory=dict, description="Holidays and adjusted working days by year, added to the enclosing ones."
    )

    def stored_form(self) -> dict[str, Any]:
        """The fields written in the document and nothing else (what is stored and shown)."""
        return self.model_dump(mode="json", exclude_unset=True)


class StoredRules(BaseModel):
    """A division's document as stored: the version it is at, and who set it when."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    division: str
    document: RulesDocument
    version: int = Field(ge=1)
    changed_at: datetime
    changed_by: str


class RulesChange(BaseModel):
    """One change of a division's document, as its audit entry keeps it: who, when, before and after."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    division: str
    version: int = Field(ge=1, description="The version the change makes; the first document is 1.")
    at: datetime
    actor_subject: str = Field(description="The Cognito `sub` of the supervisor who made the change.")
    actor_name: str | None
    operator: str = Field(description="The AWS identity (ARN) the command ran with.")
    before: dict[str, Any] | None = Field(description="The document replaced (its written fields); null: none.")
    after: dict[str, Any] = Field(description="The document set (its written fields).")


@dataclass(frozen=True)
class RegionRules:
    """What applies in one region."""

    region_code: str
    evaluation: EvaluationPolicy
    cases: CasePolicy
    overlays: tuple[Mapping[int, YearOverlay], ...]
    utc_offset_hours: int

    @cached_property
    def calendar(self) -> WorkingCalendar:
        # Built on first use: the functions that only rate never load the holiday tables.
        from govrate.regions.calendar import WorkingCalendar

        return WorkingCalendar(self.overlays)

    def due(self, start: datetime, working_days: int) -> datetime:
        return self.calendar.deadline(start, working_days, self.utc_offset_hours)


def divisions_of(region_code: str) -> list[str]:
    """The divisions whose documents apply to a region, from its province down to the region itself."""
    chain = [f"{region_code[:2]}0000", f"{region_code[:4]}00", region_code]
    return list(dict.fromkeys(chain))


def resolve(region_code: str, documents: Mapping[str, RulesDocument], utc_offset_hours: int) -> RegionRules:
    """The rules of a region from the documents of every division (those without one set nothing)."""
    chain = [documents[code] for code in divisions_of(region_code) if code in documents]
    evaluation: dict[str, Any] = {}
    cases: dict[str, Any] = {}
    for document in chain:
        evaluation.update(document.evaluation.model_dump(exclude_unset=True))
        cases.update(document.cases.model_dump(exclude_unset=True))
    return RegionRules(
        region_code=region_code,
        evaluation=EvaluationPolicy.model_validate(evaluation),
        cases=CasePolicy.model_validate(cases),
        overlays=tuple(document.calendar for document in chain),
        utc_offset_hours=utc_offset_hours,
    )


class RulesBook:
    """The rules every function reads: all divisions' documents in one read, kept `ttl_seconds`
    (thread-safe: a function's threads share one book)."""

    def __init__(
        self,
        source: RulesSource,
        utc_offset_hours: int,
        *,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._offset = utc_offset_hours
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._documents: dict[str, RulesDocument] = {}
        self._resolved: dict[str, RegionRules] = {}

    def for_region(self, region_code: str) -> RegionRules:
        with self._lock:
            documents = self._fresh()
            if region_code not in self._resolved:
                self._resolved[region_code] = resolve(region_code, documents, self._offset)
            return self._resolved[region_code]

    def divisions(self) -> frozenset[str]:
        """The divisions that have a document of their own."""
        with self._lock:
            return frozenset(self._fresh())

    def _fresh(self) -> dict[str, RulesDocument]:
        """The documents, read again when older than the TTL (called with the lock held)."""
        now = self._clock()
        if self._read_at is None or now - self._read_at >= self._ttl:
            # A failed read raises and leaves the book as it was: the next call reads again.
            self._documents = dict(self._source.documents())
            self._resolved = {}
            self._read_at = now
        return self._documents
