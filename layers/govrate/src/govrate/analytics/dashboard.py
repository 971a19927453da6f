"""The supervisor dashboard's reads: the exact results documents, scoped by the same authorization as
cases (supervisors see the divisions they hold, staff their own agency), and the open cases counted.

Unlike the public pages nothing is suppressed: the readers are authorized to see every case anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from govrate.analytics.results import (
    INDEX_KEY,
    INDEX_MISSING,
    ResultsIndex,
    ScopeName,
    ScopeResults,
    document_key,
    missing_scope,
)
from govrate.analytics.scopes import ScopeKind
from govrate.evaluations.models import CaseState
from govrate.identity.auth import authorize_for
from govrate.identity.model import Actor, Role
from govrate.kernel import divisions
from govrate.kernel.errors import Forbidden

if TYPE_CHECKING:
    from govrate.analytics.store import AnalyticsBucket
    from govrate.cases.store import CaseRepository

CASES_PER_READ = 100


class OpenCases(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    open: int
    overdue: int
    escalated: int


def authorize_region(actor: Actor, region_code: str) -> None:
    if actor.role is Role.SUPERVISOR and actor.region_code and divisions.holds(actor.region_code, region_code):
        return
    raise Forbidden(
        f"a region's results are for the supervisors of a division that holds it ({actor.region_code or 'none'})",
        [{"field": "code", "message": f"{region_code} is outside your division"}],
    )


def authorized_scope(bucket: AnalyticsBucket, actor: Actor, scope: ScopeKind, code: str) -> ScopeResults:
    """One scope's exact document, if the actor may see it."""
    document = ScopeResults.model_validate_json(
        bucket.get_document(document_key(scope, code), missing_scope(scope, code)).body
    )
    if scope is ScopeKind.REGION:
        authorize_region(actor, code)
    else:
        agency = document.code if scope is ScopeKind.AGENCY else document.agency_code
        authorize_for(actor, agency or "", document.region_code or "")
    return document


def division_regions(bucket: AnalyticsBucket, actor: Actor) -> tuple[list[str], dict[str, ScopeName]]:
    """The regions with results that a supervisor's division holds, and their names."""
    if actor.role is not Role.SUPERVISOR or not actor.region_code:
        raise Forbidden("the division's dashboard is for supervisors")
    index = ResultsIndex.model_validate_json(bucket.get_document(INDEX_KEY, INDEX_MISSING).body)
    supervised = actor.region_code
    regions = sorted(
        ref.code for ref in index.scopes if ref.scope is ScopeKind.REGION and divisions.holds(supervised, ref.code)
    )
    return regions, {code: index.names[code] for code in regions if code in index.names}


def open_cases(document: ScopeResults, cases: CaseRepository, now: datetime) -> OpenCases | None:
    """How many cases of the document's region or agency are open, overdue and escalated now (the
    caller has authorized the document's scope); None for an item, whose cases are not indexed."""
    if document.scope is ScopeKind.ITEM:
        return None
    read = cases.open_of_region if document.scope is ScopeKind.REGION else cases.open_of_agency
    total = overdue = escalated = 0
    cursor: str | None = None
    while True:
        page, cursor = read(document.code, CASES_PER_READ, cursor)
        total += len(page)
        overdue += sum(case.overdue(now) for case in page)
        escalated += sum(case.state is CaseState.ESCALATED for case in page)
        if cursor is None:
            return OpenCases(open=total, overdue=overdue, escalated=escalated)
