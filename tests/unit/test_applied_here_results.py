"""Trans-regional evaluations in the results documents: counted in the handling region's rates and once
in the totals, shown apart in the applied-for region's document (suppressed like any small cell)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from govrate.analytics.compute import Cell, MonthCells
from govrate.analytics.queries import RateName
from govrate.analytics.results import build_documents, document_key, public_scope
from govrate.analytics.scopes import ScopeKind

GENERATED = datetime(2026, 12, 1, tzinfo=UTC)
DAY = date(2026, 11, 3)


def cell(region: str, agency: str, good: int, rated: int) -> Cell:
    return Cell(dt=DAY, region_code=region, agency_code=agency, item_code=None, numerator=good, denominator=rated)


def month() -> MonthCells:
    # Beijing handled 40 (of which 12 were applied for in Hangzhou); Chengdu's 30 are its own.
    rates = {rate: [cell("110105", "110105-GA", 30, 40), cell("510104", "510104-SJ", 25, 30)] for rate in RateName}
    return MonthCells(
        month="2026-11",
        ranking_min_count=10,
        cells=rates,
        applied_elsewhere=[cell("330106", "110105-GA", 9, 12), cell("510104", "110105-GA", 2, 3)],
        rankings={},
    )


def test_the_applied_for_region_sees_them_apart_and_the_totals_count_them_once() -> None:
    documents = build_documents([month()], GENERATED, min_count=5)

    total = documents.index.totals[0].rates[RateName.GOOD_REVIEW_RATE]
    assert (total.numerator, total.denominator) == (55, 70)  # 40 + 30: not 40 + 30 + 12 + 3
    hangzhou = documents.scopes[document_key(ScopeKind.REGION, "330106")]
    assert [(month.period, month.good_review_rate.denominator) for month in hangzhou.applied_here] == [("2026-11", 12)]
    assert hangzhou.months[0].rates[RateName.GOOD_REVIEW_RATE].denominator == 0  # none handled there
    beijing = documents.scopes[document_key(ScopeKind.REGION, "110105")]
    assert beijing.applied_here == []
    assert beijing.months[0].rates[RateName.GOOD_REVIEW_RATE].denominator == 40
    # The applied-for region lists no agency of another region as its own.
    assert hangzhou.children == []


def test_a_small_applied_here_figure_is_suppressed_in_public() -> None:
    documents = build_documents([month()], GENERATED, min_count=5)
    chengdu = public_scope(documents.scopes[document_key(ScopeKind.REGION, "510104")], 5)
    (figure,) = chengdu.applied_here
    assert figure.good_review_rate.suppressed
    assert figure.good_review_rate.denominator is None
    hangzhou = public_scope(documents.scopes[document_key(ScopeKind.REGION, "330106")], 5)
    assert hangzhou.applied_here[0].good_review_rate.value == 0.75
