"""The analysis run (export, rates, publication) and the public read of its results."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from govrate.analytics.compute import MonthCells, compute_month, months_between
from govrate.analytics.disclosure import Disclosure, RegionScorecards, disclosure, region_scorecards, scorecards_csv
from govrate.analytics.results import (
    INDEX_KEY,
    INDEX_MISSING,
    ResultsIndex,
    ScopeName,
    ScopeResults,
    build_documents,
    document_key,
    index_csv,
    missing_scope,
    newest_months,
    public_index,
    public_scope,
    scope_csv,
)
from govrate.analytics.scopes import ScopeKind
from govrate.kernel.errors import NotFound
from govrate.kernel.scale import DEFAULT_LEVEL_SCORES, Level

if TYPE_CHECKING:  # the public read of the results loads neither the export nor boto3
    from govrate.analytics.export import ExportWindow, FactSources
    from govrate.analytics.store import AnalyticsBucket


class AnalysisSummary(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    first_day: date
    last_day: date
    rows: dict[str, int]
    months: list[str]
    documents: int


def cells_key(month: date) -> str:
    return f"cells/{month:%Y-%m}.json"


def analyze(
    window: ExportWindow,
    *,
    sources: FactSources,
    bucket: AnalyticsBucket,
    now: datetime,
    today: date,
    ranking_min_count: int,
    results_min_count: int,
    names: Mapping[str, ScopeName] | None = None,
    scores: dict[Level, int] = DEFAULT_LEVEL_SCORES,
) -> AnalysisSummary:
    """Export the window's facts, recompute every month it touches, and publish the documents."""
    from govrate.analytics.export import export_window

    written = export_window(window, sources=sources, bucket=bucket, now=now, today=today, scores=scores)
    rows: dict[str, int] = {}
    for partition in written:
        rows[partition.table] = rows.get(partition.table, 0) + partition.rows
    months = months_between(window.first_day, window.last_day)
    for month in months:
        cells = compute_month(month, bucket=bucket, ranking_min_count=ranking_min_count)
        bucket.put_document(cells_key(month), cells.model_dump_json().encode())
    documents = publish(bucket, today=today, generated_at=now, min_count=results_min_count, names=names)
    return AnalysisSummary(
        first_day=window.first_day,
        last_day=window.last_day,
        rows=rows,
        months=[f"{month:%Y-%m}" for month in months],
        documents=documents,
    )


def publish(
    bucket: AnalyticsBucket,
    *,
    today: date,
    generated_at: datetime,
    min_count: int,
    names: Mapping[str, ScopeName] | None = None,
) -> int:
    """Roll the newest 12 months of cells up into the documents, deciding which cells the public may
    not see (`min_count`) and naming the codes (`names`, the catalogue's); return how many documents
    were written."""
    months: list[MonthCells] = []
    for month in newest_months(today - timedelta(days=1)):
        try:
            months.append(MonthCells.model_validate_json(bucket.get_document(cells_key(month)).body))
        except NotFound:
            continue
    documents = build_documents(months, generated_at, min_count, names)
    for key, document in documents.scopes.items():
        bucket.put_document(key, document.model_dump_json().encode())
    # The index last: a reader that finds a scope in it finds its document.
    bucket.put_document(INDEX_KEY, documents.index.model_dump_json().encode())
    return len(documents.scopes) + 1


class PublishedResults(BaseModel):
    """A public results answer: its JSON model or CSV text, and a validator for caches."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    json_body: ScopeResults | ResultsIndex | RegionScorecards
    csv_body: str
    etag: str


def published_scope(bucket: AnalyticsBucket, scope: ScopeKind, code: str, *, min_count: int) -> PublishedResults:
    stored = bucket.get_document(document_key(scope, code), missing_scope(scope, code))
    document = public_scope(ScopeResults.model_validate_json(stored.body), min_count)
    return PublishedResults(json_body=document, csv_body=scope_csv(document), etag=_etag(stored.etag, min_count))


def published_index(bucket: AnalyticsBucket, *, min_count: int) -> PublishedResults:
    stored = bucket.get_document(INDEX_KEY, INDEX_MISSING)
    index = public_index(ResultsIndex.model_validate_json(stored.body), min_count)
    return PublishedResults(json_body=index, csv_body=index_csv(index), etag=_etag(stored.etag, min_count))


def _etag(stored_etag: str, min_count: int) -> str:
    """The stored object's ETag with the suppression threshold: either changing changes the answer."""
    return f'"{stored_etag.strip(chr(34))}-{min_count}"'


def disclosure_of(bucket: AnalyticsBucket, scope: ScopeKind, code: str, *, min_count: int) -> Disclosure:
    """A public disclosure page's numbers: one stored document, suppressed."""
    stored = bucket.get_document(document_key(scope, code), missing_scope(scope, code))
    return disclosure(ScopeResults.model_validate_json(stored.body), min_count)


def scorecards_of(bucket: AnalyticsBucket, region_code: str, month: str | None, *, min_count: int) -> RegionScorecards:
    """The monthly scorecards of a region's agencies: one stored document, suppressed."""
    return published_scorecards(bucket, region_code, month, min_count=min_count)[0]


def published_scorecards(
    bucket: AnalyticsBucket, region_code: str, month: str | None, *, min_count: int
) -> tuple[RegionScorecards, PublishedResults]:
    """The scorecards, and the same as an answer of the results API (JSON, CSV, ETag)."""
    stored = bucket.get_document(
        document_key(ScopeKind.REGION, region_code), missing_scope(ScopeKind.REGION, region_code)
    )
    cards = region_scorecards(ScopeResults.model_validate_json(stored.body), month, min_count)
    etag = _etag(stored.etag, min_count)
    published = PublishedResults(json_body=cards, csv_body=scorecards_csv(cards), etag=f'{etag[:-1]}-{cards.month}"')
    return cards, published


def results_index(bucket: AnalyticsBucket, *, min_count: int) -> ResultsIndex:
    return public_index(ResultsIndex.model_validate_json(bucket.get_document(INDEX_KEY, INDEX_MISSING).body), min_count)
