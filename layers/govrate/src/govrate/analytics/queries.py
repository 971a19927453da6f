"""The SQL of every rate and ranking: one file each under `sql/`, the single source of truth.

The same text is deployed by the CDK as an Athena named query and run by DuckDB in the analyze job,
locally and in tests. The files use only what both dialects share (ANSI SQL, `?` parameters, a `dt`
string partition column). Each file names its `?` parameters in order in a `-- parameters:` line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final

SQL_DIR: Final = Path(__file__).with_name("sql")
_PARAMETERS_LINE: Final = "-- parameters:"


class RateName(StrEnum):
    GOOD_REVIEW_RATE = "good_review_rate"  # 好评率
    ACTIVE_GOOD_REVIEW_RATE = "active_good_review_rate"  # 主动评价好评率
    UNRATED_RATE = "unrated_rate"  # 未评率
    BAD_REVIEW_REPLY_RATE = "bad_review_reply_rate"  # 差评回复率
    RETURN_VISIT_RECTIFICATION_RATE = "return_visit_rectification_rate"  # 回访整改率
    RECTIFICATION_SATISFACTION_RATE = "rectification_satisfaction_rate"  # 回访整改满意率
    SATISFACTION_SCORE = "satisfaction_score"  # 满意度 (a 0-100 score, not a fraction)
    # Not a performance rate: how many of the evaluations the rates count carry an interference flag
    # (docs/integrity.md), reported beside the rates; flagged evaluations stay in every rate.
    FLAGGED_SHARE = "flagged_share"  # 疑似干扰评价占比


class RankingName(StrEnum):
    AGENCIES_IN_REGION = "rank_agencies_in_region"
    ITEMS_IN_AGENCY = "rank_items_in_agency"
    BOTTOM_AGENCIES = "bottom_agencies"
    BOTTOM_ITEMS = "bottom_items"


# Bad reviews by reason code: one row per cell, `bad_reviews` and one `reason_<code>` count per reason code.
BAD_REVIEWS_BY_REASON: Final = "bad_reviews_by_reason"

# Trans-regional evaluations by the region they were applied for in: cells like a rate's (good / rated),
# `region_code` the applied-for region, shown apart in that region's results and counted in no rate.
APPLIED_ELSEWHERE: Final = "applied_elsewhere"

# Rate queries answer one row per cell with exactly these columns.
RATE_COLUMNS: Final = ("dt", "region_code", "agency_code", "item_code", "numerator", "denominator")


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    parameters: tuple[str, ...]
    description: str

    def arguments(self, values: Mapping[str, object]) -> list[object]:
        """The positional arguments for the `?` markers, from named values."""
        missing = sorted(set(self.parameters) - set(values))
        if missing:
            raise KeyError(f"{self.name} needs {', '.join(missing)}")
        return [values[name] for name in self.parameters]


@cache
def query(name: str) -> Query:
    sql = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    comments = [line.removeprefix("--").strip() for line in sql.splitlines() if line.startswith("--")]
    declared = [line for line in sql.splitlines() if line.startswith(_PARAMETERS_LINE)]
    if len(declared) != 1:
        raise ValueError(f"{name}.sql must have exactly one '{_PARAMETERS_LINE}' line")
    parameters = tuple(declared[0].removeprefix(_PARAMETERS_LINE).split())
    if len(parameters) != sql.count("?"):
        raise ValueError(f"{name}.sql declares {len(parameters)} parameters for {sql.count('?')} markers")
    description = " ".join(line for line in comments if not line.startswith("parameters:"))
    return Query(name=name, sql=sql, parameters=parameters, description=description)


def rate_queries() -> dict[RateName, Query]:
    return {rate: query(rate.value) for rate in RateName}


def ranking_queries() -> dict[RankingName, Query]:
    return {ranking: query(ranking.value) for ranking in RankingName}


def all_queries() -> list[Query]:
    return [
        *rate_queries().values(),
        query(BAD_REVIEWS_BY_REASON),
        query(APPLIED_ELSEWHERE),
        *ranking_queries().values(),
    ]
