"""The disclosure view, the scorecards and the SVG chart, from documents built by hand."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from govrate.analytics.charts import Series, line_chart
from govrate.analytics.compute import RankedEntry
from govrate.analytics.disclosure import disclosure, region_scorecards, scorecards_csv
from govrate.analytics.queries import RankingName, RateName
from govrate.analytics.results import ChildResults, PeriodRates, Ranking, RateValue, ScopeResults
from govrate.analytics.scopes import ScopeKind
from govrate.kernel.errors import InvalidInput

GENERATED = datetime(2026, 11, 2, tzinfo=UTC)


def _period(period: str, good: int, rated: int) -> PeriodRates:
    rates = {rate: RateValue.of(0, 0) for rate in RateName}
    rates[RateName.GOOD_REVIEW_RATE] = RateValue.of(good, rated)
    rates[RateName.BAD_REVIEW_REPLY_RATE] = RateValue.of(max(rated - good - 1, 0), rated - good)
    return PeriodRates(period=period, rates=rates)


def _ranking(month: str, *places: tuple[int, str]) -> Ranking:
    return Ranking(
        name=RankingName.AGENCIES_IN_REGION,
        month=month,
        min_count=30,
        entries=[
            RankedEntry(place=place, region_code="110105", agency_code=code, good=40, rated=50, score_points=4000)
            for place, code in places
        ],
    )


def _region(children: list[ChildResults], rankings: list[Ranking]) -> ScopeResults:
    return ScopeResults(
        scope=ScopeKind.REGION,
        code="110105",
        region_code=None,
        agency_code=None,
        generated_at=GENERATED,
        months=[_period("2026-09", 0, 0), _period("2026-10", 90, 100), _period("2026-11", 6, 8)],
        days=[],
        children=children,
        rankings=rankings,
    )


def test_the_year_is_summed_from_exact_counts_then_suppressed() -> None:
    document = _region([], [])
    document = document.model_copy(update={"months": [_period("2026-10", 5, 6), _period("2026-11", 5, 6)]})
    view = disclosure(document, min_count=10)
    # Each month (6 evaluations) is below the minimum count; the two together (12) are published.
    assert view.month == "2026-11"
    assert view.month_rates[RateName.GOOD_REVIEW_RATE].suppressed
    assert view.trend[-2].rates[RateName.GOOD_REVIEW_RATE].suppressed
    # The trend always spans 12 months; those without results are empty.
    assert [period.period for period in view.trend][:2] == ["2025-12", "2026-01"]
    assert view.trend[0].rates[RateName.GOOD_REVIEW_RATE].value is None
    assert view.year_rates[RateName.GOOD_REVIEW_RATE] == RateValue.of(10, 12)


def test_the_year_is_suppressed_when_it_would_give_away_a_suppressed_month() -> None:
    document = _region([], []).model_copy(
        update={"months": [_period("2026-09", 40, 44), _period("2026-10", 5, 5), _period("2026-11", 42, 44)]}
    )
    view = disclosure(document, min_count=10)
    # October alone is suppressed: 87 of 93 for the year minus the two published months would be 5 of 5.
    assert view.trend[-2].rates[RateName.GOOD_REVIEW_RATE].suppressed
    assert view.year_rates[RateName.GOOD_REVIEW_RATE].suppressed
    assert view.year_rates[RateName.GOOD_REVIEW_RATE].denominator is None


def test_a_scope_without_data_has_no_month() -> None:
    view = disclosure(_region([], []).model_copy(update={"months": [_period("2026-11", 0, 0)]}), min_count=10)
    assert view.month is None
    assert view.month_rates == {}


def test_scorecards_rank_and_compare_with_the_month_before() -> None:
    children = [
        ChildResults(
            scope=ScopeKind.AGENCY,
            code="110105-GA",
            months=[_period("2026-09", 0, 0), _period("2026-10", 40, 50), _period("2026-11", 45, 50)],
        ),
        ChildResults(
            scope=ScopeKind.AGENCY,
            code="110105-SJ",
            months=[_period("2026-09", 0, 0), _period("2026-10", 48, 50), _period("2026-11", 3, 4)],
        ),
    ]
    rankings = [_ranking("2026-10", (1, "110105-SJ"), (2, "110105-GA")), _ranking("2026-11", (1, "110105-GA"))]
    cards = region_scorecards(_region(children, rankings), "2026-11", min_count=10)
    assert cards.previous_month == "2026-10"
    ga, sj = cards.agencies
    assert (ga.agency_code, ga.rank, ga.rank_change, ga.ranked_agencies) == ("110105-GA", 1, 1, 1)
    assert ga.rates[RateName.GOOD_REVIEW_RATE].change == pytest.approx(0.9 - 0.8)
    # Four evaluations: suppressed, so neither ranked nor compared.
    assert (sj.agency_code, sj.rank, sj.rank_change) == ("110105-SJ", None, None)
    assert sj.rates[RateName.GOOD_REVIEW_RATE].suppressed
    assert sj.rates[RateName.GOOD_REVIEW_RATE].change is None
    rows = scorecards_csv(cards).splitlines()
    assert rows[0].startswith("region,month,agency,rank")
    assert len(rows) == 1 + 2 * len(RateName)
    assert "110105,2026-11,110105-GA,1,1,1,good_review_rate,45,50,0.9,0.1,false" in rows


def test_the_default_month_is_the_newest_closed_one_and_others_must_exist() -> None:
    document = _region([], [])
    assert region_scorecards(document, None, min_count=10).month == "2026-10"
    with pytest.raises(InvalidInput):
        region_scorecards(document, "2025-01", min_count=10)


def test_the_chart_breaks_its_line_where_a_month_has_no_value() -> None:
    svg = str(
        line_chart(
            "Trend <12 months>",
            "desc",
            ["25-10", "25-11", "25-12", "26-01"],
            [Series("a", [0.5, None, 0.7, 0.8]), Series("b", [None, None, None, None])],
        )
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "Trend &lt;12 months&gt;" in svg
    assert len(re.findall("<polyline", svg)) == 2  # [0.5] and [0.7, 0.8]; nothing for b
    assert len(re.findall("<circle", svg)) == 3
    assert 'role="img"' in svg


def test_the_chart_has_at_most_three_series() -> None:
    with pytest.raises(ValueError, match="at most 3"):
        line_chart("t", "d", ["a"], [Series(str(n), [0.1]) for n in range(4)])
