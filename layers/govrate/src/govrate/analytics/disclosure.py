"""What the public disclosure pages and the agencies' monthly scorecards show, from one results document.

Both read one stored document (govrate.analytics.results) and apply the public suppression to every
number they show, including the 12-month totals, which are summed from exact counts first and then
suppressed like any other cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from govrate.analytics.compute import RankedEntry
from govrate.analytics.queries import RankingName, RateName
from govrate.analytics.results import (
    ChildResults,
    PeriodRates,
    RateValue,
    ScopeName,
    ScopeResults,
    csv_cell,
    newest_months,
    public_min_count,
    public_scope,
    suppress,
)
from govrate.analytics.scopes import ResultsQuery, ScopeKind
from govrate.analytics.suppression import hides_safely
from govrate.kernel.errors import InvalidInput, NotFound

# The rates a disclosure page draws as its 12-month trend (fractions; the score is a table row).
TREND_RATES: Final = (RateName.GOOD_REVIEW_RATE, RateName.BAD_REVIEW_REPLY_RATE, RateName.UNRATED_RATE)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class Disclosure(_View):
    """A disclosure page's numbers: the newest month, the 12-month totals, the trend, the children."""

    scope: ScopeKind
    code: str
    region_code: str | None
    agency_code: str | None
    generated_at: datetime
    min_count: int
    month: str | None = Field(description="The newest month with data; null when there is none.")
    month_rates: dict[RateName, RateValue]
    year_rates: dict[RateName, RateValue] = Field(description="The 12 months together.")
    trend: list[PeriodRates]
    children: list[ChildResults] = Field(description="The children's rates in `month`, suppressed.")
    names: dict[str, ScopeName] = Field(description="The catalogue's names of the codes shown.")


def _sum(periods: Iterable[PeriodRates], rate: RateName) -> RateValue:
    values = list(_values(periods, rate))
    return RateValue.of(sum(value.numerator or 0 for value in values), sum(value.denominator or 0 for value in values))


def _year(months: list[PeriodRates], rate: RateName, min_count: int) -> RateValue:
    """The 12 months together, suppressed like a month, and also when the year minus its published
    months would give its hidden months away (one hidden month, or hidden months counting fewer than
    `min_count` together)."""
    hidden = [value.denominator or 0 for value in _values(months, rate) if suppress(value, min_count).suppressed]
    if not hides_safely(hidden, 0, min_count):
        return RateValue(numerator=None, denominator=None, value=None, suppressed=True)
    return suppress(_sum(months, rate), min_count)


def _values(periods: Iterable[PeriodRates], rate: RateName) -> Iterator[RateValue]:
    return (value for period in periods if (value := period.rates.get(rate)) is not None)


def _newest_with_data(periods: list[PeriodRates]) -> PeriodRates | None:
    with_data = [period for period in periods if any(value.denominator for value in period.rates.values())]
    return with_data[-1] if with_data else None


def _twelve_months(periods: list[PeriodRates]) -> list[PeriodRates]:
    """The 12 months up to the newest one, a month without results empty (the chart shows a gap)."""
    if not periods:
        return []
    newest = date.fromisoformat(periods[-1].period + "-01")
    by_name = {period.period: period for period in periods}
    empty = {rate: RateValue.of(0, 0) for rate in RateName}
    names = [f"{month:%Y-%m}" for month in newest_months(newest)]
    return [by_name.get(name) or PeriodRates(period=name, rates=empty) for name in names]


def disclosure(document: ScopeResults, min_count: int) -> Disclosure:
    """The page of a scope from its exact document; nothing the publication hid or below `min_count`
    is shown."""
    min_count = public_min_count(document.min_count, min_count)
    newest = _newest_with_data(document.months)
    public = public_scope(document, min_count)
    public_newest = next((p for p in public.months if newest and p.period == newest.period), None)
    return Disclosure(
        scope=document.scope,
        code=document.code,
        region_code=document.region_code,
        agency_code=document.agency_code,
        generated_at=document.generated_at,
        min_count=min_count,
        month=newest.period if newest else None,
        month_rates=public_newest.rates if public_newest else {},
        year_rates={rate: _year(document.months, rate, min_count) for rate in RateName},
        trend=_twelve_months(public.months),
        children=[
            child.model_copy(update={"months": [p for p in child.months if newest and p.period == newest.period]})
            for child in public.children
        ],
        names=document.names,
    )


# --- the monthly scorecard (绩效考核) -------------------------------------------------------------------


Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
MONTH_DESCRIPTION: Final = "YYYY-MM; by default the newest closed month (the one before the current)."


class ScorecardQuery(ResultsQuery):
    month: Month | None = Field(default=None, description=MONTH_DESCRIPTION)


class ScorecardRate(_View):
    numerator: int | None
    denominator: int | None
    value: float | None
    suppressed: bool
    change: float | None = Field(description="value minus last month's value; null if either is unknown.")


class AgencyScorecard(_View):
    agency_code: str
    rates: dict[RateName, ScorecardRate]
    rank: int | None = Field(description="Place among the region's ranked agencies (ties share); null: not ranked.")
    rank_change: int | None = Field(description="Places gained since last month (positive: up); null if unranked.")
    ranked_agencies: int = Field(description="How many agencies of the region were ranked this month.")


class RegionScorecards(_View):
    region_code: str
    month: str
    previous_month: str | None
    generated_at: datetime
    min_count: int = Field(description="Cells with a smaller denominator are suppressed.")
    ranking_min_count: int | None = Field(description="Agencies with fewer rated evaluations are not ranked.")
    agencies: list[AgencyScorecard] = Field(description="Ranked agencies by place, then the unranked by code.")
    names: dict[str, ScopeName] = Field(default_factory=dict, description="The catalogue's names, by code.")


def _ranking(document: ScopeResults, month: str | None) -> tuple[dict[str, int], int | None, int]:
    for ranking in document.rankings:
        if ranking.name is RankingName.AGENCIES_IN_REGION and ranking.month == month:
            entries: list[RankedEntry] = ranking.entries
            return {entry.agency_code: entry.place for entry in entries}, ranking.min_count, len(entries)
    return {}, None, 0


def _change(now: RateValue, before: RateValue | None) -> float | None:
    if now.value is None or before is None or before.value is None:
        return None
    return round(now.value - before.value, 6)


def region_scorecards(document: ScopeResults, month: str | None, min_count: int) -> RegionScorecards:
    """Every agency of a region in `month`: its rates, their change since the month before, its rank."""
    if document.scope is not ScopeKind.REGION:
        raise NotFound("scorecards are by region")
    months = [period.period for period in document.months]
    if not months:
        raise NotFound(f"no results for {document.code}")
    chosen = month or (months[-2] if len(months) > 1 else months[-1])
    if chosen not in months:
        raise InvalidInput(
            f"no results for {chosen}", [{"field": "month", "message": f"from {months[0]} to {months[-1]}"}]
        )
    position = months.index(chosen)
    previous = months[position - 1] if position else None
    min_count = public_min_count(document.min_count, min_count)
    public = public_scope(document, min_count)
    # The places of the public ranking: an agency whose rate is hidden is not ranked in public.
    places, ranking_min_count, ranked = _ranking(public, chosen)
    previous_places, _, _ = _ranking(public, previous)
    cards = []
    for child in public.children:
        now = child.months[position].rates
        before = child.months[position - 1].rates if position else {}
        place = places.get(child.code)
        previous_place = previous_places.get(child.code)
        cards.append(
            AgencyScorecard(
                agency_code=child.code,
                rates={
                    rate: ScorecardRate(**value.model_dump(), change=_change(value, before.get(rate)))
                    for rate, value in now.items()
                },
                rank=place,
                rank_change=previous_place - place if place is not None and previous_place is not None else None,
                ranked_agencies=ranked,
            )
        )
    cards.sort(key=lambda card: (card.rank is None, card.rank or 0, card.agency_code))
    return RegionScorecards(
        region_code=document.code,
        month=chosen,
        previous_month=previous,
        generated_at=document.generated_at,
        min_count=min_count,
        ranking_min_count=ranking_min_count,
        agencies=cards,
        names=document.names,
    )


SCORECARD_COLUMNS: Final = (
    "region",
    "month",
    "agency",
    "rank",
    "ranked_agencies",
    "rank_change",
    "rate",
    "numerator",
    "denominator",
    "value",
    "change",
    "suppressed",
)


def scorecards_csv(scorecards: RegionScorecards) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SCORECARD_COLUMNS)
    for card in scorecards.agencies:
        for rate, value in card.rates.items():
            writer.writerow(
                [
                    scorecards.region_code,
                    scorecards.month,
                    card.agency_code,
                    csv_cell(card.rank),
                    card.ranked_agencies,
                    csv_cell(card.rank_change),
                    rate.value,
                    csv_cell(value.numerator),
                    csv_cell(value.denominator),
                    csv_cell(value.value),
                    csv_cell(value.change),
                    "true" if value.suppressed else "false",
                ]
            )
    return out.getvalue()
