"""The public results API: every rate of every region, agency and service item, read-only and cacheable.

Each answer is one stored document (govrate.analytics.results) with small cells suppressed, as JSON
or as CSV (`?format=csv`). Routes of the intake function.
"""

from __future__ import annotations

from chalice.app import Request, Response
from govrate import runtime
from govrate.analytics.disclosure import RegionScorecards, ScorecardQuery
from govrate.analytics.results import ResultsIndex, ScopeResults
from govrate.analytics.scopes import CSV_MEDIA_TYPE, ResultsFormat, ResultsQuery, ScopeKind, scope_code
from govrate.analytics.service import PublishedResults, published_index, published_scope, published_scorecards
from govrate.web.chalice_edge import ApiBlueprint, parse_query
from govrate.web.operations import Media, Operation

# Results change once a night; a page may be a few minutes behind a run.
CACHE_CONTROL = "public, max-age=600, stale-while-revalidate=3600"

blueprint = ApiBlueprint(__name__)

_ANSWERS = "The rates, each with its numerator and denominator; `?format=csv` for a CSV download."
_SUPPRESSION = (
    " A rate whose denominator is below the published minimum count (`min_count`) is suppressed: its "
    "numbers are null and `suppressed` is true. Answers carry an ETag; send If-None-Match for a 304."
)


def _operation(summary: str, model: type[ScopeResults] | type[ResultsIndex], description: str) -> Operation:
    return Operation(
        summary=summary,
        tag="results",
        query=ResultsQuery,
        responses={200: model, 304: None},
        description=description + _SUPPRESSION,
        alternatives=(Media(CSV_MEDIA_TYPE, "The same rates as a CSV table"),),
    )


def _answer(request: Request, published: PublishedResults, fmt: ResultsFormat, name: str) -> Response:
    etag = f'{published.etag[:-1]}-{fmt.value}"'
    headers: dict[str, str | list[str]] = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in (request.headers.get("if-none-match") or "").split(", "):
        return Response(body="", status_code=304, headers=headers)
    if fmt is ResultsFormat.CSV:
        disposition = f'attachment; filename="govrate-results-{name}.csv"'
        return Response(
            body=published.csv_body,
            headers={**headers, "Content-Type": CSV_MEDIA_TYPE, "Content-Disposition": disposition},
        )
    return Response(body=published.json_body.model_dump_json(), headers={**headers, "Content-Type": "application/json"})


def _scope(scope: ScopeKind, code: str) -> Response:
    request = blueprint.current_request
    query = parse_query(request, ResultsQuery)
    code = scope_code(scope, code)
    published = published_scope(runtime.analytics_bucket(), scope, code, min_count=runtime.settings().results_min_count)
    return _answer(request, published, query.format, f"{scope.value}-{code}")


@blueprint.route(
    "/v1/results",
    methods=["GET"],
    cors=True,
    doc=_operation(
        "Results: the index",
        ResultsIndex,
        "The months covered, what each rate is, every region, agency and item with results, the totals by "
        "month and the ten lowest agencies and items of each month.",
    ),
)
def get_results_index() -> Response:
    request = blueprint.current_request
    query = parse_query(request, ResultsQuery)
    published = published_index(runtime.analytics_bucket(), min_count=runtime.settings().results_min_count)
    return _answer(request, published, query.format, "index")


@blueprint.route(
    "/v1/results/regions/{code}",
    methods=["GET"],
    cors=True,
    doc=_operation(
        "Results of a region",
        ScopeResults,
        "The region's 12-month trend and its days, its agencies with their trends, and the agencies ranked "
        "within the region by month. " + _ANSWERS,
    ),
)
def get_region_results(code: str) -> Response:
    return _scope(ScopeKind.REGION, code)


@blueprint.route(
    "/v1/results/agencies/{code}",
    methods=["GET"],
    cors=True,
    doc=_operation(
        "Results of an agency",
        ScopeResults,
        "The agency's 12-month trend and its days, its service items with their trends, and the items "
        "ranked within the agency by month. " + _ANSWERS,
    ),
)
def get_agency_results(code: str) -> Response:
    return _scope(ScopeKind.AGENCY, code)


@blueprint.route(
    "/v1/results/items/{code}",
    methods=["GET"],
    cors=True,
    doc=_operation(
        "Results of a service item",
        ScopeResults,
        "The service item's 12-month trend and its days. " + _ANSWERS,
    ),
)
def get_item_results(code: str) -> Response:
    return _scope(ScopeKind.ITEM, code)


@blueprint.route(
    "/v1/results/regions/{code}/scorecards",
    methods=["GET"],
    cors=True,
    doc=Operation(
        summary="Monthly scorecards of a region's agencies (绩效考核)",
        tag="results",
        query=ScorecardQuery,
        responses={200: RegionScorecards, 304: None},
        description="For each agency of the region in the month: every rate with its counts, its change against "
        "the month before, its rank among the region's ranked agencies and the places gained. `?format=csv` for "
        "a CSV download." + _SUPPRESSION,
        alternatives=(Media(CSV_MEDIA_TYPE, "The same scorecards as a CSV table"),),
    ),
)
def get_region_scorecards(code: str) -> Response:
    request = blueprint.current_request
    query = parse_query(request, ScorecardQuery)
    code = scope_code(ScopeKind.REGION, code)
    cards, published = published_scorecards(
        runtime.analytics_bucket(), code, query.month, min_count=runtime.settings().results_min_count
    )
    return _answer(request, published, query.format, f"scorecards-{code}-{cards.month}")
