"""The supervisor dashboard's pages and answers: rates over time, bad reviews by reason code, deadline
compliance, open, overdue and escalated cases, and the ranking table with drill-down from region to
agency to service item, each page one results document, with its CSV export. Loaded by the dashboard's
routes (`dashboard_console`) on their first request, so that the case function's other routes do not
load the results documents at a cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from urllib.parse import quote

from chalice.app import Request, Response
from govrate import runtime
from govrate.analytics.charts import Series, line_chart
from govrate.analytics.dashboard import OpenCases, authorized_scope, division_regions, open_cases
from govrate.analytics.disclosure import TREND_RATES
from govrate.analytics.queries import RateName
from govrate.analytics.results import SCORE_RATES, RateValue, ReasonCounts, ScopeName, ScopeResults, scope_csv
from govrate.analytics.scopes import CSV_MEDIA_TYPE, SCOPE_PATHS, ResultsQuery, ScopeKind, scope_code
from govrate.evaluations.models import ReasonCode
from govrate.identity.model import Role
from govrate.identity.sessions import StaffSession
from govrate.rating.models import Lang
from govrate.web import console, i18n
from govrate.web.chalice_edge import parse_query
from govrate.web.console import DASHBOARD_PATH
from govrate.web.results_pages import named_scope

_NAMES = {ScopeKind.REGION: "地区 Region", ScopeKind.AGENCY: "部门 Agency", ScopeKind.ITEM: "事项 Item"}


def _link(base: str, scope: ScopeKind, code: str, names: Mapping[str, ScopeName]) -> str:
    href = f"{base}{DASHBOARD_PATH}/{SCOPE_PATHS[scope]}/{quote(code)}"
    return f'<a href="{escape(href)}">{escape(named_scope(names, code, Lang.ZH))}</a>'


def _label(rate: RateName) -> str:
    zh, en = i18n.RATES[rate]
    return f"{zh} {en}"


def _rate(rate: RateName, value: RateValue) -> str:
    if value.value is None:
        return "—"
    shown = f"{value.value:.1f}" if rate in SCORE_RATES else f"{value.value * 100:.1f}%"
    return f"{shown} <small>({value.numerator}/{value.denominator})</small>"


def _months_table(document: ScopeResults) -> str:
    head = "".join(f"<th>{escape(_label(rate))}</th>" for rate in RateName)
    rows = "".join(
        f"<tr><th>{escape(period.period)}</th>"
        + "".join(f"<td>{_rate(rate, period.rates[rate])}</td>" for rate in RateName)
        + "</tr>"
        for period in document.months
    )
    return f"<table><thead><tr><th>月份 Month</th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _reason_count(counts: ReasonCounts, code: ReasonCode) -> str:
    named = counts.reasons.get(code, 0)
    share = f" <small>({named / counts.bad_reviews * 100:.1f}%)</small>" if counts.bad_reviews else ""
    return f"{named}{share}"


def _reasons_table(document: ScopeResults) -> str:
    """The bad reviews of the newest month and the month before, by reason code."""
    months = document.bad_review_reasons[-2:]
    if not months:
        return ""
    head = "".join(f"<th>{escape(counts.period)}</th>" for counts in months)
    total = "".join(f"<td>{counts.bad_reviews}</td>" for counts in months)
    rows = "".join(
        f"<tr><th>{escape(' '.join(i18n.REASONS[code]))}</th>"
        + "".join(f"<td>{_reason_count(counts, code)}</td>" for counts in months)
        + "</tr>"
        for code in ReasonCode
    )
    return (
        "<h2>差评原因 Bad reviews by reason</h2>"
        "<p><small>一条差评可选多项原因；申诉成立的差评不计。 "
        "A bad review may name several reasons; upheld appeals are left out.</small></p>"
        f"<table><thead><tr><th>原因 Reason</th>{head}</tr></thead><tbody>"
        f"<tr><th>差评 Bad reviews</th>{total}</tr>{rows}</tbody></table>"
    )


def _ranking_table(document: ScopeResults, base: str) -> str:
    """The newest month's ranking of the scope's children, each linked one level down."""
    ranking = next((r for r in reversed(document.rankings) if r.entries), None)
    child_kind = ScopeKind.AGENCY if document.scope is ScopeKind.REGION else ScopeKind.ITEM
    if ranking is None:
        return "<p>本期无排名 Nothing ranked yet.</p>"
    rows = "".join(
        f"<tr><td>{entry.place}</td>"
        f"<td>{_link(base, child_kind, entry.item_code or entry.agency_code, document.names)}</td>"
        f"<td>{entry.good_review_rate * 100:.1f}% ({entry.good}/{entry.rated})</td>"
        f"<td>{entry.satisfaction_score:.1f}</td></tr>"
        for entry in ranking.entries
    )
    return (
        f"<h2>排名 Ranking {escape(ranking.month)}</h2>"
        f"<p><small>有效评价少于 {ranking.min_count} 条不排名 "
        f"Fewer than {ranking.min_count} rated: not ranked.</small></p>"
        "<table><thead><tr><th>名次 Place</th><th>名称 Name</th><th>好评率 Good-review rate</th>"
        f"<th>满意度 Score</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _children_table(document: ScopeResults, base: str) -> str:
    """Every agency of a region, or item of an agency, with its newest month, each linked one level
    down: ranked or not."""
    if not document.children or not document.months:
        return ""
    month = document.months[-1].period
    shown = (RateName.GOOD_REVIEW_RATE, RateName.BAD_REVIEW_REPLY_RATE, RateName.SATISFACTION_SCORE)
    head = "".join(f"<th>{escape(_label(rate))}</th>" for rate in shown)
    rows = "".join(
        f"<tr><td>{_link(base, child.scope, child.code, document.names)}</td>"
        + "".join(f"<td>{_rate(rate, newest.rates[rate])}</td>" for rate in shown)
        + "</tr>"
        for child in document.children
        for newest in child.months[-1:]
    )
    heading = "部门 Agencies" if document.scope is ScopeKind.REGION else "服务事项 Service items"
    return (
        f"<h2>{heading} {escape(month)}</h2>"
        f"<table><thead><tr><th>名称 Name</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _cases(counts: OpenCases) -> str:
    return (
        "<h2>案件 Cases now</h2><table><tbody>"
        f"<tr><th>未办结 Open</th><td>{counts.open}</td></tr>"
        f'<tr><th>已超期、待提级 Past a deadline, not yet escalated</th><td class="overdue">{counts.overdue}</td></tr>'
        f"<tr><th>已提级督办 Escalated to supervisors</th><td>{counts.escalated}</td></tr></tbody></table>"
        "<p><small>超期案件每 15 分钟由系统提级督办，因此通常计入“已提级”；再次不满意的案件也会提级。 "
        "The sweep escalates a case past its deadline within 15 minutes, so overdue cases are usually counted "
        "as escalated; a case rated dissatisfied too often is escalated as well.</small></p>"
    )


def dashboard_page(signed_in: StaffSession, document: ScopeResults, counts: OpenCases | None, base: str) -> str:
    up = []
    if document.region_code and signed_in.actor.role is Role.SUPERVISOR:  # staff see their agency only
        up.append(_link(base, ScopeKind.REGION, document.region_code, document.names))
    if document.agency_code:
        up.append(_link(base, ScopeKind.AGENCY, document.agency_code, document.names))
    chart = line_chart(
        "近12个月 The last 12 months",
        "好评率、差评按期回复率（期限执行）、未评率，按月；数值见下表。",
        [period.period[2:] for period in document.months],
        [Series(_label(rate), [period.rates[rate].value for period in document.months]) for rate in TREND_RATES],
    )
    legend = " · ".join(
        f"{escape(_label(rate))} ({style})" for rate, style in zip(TREND_RATES, ("—", "- -", "···"), strict=True)
    )
    csv_href = f"{base}{DASHBOARD_PATH}/{SCOPE_PATHS[document.scope]}/{quote(document.code)}?format=csv"
    body = (
        f'<p><a href="{escape(base + DASHBOARD_PATH)}">← 总览 Overview</a> {" › ".join(up)}</p>'
        + (_cases(counts) if counts else "")
        + f"<h2>趋势 Trend</h2>{chart}<p><small>{legend}</small></p>"
        + "<h2>按月 By month (差评按期回复率 = deadline compliance)</h2>"
        + _months_table(document)
        + _reasons_table(document)
        + (_ranking_table(document, base) if document.scope is not ScopeKind.ITEM else "")
        + _children_table(document, base)
        + f'<p><a href="{escape(csv_href)}">导出 CSV Export CSV</a></p>'
    )
    title = f"{_NAMES[document.scope]} {named_scope(document.names, document.code, Lang.ZH)} · 好差评分析 Dashboard"
    return console.page(title, body, base, signed_in)


def overview_page(signed_in: StaffSession, regions: list[str], names: Mapping[str, ScopeName], base: str) -> str:
    items = "".join(f"<li>{_link(base, ScopeKind.REGION, code, names)}</li>" for code in regions)
    body = f"<ul>{items}</ul>" if items else "<p>辖区内暂无结果 No results in your division yet.</p>"
    division = signed_in.actor.region_code or ""
    return console.page(f"辖区 Division {division} · 好差评分析 Dashboard", body, base, signed_in)


def overview(request: Request) -> Response:
    """The supervisor's division; staff go to their agency's page."""
    signed_in = console.session(request)
    actor = signed_in.actor
    if actor.role is Role.STAFF and actor.agency_code:
        return console.redirect(request, f"{DASHBOARD_PATH}/agencies/{quote(actor.agency_code)}")
    regions, names = division_regions(runtime.analytics_bucket(), actor)
    return console.html_response(overview_page(signed_in, regions, names, console.stage_base(request)))


def scope_view(request: Request, scope: ScopeKind, code: str) -> Response:
    """One scope's page, or its CSV (`?format=csv`)."""
    signed_in = console.session(request)
    actor = signed_in.actor
    query = parse_query(request, ResultsQuery)
    document = authorized_scope(runtime.analytics_bucket(), actor, scope, scope_code(scope, code))
    if query.format.value == "csv":
        disposition = f'attachment; filename="govrate-dashboard-{scope.value}-{document.code}.csv"'
        headers: dict[str, str | list[str]] = {
            "Content-Type": CSV_MEDIA_TYPE,
            "Content-Disposition": disposition,
            "Cache-Control": "no-store",
        }
        return Response(body=scope_csv(document), headers=headers)
    counts = open_cases(document, runtime.case_repository(), runtime.now())
    return console.html_response(dashboard_page(signed_in, document, counts, console.stage_base(request)))
