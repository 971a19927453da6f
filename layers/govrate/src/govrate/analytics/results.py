"""The results documents: what the public results API, the disclosure pages and the dashboard read.

After each run the day cells of the newest months are rolled up into one document per scope —
the index, each region, each agency, each service item — so that any page needs one request. A
document holds every rate with its numerator and denominator, by month (the 12-month trend) and by
day (the two newest months), the scope's children (a region's agencies, an agency's items) with
their own monthly rates, and the month rankings. Documents hold exact counts; the public API
suppresses small cells (`public_view`) before anything leaves.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import cache
from typing import Final, cast

from pydantic import BaseModel, ConfigDict, Field

from govrate.analytics.compute import Cell, MonthCells, RankedEntry, ReasonCell
from govrate.analytics.queries import RankingName, RateName
from govrate.analytics.scopes import SCOPE_PATHS, ScopeKind
from govrate.analytics.suppression import REASONS, Sum, family, withheld
from govrate.evaluations.models import ReasonCode, ServiceItem

TREND_MONTHS: Final = 12
DAILY_MONTHS: Final = 2
# What each rate's value is: a fraction 0-1, except the satisfaction score (0-100).
SCORE_RATES: Final = frozenset({RateName.SATISFACTION_SCORE})


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class RateValue(_Document):
    numerator: int | None = Field(description="Null when suppressed.")
    denominator: int | None = Field(description="Null when suppressed.")
    value: float | None = Field(
        description="numerator / denominator: a fraction from 0 to 1 (the satisfaction score: 0 to 100); "
        "null when the denominator is 0 or the cell is suppressed."
    )
    suppressed: bool = Field(
        default=False,
        description="Not published: counted over fewer than the minimum count, or hidden so that sums of "
        "published cells cannot give such a cell away.",
    )

    @classmethod
    def of(cls, numerator: int, denominator: int, *, suppressed: bool = False) -> RateValue:
        value = round(numerator / denominator, 6) if denominator else None
        return cls(numerator=numerator, denominator=denominator, value=value, suppressed=suppressed)


class PeriodRates(_Document):
    period: str = Field(description="YYYY-MM for a month, YYYY-MM-DD for a day.")
    rates: dict[RateName, RateValue]


class ReasonCounts(_Document):
    period: str = Field(description="YYYY-MM.")
    bad_reviews: int | None = Field(description="Bad reviews given (excluded ones left out); null when suppressed.")
    reasons: dict[ReasonCode, int] = Field(
        description="How many of them named each reason code (one may name several); empty when suppressed."
    )
    suppressed: bool = Field(
        default=False,
        description="Not published: fewer bad reviews than the minimum count, or hidden so that sums cannot "
        "give such a month away.",
    )

    @classmethod
    def total(cls, period: str, cells: Iterable[ReasonCell], *, suppressed: bool = False) -> ReasonCounts:
        cells = list(cells)
        return cls(
            period=period,
            bad_reviews=sum(cell.bad_reviews for cell in cells),
            reasons={code: sum(cell.reasons.get(code, 0) for cell in cells) for code in ReasonCode},
            suppressed=suppressed,
        )


class AppliedHere(_Document):
    """A month of the evaluations of services applied for in the region and handled in another (跨省通办,
    异地办理). They count in the handling region's rates and once in the totals; here they stand apart,
    in none of this region's rates."""

    period: str = Field(description="YYYY-MM.")
    good_review_rate: RateValue = Field(description="Rated 3-5 / rated, of the evaluations applied for here.")


class ChildResults(_Document):
    scope: ScopeKind
    code: str
    months: list[PeriodRates] = Field(description="The 12-month trend, oldest first.")


class Ranking(_Document):
    name: RankingName
    month: str
    min_count: int = Field(description="Fewer rated evaluations than this: not ranked.")
    entries: list[RankedEntry]


class ScopeName(_Document):
    zh: str = Field(description="The name in Chinese, from the catalogue.")
    en: str | None = Field(default=None, description="The name in English, where the catalogue has one (items).")


NAMES_DESCRIPTION: Final = "The catalogue's names of the codes the document mentions, by code."


def names_of(items: Iterable[ServiceItem]) -> dict[str, ScopeName]:
    """The names of every service item, agency and region of the catalogue's current items."""
    names: dict[str, ScopeName] = {}
    for item in items:
        names[item.item_code] = ScopeName(zh=item.name_zh, en=item.name_en)
        names[item.agency_code] = ScopeName(zh=item.agency_name_zh)
        names[item.region_code] = ScopeName(zh=item.region_name_zh)
    return names


class ScopeResults(_Document):
    scope: ScopeKind
    code: str
    region_code: str | None = Field(description="The region of an agency or item; null for a region.")
    agency_code: str | None = Field(description="The agency of an item; null otherwise.")
    generated_at: datetime
    min_count: int | None = Field(
        default=None,
        description="The minimum count: a cell counted over fewer is suppressed, and so is any cell that sums "
        "of published cells would give such a cell away by (public API).",
    )
    months: list[PeriodRates] = Field(description="The 12-month trend, oldest first; the newest month runs to date.")
    days: list[PeriodRates] = Field(description="Every day of the two newest months that had data, oldest first.")
    bad_review_reasons: list[ReasonCounts] = Field(
        default_factory=list, description="The bad reviews by reason code, by month: the months of `months`."
    )
    children: list[ChildResults] = Field(description="A region's agencies, an agency's service items.")
    rankings: list[Ranking] = Field(description="A region's agencies, an agency's items, ranked by month.")
    applied_here: list[AppliedHere] = Field(
        default_factory=list,
        description="A region's: the evaluations applied for here and handled in another region, by month (the "
        "months of `months`); empty when there were none. Not part of this region's rates.",
    )
    names: dict[str, ScopeName] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


class ScopeRef(_Document):
    scope: ScopeKind
    code: str
    region_code: str | None = None
    agency_code: str | None = None


class ResultsIndex(_Document):
    generated_at: datetime
    min_count: int | None = None
    months: list[str] = Field(description="The months the documents cover, oldest first.")
    rates: dict[RateName, str] = Field(description="What each rate is.")
    scopes: list[ScopeRef]
    totals: list[PeriodRates] = Field(description="Every rate over everything, by month.")
    bottom: list[Ranking] = Field(description="The ten lowest agencies and items of each month.")
    names: dict[str, ScopeName] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


Key = tuple[str, str | None, str | None]  # (region, agency, item) of a scope, None above its level


def _scopes_of(cell: Cell | ReasonCell) -> Iterator[tuple[ScopeKind, Key]]:
    yield ScopeKind.REGION, (cell.region_code, None, None)
    yield ScopeKind.AGENCY, (cell.region_code, cell.agency_code, None)
    if cell.item_code is not None:
        yield ScopeKind.ITEM, (cell.region_code, cell.agency_code, cell.item_code)


class _Sums:
    """Numerator and denominator sums per scope, period and rate: the rates are ratios of counts."""

    def __init__(self) -> None:
        self.values: defaultdict[tuple[ScopeKind, Key], defaultdict[str, defaultdict[RateName, list[int]]]] = (
            defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
        )

    def add(self, scope: tuple[ScopeKind, Key], period: str, rate: RateName, cell: Cell) -> None:
        sums = self.values[scope][period][rate]
        sums[0] += cell.numerator
        sums[1] += cell.denominator

    def periods(
        self, scope: tuple[ScopeKind, Key], periods: Iterable[str], hidden: Collection[Hashable] = ()
    ) -> list[PeriodRates]:
        """The scope's rates by period, a cell marked suppressed when `hidden` holds it."""
        by_period = self.values[scope]
        return [
            PeriodRates(
                period=period,
                rates={
                    rate: RateValue.of(*by_period[period][rate], suppressed=(scope, period, family(rate)) in hidden)
                    for rate in RateName
                },
            )
            for period in periods
        ]

    def denominators(self) -> dict[Hashable, int]:
        """The denominator of every cell, keyed (scope, period, rate family)."""
        counts: dict[Hashable, int] = {}
        for scope, by_period in self.values.items():
            for period, by_rate in by_period.items():
                for rate, (_, denominator) in by_rate.items():
                    cell = (scope, period, family(rate))
                    counts[cell] = max(counts.get(cell, 0), denominator)
        return counts


RATE_DESCRIPTIONS: Final = {
    RateName.GOOD_REVIEW_RATE: "好评率: evaluations rated 3-5 / all rated evaluations",
    RateName.ACTIVE_GOOD_REVIEW_RATE: "主动评价好评率: the same over evaluator-given ratings only",
    RateName.UNRATED_RATE: "未评率: completed records without an evaluator-given rating / completed records",
    RateName.BAD_REVIEW_REPLY_RATE: "差评回复率: bad reviews answered within their deadline / bad reviews",
    RateName.RETURN_VISIT_RECTIFICATION_RATE: "回访整改率: real-name bad reviews visited and rectified / "
    "real-name bad reviews",
    RateName.RECTIFICATION_SATISFACTION_RATE: "回访整改满意率: answered cases rated satisfied or basically "
    "satisfied / answered cases",
    RateName.SATISFACTION_SCORE: "满意度: mean level score, 0-100",
    RateName.FLAGGED_SHARE: "疑似干扰评价占比: evaluations flagged for interference / all rated evaluations "
    "(they stay in every rate)",
}


class Documents(BaseModel):
    """Every document of one publication, by its key under `results/`."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    index: ResultsIndex
    scopes: dict[str, ScopeResults]


def document_key(scope: ScopeKind, code: str) -> str:
    return f"v1/{SCOPE_PATHS[scope]}/{code}.json"


def missing_scope(scope: ScopeKind, code: str) -> str:
    """What a reader is told when a scope has no document."""
    return f"no published results for {scope.value} {code}"


INDEX_KEY: Final = "v1/index.json"
INDEX_MISSING: Final = "no results are published yet: the nightly analysis has not run"


ALL: Final[tuple[ScopeKind, Key]] = (ScopeKind.REGION, ("*", None, None))  # the index's totals


def build_documents(
    months: list[MonthCells], generated_at: datetime, min_count: int, names: Mapping[str, ScopeName] | None = None
) -> Documents:
    """The documents of the newest TREND_MONTHS months of cells (`months` in any order), with every
    cell the public may not see marked suppressed (`govrate.analytics.suppression`): documents hold
    exact counts, and the public view nulls the marked cells. `names`: the catalogue's, by code."""
    names = names or {}
    newest = sorted(months, key=lambda month: month.month)[-TREND_MONTHS:]
    month_names = [month.month for month in newest]
    daily = set(month_names[-DAILY_MONTHS:])
    sums = _Sums()
    children: defaultdict[tuple[ScopeKind, Key], set[tuple[ScopeKind, Key]]] = defaultdict(set)
    totals = _Sums()
    day_names: set[str] = set()
    reasons: defaultdict[tuple[ScopeKind, Key], defaultdict[str, list[ReasonCell]]] = defaultdict(
        lambda: defaultdict(list)
    )
    applied: defaultdict[str, defaultdict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for month in newest:
        for applied_cell in month.applied_elsewhere:
            counts = applied[applied_cell.region_code][month.month]
            counts[0] += applied_cell.numerator
            counts[1] += applied_cell.denominator
            sums.values[(ScopeKind.REGION, (applied_cell.region_code, None, None))]  # a document even without rates
        for reason_cell in month.reasons:
            for scope in _scopes_of(reason_cell):
                reasons[scope][month.month].append(reason_cell)
        for rate, cells in month.cells.items():
            for cell in cells:
                totals.add(ALL, month.month, rate, cell)
                for scope in _scopes_of(cell):
                    sums.add(scope, month.month, rate, cell)
                    if month.month in daily:
                        sums.add(scope, cell.dt.isoformat(), rate, cell)
                        day_names.add(cell.dt.isoformat())
                region_scope = (ScopeKind.REGION, (cell.region_code, None, None))
                agency_scope = (ScopeKind.AGENCY, (cell.region_code, cell.agency_code, None))
                children[region_scope].add(agency_scope)
                if cell.item_code is not None:
                    children[agency_scope].add((ScopeKind.ITEM, (cell.region_code, cell.agency_code, cell.item_code)))
    days = sorted(day_names)
    hidden = _withheld(
        sums,
        totals,
        reasons=reasons,
        children=children,
        month_names=month_names,
        days=days,
        months=newest,
        min_count=min_count,
    )
    scopes: dict[str, ScopeResults] = {}
    for scope in sorted(sums.values, key=lambda s: (s[0].value, *(part or "" for part in s[1]))):
        kind, (region, agency, _) = scope
        code = _code(scope)
        kids = sorted(children.get(scope, ()), key=_code)
        mentioned = {code, region, agency or "", *(_code(kid) for kid in kids)}
        scope_days = [period for period in sums.periods(scope, days, hidden) if _has_data(period)]
        scopes[document_key(kind, code)] = ScopeResults(
            scope=kind,
            code=code,
            region_code=region if kind is not ScopeKind.REGION else None,
            agency_code=agency if kind is ScopeKind.ITEM else None,
            generated_at=generated_at,
            min_count=min_count,
            months=sums.periods(scope, month_names, hidden),
            days=scope_days,
            bad_review_reasons=[
                ReasonCounts.total(name, reasons[scope][name], suppressed=(scope, name, REASONS) in hidden)
                for name in month_names
            ],
            children=[
                ChildResults(scope=child[0], code=_code(child), months=sums.periods(child, month_names, hidden))
                for child in kids
            ],
            rankings=_rankings_of(kind, region, agency, newest),
            applied_here=[
                AppliedHere(period=name, good_review_rate=RateValue.of(*applied[region][name])) for name in month_names
            ]
            if kind is ScopeKind.REGION and region in applied
            else [],
            names={known: names[known] for known in sorted(mentioned) if known in names},
        )
    index = ResultsIndex(
        generated_at=generated_at,
        min_count=min_count,
        months=month_names,
        rates=RATE_DESCRIPTIONS,
        scopes=[
            ScopeRef(
                scope=document.scope,
                code=document.code,
                region_code=document.region_code,
                agency_code=document.agency_code,
            )
            for document in scopes.values()
        ],
        totals=totals.periods(ALL, month_names, hidden),
        # The index is public only: a bottom entry whose cell is hidden is left out of it.
        bottom=[
            Ranking(
                name=name,
                month=month.month,
                min_count=month.ranking_min_count,
                entries=[
                    entry
                    for entry in month.rankings.get(name, [])
                    if (_ranked_scope(entry), month.month, family(RateName.GOOD_REVIEW_RATE)) not in hidden
                ],
            )
            for month in newest
            for name in (RankingName.BOTTOM_AGENCIES, RankingName.BOTTOM_ITEMS)
        ],
        names={document.code: names[document.code] for document in scopes.values() if document.code in names},
    )
    return Documents(index=index, scopes=scopes)


def _ranked_scope(entry: RankedEntry, region_of: dict[str, str] | None = None) -> tuple[ScopeKind, Key]:
    region = entry.region_code or (region_of or {}).get(entry.agency_code, "")
    if entry.item_code is None:
        return ScopeKind.AGENCY, (region, entry.agency_code, None)
    return ScopeKind.ITEM, (region, entry.agency_code, entry.item_code)


def _withheld(
    sums: _Sums,
    totals: _Sums,
    *,
    reasons: Mapping[tuple[ScopeKind, Key], Mapping[str, list[ReasonCell]]],
    children: Mapping[tuple[ScopeKind, Key], set[tuple[ScopeKind, Key]]],
    month_names: list[str],
    days: list[str],
    months: list[MonthCells],
    min_count: int,
) -> set[Hashable]:
    """The cells of the publication to hide, with every sum its documents publish: each scope's
    period over its children's (an agency's evaluations of no item unpublished), everything's month
    over the regions', and each scope's month over its days."""
    if min_count <= 1:  # no cell is counted over fewer than one: nothing to hide
        return set()
    denominators = sums.denominators() | totals.denominators()
    for scope, by_month in reasons.items():
        for month, cells in by_month.items():
            key = (scope, month, REASONS)
            denominators[key] = max(denominators.get(key, 0), sum(cell.bad_reviews for cell in cells))
    families = sorted({family(rate) for rate in RateName})
    kids_of = {parent: tuple(sorted(kids)) for parent, kids in children.items()}
    kids_of[ALL] = tuple(sorted(scope for scope in sums.values if scope[0] is ScopeKind.REGION))
    parent_of = {kid: parent for parent, kids in kids_of.items() for kid in kids}
    month_set = set(month_names)
    days_of: defaultdict[str, list[str]] = defaultdict(list)
    for day in days:
        days_of[day[: len("YYYY-MM")]].append(day)

    @cache
    def children_sum(scope: tuple[ScopeKind, Key], period: str, name: str) -> Sum | None:
        """The scope's period over its children's (everything's over the regions', by month only)."""
        kids = kids_of.get(scope)
        if not kids or (scope == ALL and period not in month_set):
            return None
        total = (scope, period, name)
        parts = tuple((kid, period, name) for kid in kids)
        unpublished = 0
        if scope[0] is ScopeKind.AGENCY:  # its evaluations of no item are never published
            unpublished = max(denominators.get(total, 0) - sum(denominators.get(part, 0) for part in parts), 0)
        return Sum(total, parts, unpublished)

    @cache
    def days_sum(scope: tuple[ScopeKind, Key], month: str, name: str) -> Sum | None:
        month_days = days_of.get(month)
        return Sum((scope, month, name), tuple((scope, day, name) for day in month_days)) if month_days else None

    def sums_of(cell: Hashable) -> list[Sum]:
        scope, period, name = cast(tuple[tuple[ScopeKind, Key], str, str], cell)
        found = [children_sum(scope, period, name), days_sum(scope, period[: len("YYYY-MM")], name)]
        if scope in parent_of:
            found.append(children_sum(parent_of[scope], period, name))
        return [total for total in found if total is not None]

    # The sums whose unpublished remainder is itself small must be protected from the start.
    small_remainders = [
        total
        for agency in kids_of
        if agency[0] is ScopeKind.AGENCY
        for period in [*month_names, *days]
        for name in families
        if (total := children_sum(agency, period, name)) is not None and 0 < total.unpublished < min_count
    ]
    region_of = {scope[1][1] or "": scope[1][0] for scope in sums.values if scope[0] is ScopeKind.AGENCY}
    ranked = {
        (_ranked_scope(entry, region_of), month.month, family(RateName.GOOD_REVIEW_RATE))
        for month in months
        for entries in month.rankings.values()
        for entry in entries
    }
    return withheld(denominators, sums_of, min_count, pinned=ranked, also=small_remainders)


def _code(scope: tuple[ScopeKind, Key]) -> str:
    kind, (region, agency, item) = scope
    return {ScopeKind.REGION: region, ScopeKind.AGENCY: agency, ScopeKind.ITEM: item}[kind] or ""


def _has_data(period: PeriodRates) -> bool:
    return any(value.denominator for value in period.rates.values())


def _rankings_of(kind: ScopeKind, region: str, agency: str | None, months: list[MonthCells]) -> list[Ranking]:
    """A region's agencies or an agency's items, ranked in each month."""
    if kind is ScopeKind.ITEM:
        return []
    name = RankingName.AGENCIES_IN_REGION if kind is ScopeKind.REGION else RankingName.ITEMS_IN_AGENCY

    def within(entry: RankedEntry) -> bool:
        return entry.region_code == region if kind is ScopeKind.REGION else entry.agency_code == agency

    return [
        Ranking(
            name=name,
            month=month.month,
            min_count=month.ranking_min_count,
            entries=[entry for entry in month.rankings.get(name, []) if within(entry)],
        )
        for month in months
    ]


# --- what the public sees -----------------------------------------------------------------------


def suppress(value: RateValue, min_count: int) -> RateValue:
    """The value as the public may see it: nothing of a cell the publication hid or counted over fewer
    than `min_count` (0 of 0 stays)."""
    if value.suppressed or 0 < (value.denominator or 0) < min_count:
        return RateValue(numerator=None, denominator=None, value=None, suppressed=True)
    return value


def _suppressed(periods: list[PeriodRates], min_count: int) -> list[PeriodRates]:
    return [
        PeriodRates(
            period=period.period, rates={rate: suppress(value, min_count) for rate, value in period.rates.items()}
        )
        for period in periods
    ]


def suppress_reasons(counts: ReasonCounts, min_count: int) -> ReasonCounts:
    """A month's bad reviews by reason as the public may see them: nothing of a month the publication
    hid or with fewer than `min_count` bad reviews (none at all stays)."""
    if counts.suppressed or 0 < (counts.bad_reviews or 0) < min_count:
        return ReasonCounts(period=counts.period, bad_reviews=None, reasons={}, suppressed=True)
    return counts


def public_min_count(published: int | None, configured: int) -> int:
    """The threshold a public answer applies: the publication's, or a higher one configured since
    (which hides more small cells at once; the sums are protected anew at the next publication)."""
    return max(published or 0, configured)


def public_scope(document: ScopeResults, min_count: int) -> ScopeResults:
    """The document as the public may see it: every cell the publication hid or counted over fewer
    than the minimum count nulled, and so every month of bad reviews by reason, so that no evaluator
    can be singled out; a ranked entry whose cell is hidden is left out of the ranking."""
    min_count = public_min_count(document.min_count, min_count)
    children = [
        child.model_copy(update={"months": _suppressed(child.months, min_count)}) for child in document.children
    ]
    hidden_ranked = {
        (child.code, period.period)
        for child in children
        for period in child.months
        if period.rates[RateName.GOOD_REVIEW_RATE].suppressed
    }
    return document.model_copy(
        update={
            "min_count": min_count,
            "months": _suppressed(document.months, min_count),
            "days": _suppressed(document.days, min_count),
            "bad_review_reasons": [suppress_reasons(counts, min_count) for counts in document.bad_review_reasons],
            "children": children,
            "applied_here": [
                month.model_copy(update={"good_review_rate": suppress(month.good_review_rate, min_count)})
                for month in document.applied_here
            ],
            "rankings": [
                ranking.model_copy(
                    update={
                        "entries": [
                            entry
                            for entry in ranking.entries
                            if (entry.item_code or entry.agency_code, ranking.month) not in hidden_ranked
                        ]
                    }
                )
                for ranking in document.rankings
            ],
        }
    )


def public_index(index: ResultsIndex, min_count: int) -> ResultsIndex:
    min_count = public_min_count(index.min_count, min_count)
    return index.model_copy(update={"min_count": min_count, "totals": _suppressed(index.totals, min_count)})


CSV_COLUMNS: Final = ("scope", "code", "grain", "period", "rate", "numerator", "denominator", "value", "suppressed")


# One CSV section: scope, code, grain, and by period the values keyed by what the `rate` column says.
_CsvSection = tuple[ScopeKind, str, str, list[tuple[str, dict[str, RateValue]]]]


def scope_csv(document: ScopeResults) -> str:
    """The document's rates as one CSV table: the scope's months and days, its bad reviews by reason by
    month (rate `reason_<code>`: the bad reviews that named it over the bad reviews), then its children's
    months."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    sections: list[_CsvSection] = [
        (document.scope, document.code, "month", _by_rate(document.months)),
        (document.scope, document.code, "day", _by_rate(document.days)),
        (document.scope, document.code, "month", _by_reason(document.bad_review_reasons)),
    ]
    sections += [(child.scope, child.code, "month", _by_rate(child.months)) for child in document.children]
    for scope, code, grain, periods in sections:
        for period, values in periods:
            for name, value in values.items():
                writer.writerow(
                    [
                        scope.value,
                        code,
                        grain,
                        period,
                        name,
                        csv_cell(value.numerator),
                        csv_cell(value.denominator),
                        csv_cell(value.value),
                        "true" if value.suppressed else "false",
                    ]
                )
    return out.getvalue()


def _by_rate(periods: list[PeriodRates]) -> list[tuple[str, dict[str, RateValue]]]:
    return [(period.period, {rate.value: value for rate, value in period.rates.items()}) for period in periods]


def _by_reason(months: list[ReasonCounts]) -> list[tuple[str, dict[str, RateValue]]]:
    """Each month's reason counts as shares of its bad reviews, keyed `reason_<code>`."""
    suppressed = RateValue(numerator=None, denominator=None, value=None, suppressed=True)
    return [
        (
            counts.period,
            {
                f"reason_{code.value}": suppressed
                if counts.bad_reviews is None
                else RateValue.of(counts.reasons.get(code, 0), counts.bad_reviews, suppressed=counts.suppressed)
                for code in ReasonCode
            },
        )
        for counts in months
    ]


def index_csv(index: ResultsIndex) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for period in index.totals:
        for rate, value in period.rates.items():
            writer.writerow(
                [
                    "all",
                    "",
                    "month",
                    period.period,
                    rate.value,
                    csv_cell(value.numerator),
                    csv_cell(value.denominator),
                    csv_cell(value.value),
                    "true" if value.suppressed else "false",
                ]
            )
    return out.getvalue()


def csv_cell(value: float | None) -> str:
    """A number as a CSV cell: empty for none (a suppressed or undefined value)."""
    return "" if value is None else str(value)


def newest_months(today: date, count: int = TREND_MONTHS) -> list[date]:
    """The first days of the `count` months up to today's, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]
