"""The public disclosure pages (公开): every region's, agency's and service item's published results,
and the monthly scorecards of a region's agencies. Routes of the intake function, beside the results
API they mirror; each page reads one stored document and works without script (charts are SVG).
"""

from __future__ import annotations

import hashlib

from chalice.app import Response
from govrate import runtime
from govrate.analytics.disclosure import MONTH_DESCRIPTION, Month
from govrate.analytics.scopes import ScopeKind, scope_code
from govrate.analytics.service import disclosure_of, results_index, scorecards_of
from govrate.rating.models import PageQuery
from govrate.web.chalice_edge import ApiBlueprint, parse_query
from govrate.web.operations import Media, Operation
from govrate.web.page_edge import html, html_page, page_context
from govrate.web.pages import DISCLOSURE_PATH, Page
from govrate.web.results_pages import disclosure_index_page, disclosure_page, results_refusal_page, scorecard_page
from pydantic import ConfigDict, Field
from results_api import CACHE_CONTROL

TAG = "disclosure"
HTML = "text/html"
_REFUSALS: dict[int, Media | None] = {
    304: None,
    404: Media(HTML, "A page saying there are no results for the code."),
    422: Media(HTML, "A page saying the code or month cannot be read."),
    503: Media(HTML, "A page asking to retry later."),
}

blueprint = ApiBlueprint(__name__)


class DisclosureQuery(PageQuery):
    """A disclosure page's query: the tracking tags a shared link picks up are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _cached(page: Page) -> Response:
    """The page, cacheable, with a validator: the same page answers 304 to its ETag (the pages carry
    no nonce, so equal bodies mean an unchanged page)."""
    etag = f'W/"{hashlib.sha256(page.body.encode()).hexdigest()[:32]}"'
    if etag in (blueprint.current_request.headers.get("if-none-match") or "").split(", "):
        return Response(body="", status_code=304, headers={"Cache-Control": CACHE_CONTROL, "ETag": etag})
    response = html(page)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["ETag"] = etag
    return response


def _operation(summary: str, description: str, query: type[PageQuery] | None = None) -> Operation:
    return Operation(
        summary=summary,
        tag=TAG,
        query=query or DisclosureQuery,
        responses={200: Media(HTML, description), **_REFUSALS},
        description="Chinese by default, `?lang=en` for English; small cells are suppressed as in the results API. "
        "Answers carry an ETag; send If-None-Match for a 304.",
    )


@blueprint.route(
    DISCLOSURE_PATH,
    methods=["GET"],
    doc=_operation("Published results: every region", "The regions with published results."),
)
@html_page(blueprint, results_refusal_page)
def get_disclosure_index() -> Response:
    request = blueprint.current_request
    parse_query(request, DisclosureQuery)
    index = results_index(runtime.analytics_bucket(), min_count=runtime.settings().results_min_count)
    return _cached(disclosure_index_page(index, page_context(request)))


def _scope_page(scope: ScopeKind, code: str) -> Response:
    request = blueprint.current_request
    parse_query(request, DisclosureQuery)
    view = disclosure_of(
        runtime.analytics_bucket(), scope, scope_code(scope, code), min_count=runtime.settings().results_min_count
    )
    return _cached(disclosure_page(view, page_context(request)))


_SCOPE_PAGE = (
    "The rates of the newest month and of 12 months with their counts, how many bad reviews were answered on "
    "time, the 12-month trend as an SVG chart with its table"
)


@blueprint.route(
    f"{DISCLOSURE_PATH}/regions/{{code}}",
    methods=["GET"],
    doc=_operation("Published results of a region", f"{_SCOPE_PAGE}, and the region's agencies."),
)
@html_page(blueprint, results_refusal_page)
def get_region_disclosure(code: str) -> Response:
    return _scope_page(ScopeKind.REGION, code)


@blueprint.route(
    f"{DISCLOSURE_PATH}/agencies/{{code}}",
    methods=["GET"],
    doc=_operation("Published results of an agency", f"{_SCOPE_PAGE}, and the agency's service items."),
)
@html_page(blueprint, results_refusal_page)
def get_agency_disclosure(code: str) -> Response:
    return _scope_page(ScopeKind.AGENCY, code)


@blueprint.route(
    f"{DISCLOSURE_PATH}/items/{{code}}",
    methods=["GET"],
    doc=_operation("Published results of a service item", f"{_SCOPE_PAGE}."),
)
@html_page(blueprint, results_refusal_page)
def get_item_disclosure(code: str) -> Response:
    return _scope_page(ScopeKind.ITEM, code)


class ScorecardPageQuery(DisclosureQuery):
    month: Month | None = Field(default=None, description=MONTH_DESCRIPTION)


@blueprint.route(
    f"{DISCLOSURE_PATH}/regions/{{code}}/scorecards",
    methods=["GET"],
    doc=_operation(
        "Monthly scorecards of a region's agencies (printable)",
        "Every agency's rates, counts, rank in the region and change against the month before; print CSS.",
        ScorecardPageQuery,
    ),
)
@html_page(blueprint, results_refusal_page)
def get_scorecards_page(code: str) -> Response:
    request = blueprint.current_request
    query = parse_query(request, ScorecardPageQuery)
    cards = scorecards_of(
        runtime.analytics_bucket(),
        scope_code(ScopeKind.REGION, code),
        query.month,
        min_count=runtime.settings().results_min_count,
    )
    return _cached(scorecard_page(cards, page_context(request)))
