"""The pages of the published results (公开) and the agencies' scorecards, apart from the rating
pages so that the functions serving those do not load the analytics models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from govrate.analytics.charts import Series, legend_styles, line_chart
from govrate.analytics.disclosure import TREND_RATES, Disclosure, RegionScorecards
from govrate.analytics.queries import RateName
from govrate.analytics.results import SCORE_RATES, ResultsIndex, ScopeName
from govrate.analytics.scopes import SCOPE_PATHS, ScopeKind
from govrate.kernel.clock import zone
from govrate.rating.models import Lang
from govrate.web import i18n
from govrate.web.pages import DISCLOSURE_PATH, Page, PageContext, PagePolicy, asset, common_context, render
from govrate.web.problems import Problem

RESULTS_REFUSALS: Final = ("not-found", "validation-error", "unavailable")


def _percent(value: float | None, rate: RateName) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if rate in SCORE_RATES else f"{value * 100:.1f}%"


def _change(value: float | None, rate: RateName) -> str:
    if value is None:
        return "—"
    amount = value if rate in SCORE_RATES else value * 100
    unit = "" if rate in SCORE_RATES else " pt"
    return f"{amount:+.1f}{unit}"


def named_scope(names: Mapping[str, ScopeName], code: str, lang: Lang) -> str:
    """A region, agency or item by its catalogue name (English where there is one) and its code."""
    name = names.get(code)
    if name is None:
        return code
    shown = name.en if lang is Lang.EN and name.en else name.zh
    return f"{shown} ({code})" if lang is Lang.EN else f"{shown}（{code}）"


def _results_common(ctx: PageContext, names: Mapping[str, ScopeName]) -> dict[str, Any]:
    return {
        **common_context(ctx),
        "named": lambda code: named_scope(names, code, ctx.lang),
        "rate_label": lambda rate: i18n.pick(i18n.RATES[rate], ctx.lang),
        "percent": _percent,
        "change": _change,
        "rates": list(RateName),
        "lang_query": "?lang=en" if ctx.lang is Lang.EN else "",
        "plural": SCOPE_PATHS,
        "local_time": lambda moment: moment.astimezone(zone(ctx.utc_offset_hours)).strftime("%Y-%m-%d %H:%M"),
    }


def _results_policy() -> PagePolicy:
    return PagePolicy(styles=(asset("pages.css"), asset("results.css")))


def disclosure_page(view: Disclosure, ctx: PageContext) -> Page:
    """A region's, agency's or service item's published results, with the 12-month trend as SVG."""
    labels = [period.period[2:] for period in view.trend]
    series = [
        Series(i18n.pick(i18n.RATES[rate], ctx.lang), [period.rates[rate].value for period in view.trend])
        for rate in TREND_RATES
    ]
    chart = line_chart(
        i18n.text("disclosure.trend", ctx.lang), i18n.text("disclosure.trend_desc", ctx.lang), labels, series
    )
    context = {
        **_results_common(ctx, view.names),
        "view": view,
        "chart": chart,
        "legend": list(zip(TREND_RATES, legend_styles(len(TREND_RATES)), strict=True)),
        "trend_rates": TREND_RATES,
    }
    return render("disclosure.html", _results_policy(), context)


def disclosure_index_page(index: ResultsIndex, ctx: PageContext) -> Page:
    """Where the published results start: every region with results."""
    regions = sorted(ref.code for ref in index.scopes if ref.scope is ScopeKind.REGION)
    with_data = [period for period in index.totals if any(value.denominator for value in period.rates.values())]
    month = with_data[-1] if with_data else None
    context = {**_results_common(ctx, index.names), "index": index, "regions": regions, "month": month}
    return render("disclosure_index.html", _results_policy(), context)


def scorecard_page(scorecards: RegionScorecards, ctx: PageContext) -> Page:
    """The printable monthly scorecards of a region's agencies (绩效考核)."""
    context = {**_results_common(ctx, scorecards.names), "cards": scorecards}
    return render("scorecard.html", _results_policy(), context)


def results_refusal_page(problem: Problem, ctx: PageContext) -> Page:
    """Why a disclosure page cannot be shown, in the words of the results (no results yet for the code
    or month, a code or month that cannot be read, an outage), with a way back to the index."""
    known = problem.kind if problem.kind in RESULTS_REFUSALS else "other"
    context = {
        **common_context(ctx),
        "title": i18n.text(f"results_refusal.{known}.title", ctx.lang),
        "message": i18n.text(f"results_refusal.{known}.text", ctx.lang),
        "details": [error["message"] for error in problem.errors],
        "back_url": f"{ctx.base_url}{DISCLOSURE_PATH}" + ("?lang=en" if ctx.lang is Lang.EN else ""),
    }
    page = render("results_refusal.html", _results_policy(), context, problem.status)
    return Page(page.body, {**page.headers, **problem.headers}, problem.status)
