"""Per-region case rules: deadlines, reopen limit and calendar overlays, from optional JSON files.

A rules file is named after a GB/T 2260 division code (`000000.json` for the whole country,
`510000.json` for a province, `513200.json` for a prefecture, `513221.json` for a county). For a
case in 513221 the files 000000, 510000, 513200 and 513221 apply in that order: calendar overlays
accumulate, and each policy field comes from the most local file that sets it. Without any file,
the national defaults hold: contact and verify within 1 working day, rectify and answer within 15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govrate.regions.calendar import WorkingCalendar, YearOverlay

NATIONAL = "000000"


class RulesFileInvalid(RuntimeError):
    """A deployed rules file cannot be read: a fault of the deployment, not of the request."""


class CasePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    verify_working_days: int = Field(default=1, ge=1, le=30, description="Contact the evaluator and verify.")
    answer_working_days: int = Field(default=15, ge=1, le=120, description="Rectify and answer the evaluator.")
    max_reopens: int = Field(default=1, ge=0, le=5, description="Dissatisfied ratings that reopen before escalating.")


class PolicyOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    verify_working_days: int | None = Field(default=None, ge=1, le=30)
    answer_working_days: int | None = Field(default=None, ge=1, le=120)
    max_reopens: int | None = Field(default=None, ge=0, le=5)


class RulesFile(BaseModel):
    """The content of one `<division code>.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    policy: PolicyOverride = Field(default_factory=PolicyOverride)
    calendar: dict[int, YearOverlay] = Field(default_factory=dict, description="Overlays by year.")


@dataclass(frozen=True)
class RegionRules:
    """What applies to the cases of one region."""

    region_code: str
    policy: CasePolicy
    calendar: WorkingCalendar
    utc_offset_hours: int

    def due(self, start: datetime, working_days: int) -> datetime:
        return self.calendar.deadline(start, working_days, self.utc_offset_hours)


def divisions_of(region_code: str) -> list[str]:
    """The rules files that apply to a region, from the country down to the region itself."""
    chain = [NATIONAL, f"{region_code[:2]}0000", f"{region_code[:4]}00", region_code]
    return list(dict.fromkeys(chain))


class RulesBook:
    """Reads the rules files of a directory (none when `directory` is None) and resolves a region."""

    def __init__(self, directory: Path | None, utc_offset_hours: int) -> None:
        self._directory = directory
        self._offset = utc_offset_hours
        self._resolved: dict[str, RegionRules] = {}

    def for_region(self, region_code: str) -> RegionRules:
        if region_code not in self._resolved:
            self._resolved[region_code] = self._resolve(region_code)
        return self._resolved[region_code]

    def _resolve(self, region_code: str) -> RegionRules:
        files = [found for code in divisions_of(region_code) if (found := self._file(code)) is not None]
        policy: dict[str, int] = {}
        for rules in files:
            policy.update(rules.policy.model_dump(exclude_none=True))
        return RegionRules(
            region_code=region_code,
            policy=CasePolicy.model_validate(policy),
            calendar=WorkingCalendar(rules.calendar for rules in files),
            utc_offset_hours=self._offset,
        )

    def _file(self, division_code: str) -> RulesFile | None:
        if self._directory is None:
            return None
        path = self._directory / f"{division_code}.json"
        if not path.is_file():
            return None
        try:
            return RulesFile.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise RulesFileInvalid(f"{path.name}: {exc}") from exc
