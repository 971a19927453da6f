"""The supervisor dashboard's routes in the staff console (routes of the case function). The pages
(`dashboard_pages`) load the results documents' models and rules, so a route imports them on its first
request: the case function's other routes start without them.
"""

from __future__ import annotations

from chalice.app import Response
from govrate.analytics.scopes import CSV_MEDIA_TYPE, ResultsQuery, ScopeKind
from govrate.web import console
from govrate.web.chalice_edge import ApiBlueprint
from govrate.web.console import DASHBOARD_PATH
from govrate.web.operations import Media, Operation

blueprint = ApiBlueprint(__name__)


@console.console_route(
    blueprint,
    DASHBOARD_PATH,
    "GET",
    Operation(
        summary="Console: the dashboard of the supervisor's division",
        tag="console",
        responses={200: console.PAGE, 303: console.TO_PAGE, 403: console.PAGE},
        description=console.SESSION + " Supervisors see the regions their division holds; staff go to their agency.",
    ),
)
def console_dashboard() -> Response:
    import dashboard_pages

    return dashboard_pages.overview(blueprint.current_request)


def _scope_view(scope: ScopeKind, code: str) -> Response:
    import dashboard_pages

    return dashboard_pages.scope_view(blueprint.current_request, scope, code)


def _scope_operation(scope: ScopeKind) -> Operation:
    return Operation(
        summary=f"Console: the dashboard of a{'n' if scope is not ScopeKind.REGION else ''} {scope.value}",
        tag="console",
        query=ResultsQuery,
        responses={200: console.PAGE, 303: console.TO_PAGE, 403: console.PAGE, 404: console.PAGE},
        alternatives=(Media(CSV_MEDIA_TYPE, "The exact rates as CSV (`?format=csv`)"),),
        description=console.SESSION + " Exact counts (nothing suppressed), for those who may see the scope's cases.",
    )


@console.console_route(blueprint, f"{DASHBOARD_PATH}/regions/{{code}}", "GET", _scope_operation(ScopeKind.REGION))
def console_region_dashboard(code: str) -> Response:
    return _scope_view(ScopeKind.REGION, code)


@console.console_route(blueprint, f"{DASHBOARD_PATH}/agencies/{{code}}", "GET", _scope_operation(ScopeKind.AGENCY))
def console_agency_dashboard(code: str) -> Response:
    return _scope_view(ScopeKind.AGENCY, code)


@console.console_route(blueprint, f"{DASHBOARD_PATH}/items/{{code}}", "GET", _scope_operation(ScopeKind.ITEM))
def console_item_dashboard(code: str) -> Response:
    return _scope_view(ScopeKind.ITEM, code)
