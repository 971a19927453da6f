"""Complementary suppression: no small cell can be worked out from the published ones by differencing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator
from datetime import UTC, date, datetime
from fractions import Fraction

from govrate.analytics.compute import Cell, MonthCells
from govrate.analytics.queries import RateName
from govrate.analytics.results import Documents, build_documents, document_key, public_index, public_scope
from govrate.analytics.scopes import ScopeKind
from govrate.analytics.suppression import Sum, hides_safely, withheld
from hypothesis import given, settings
from hypothesis import strategies as st

MIN = 10
GENERATED = datetime(2026, 12, 1, tzinfo=UTC)


def _hide(
    counts: dict[Hashable, int], sums: list[Sum], min_count: int, pinned: set[Hashable] | None = None
) -> set[Hashable]:
    """`withheld` over a list of sums, each looked at from the start."""
    return withheld(
        counts,
        lambda cell: [total for total in sums if cell == total.total or cell in total.parts],
        min_count,
        pinned=pinned or set(),
        also=sums,
    )


def test_one_hidden_part_takes_the_smallest_other_with_it() -> None:
    counts: dict[Hashable, int] = {"region": 113, "a": 3, "b": 50, "c": 60}
    assert _hide(counts, [Sum("region", ("a", "b", "c"))], MIN) == {"a", "b"}


def test_hidden_parts_are_grown_until_they_count_the_minimum_together() -> None:
    counts: dict[Hashable, int] = {"region": 117, "a": 3, "b": 4, "c": 50, "d": 60}
    assert _hide(counts, [Sum("region", ("a", "b", "c", "d"))], MIN) == {"a", "b", "c"}


def test_the_unpublished_remainder_counts_as_a_hidden_part() -> None:
    # An agency's evaluations of no item (20) hide a small item with them...
    counts: dict[Hashable, int] = {"agency": 63, "x": 3, "y": 40}
    assert _hide(counts, [Sum("agency", ("x", "y"), unpublished=20)], MIN) == {"x"}
    # ...and a small remainder is protected like a small part.
    counts = {"agency": 92, "x": 40, "y": 50}
    assert _hide(counts, [Sum("agency", ("x", "y"), unpublished=2)], MIN) == {"x"}


def test_ranked_parts_are_taken_last() -> None:
    counts: dict[Hashable, int] = {"region": 93, "a": 3, "b": 40, "c": 50}
    assert _hide(counts, [Sum("region", ("a", "b", "c"))], MIN, pinned={"b"}) == {"a", "c"}
    # Every other part ranked: the smallest of them, rather than the region's own rate.
    assert _hide(counts, [Sum("region", ("a", "b", "c"))], MIN, pinned={"b", "c"}) == {"a", "b"}


def test_a_hidden_total_is_protected_in_its_own_sum() -> None:
    counts: dict[Hashable, int] = {"all": 300, "r1": 3, "r2": 297, "a": 3}
    sums = [Sum("r1", ("a",)), Sum("all", ("r1", "r2"))]
    # r1 is small itself: everything minus r2 would give it away, so r2 is hidden with it.
    assert _hide(counts, sums, MIN) == {"a", "r1", "r2"}


def test_a_hidden_total_hides_one_of_its_parts() -> None:
    # r1 is hidden to protect the small r2; its agencies must not add up to it.
    counts: dict[Hashable, int] = {"all": 48, "r1": 43, "r2": 5, "a": 20, "b": 23}
    sums = [Sum("all", ("r1", "r2")), Sum("r1", ("a", "b"))]
    assert _hide(counts, sums, MIN) == {"r2", "r1", "a"}


def test_the_rule_for_a_sum() -> None:
    assert hides_safely([], 0, MIN)
    assert not hides_safely([30], 0, MIN)  # one hidden part: total minus the shown parts
    assert not hides_safely([3, 4], 0, MIN)  # together fewer than the minimum
    assert hides_safely([3, 40], 0, MIN)
    assert hides_safely([3], 20, MIN)
    assert not hides_safely([], 2, MIN)
    assert hides_safely([], 20, MIN)
    assert not hides_safely([], 0, MIN, total_hidden=True)
    assert hides_safely([20], 0, MIN, total_hidden=True)


# --- a whole publication, attacked -------------------------------------------------------------------

RATE = RateName.GOOD_REVIEW_RATE
AGENCIES = {"110105": ("110105-GA", "110105-SJ", "110105-RS"), "110106": ("110106-GA", "110106-SJ")}
DAYS = (date(2026, 10, 5), date(2026, 10, 19), date(2026, 11, 3), date(2026, 11, 17))


def _publication(counts: list[int]) -> Documents:
    """One rate's cells: every agency's items (and its evaluations of no item) on four days."""
    cells = []
    position = 0
    for region, agencies in AGENCIES.items():
        for agency in agencies:
            for item in (f"{agency}-001", f"{agency}-002", None):
                for day in DAYS:
                    denominator = counts[position % len(counts)]
                    position += 1
                    if denominator:
                        cells.append(
                            Cell(
                                dt=day,
                                region_code=region,
                                agency_code=agency,
                                item_code=item,
                                numerator=denominator // 2,
                                denominator=denominator,
                            )
                        )
    months = [
        MonthCells(
            month=month,
            ranking_min_count=30,
            cells={RATE: [cell for cell in cells if f"{cell.dt:%Y-%m}" == month]},
            rankings={},
        )
        for month in ("2026-10", "2026-11")
    ]
    return build_documents(months, GENERATED, MIN)


Member = tuple[str, str, str]  # (scope kind or "rest", code, period); "rest": an agency's evaluations of no item


def _published(documents: Documents) -> dict[Member, int | None]:
    """What the public sees of each cell's denominator; None: hidden."""
    seen: dict[Member, int | None] = {}
    for document in documents.scopes.values():
        public = public_scope(document, MIN)
        for period in [*public.months, *public.days]:
            seen[(public.scope.value, public.code, period.period)] = period.rates[RATE].denominator
        for child in public.children:
            for period in child.months:
                seen[(child.scope.value, child.code, period.period)] = period.rates[RATE].denominator
    for period in public_index(documents.index, MIN).totals:
        seen[("all", "", period.period)] = period.rates[RATE].denominator
    return seen


def _sums(documents: Documents) -> Iterator[tuple[Member, list[Member]]]:
    """Every sum an attacker knows to hold between the cells of the documents."""
    months = documents.index.months
    regions = [document for document in documents.scopes.values() if document.scope is ScopeKind.REGION]
    for month in months:
        yield ("all", "", month), [("region", region.code, month) for region in regions]
    for document in documents.scopes.values():
        periods = [period.period for period in [*document.months, *document.days]]
        for period in periods:
            if document.scope is ScopeKind.REGION:
                yield ("region", document.code, period), [("agency", c.code, period) for c in document.children]
            if document.scope is ScopeKind.AGENCY:
                parts = [("item", child.code, period) for child in document.children]
                yield ("agency", document.code, period), [*parts, ("rest", document.code, period)]
        for month in months:
            days = [period for period in periods if period.startswith(month + "-")]
            if days:
                yield (
                    (document.scope.value, document.code, month),
                    [(document.scope.value, document.code, d) for d in days],
                )


def _worked_out(documents: Documents) -> set[Member]:
    """The hidden cells whose count follows from the published ones by any linear combination of the
    sums: solve the sums for the hidden cells (exact row reduction) and keep those pinned to one value."""
    known = {cell: count for cell, count in _published(documents).items() if count is not None}
    rows: list[dict[Member, Fraction]] = []
    for total, parts in _sums(documents):
        row: dict[Member, Fraction] = defaultdict(Fraction)
        for member, sign in [(total, 1), *((part, -1) for part in parts)]:
            if member not in known:
                row[member] += sign
        if any(row.values()):
            rows.append({member: weight for member, weight in row.items() if weight})
    pivots: dict[Member, dict[Member, Fraction]] = {}
    for equation in rows:  # Gauss-Jordan: reduce each row by the pivots so far, then make it a pivot
        row = dict(equation)
        for member, pivot_row in pivots.items():
            if member in row:
                row = _minus(row, row[member], pivot_row)
        if not row:
            continue
        member = next(iter(row))
        row = {m: w / row[member] for m, w in row.items()}
        for other, pivot_row in pivots.items():
            if member in pivot_row:
                pivots[other] = _minus(pivot_row, pivot_row[member], row)
        pivots[member] = row
    return {member for member, row in pivots.items() if len(row) == 1}


def _minus(row: dict[Member, Fraction], factor: Fraction, other: dict[Member, Fraction]) -> dict[Member, Fraction]:
    merged = {m: row.get(m, Fraction(0)) - factor * other.get(m, Fraction(0)) for m in {*row, *other}}
    return {m: w for m, w in merged.items() if w}


def _exact(documents: Documents) -> dict[Member, int]:
    exact: dict[Member, int] = {}
    for document in documents.scopes.values():
        for period in [*document.months, *document.days]:
            exact[(document.scope.value, document.code, period.period)] = period.rates[RATE].denominator or 0
            if document.scope is ScopeKind.AGENCY:
                items = [documents.scopes[document_key(ScopeKind.ITEM, child.code)] for child in document.children]
                shown = sum(
                    p.rates[RATE].denominator or 0
                    for item in items
                    for p in [*item.months, *item.days]
                    if p.period == period.period
                )
                exact[("rest", document.code, period.period)] = (period.rates[RATE].denominator or 0) - shown
    return exact


def _cell(agency: str, item: str | None, count: int, day: date = DAYS[-1]) -> Cell:
    return Cell(
        dt=day, region_code=agency[:6], agency_code=agency, item_code=item, numerator=count // 2, denominator=count
    )


def _months(*cells: Cell) -> list[MonthCells]:
    names = sorted({f"{cell.dt:%Y-%m}" for cell in cells})
    return [
        MonthCells(
            month=name, ranking_min_count=30, cells={RATE: [c for c in cells if f"{c.dt:%Y-%m}" == name]}, rankings={}
        )
        for name in names
    ]


def test_a_small_agency_is_not_its_region_minus_the_other() -> None:
    documents = build_documents(
        _months(_cell("110105-GA", "110105-GA-001", 12), _cell("110105-SJ", "110105-SJ-001", 3)), GENERATED, MIN
    )
    region = public_scope(documents.scopes[document_key(ScopeKind.REGION, "110105")], MIN)
    assert region.months[-1].rates[RATE].denominator == 15
    assert [child.months[-1].rates[RATE].suppressed for child in region.children] == [True, True]
    # Nor the agency its item: the large agency's only item is hidden with it.
    assert (
        public_scope(documents.scopes[document_key(ScopeKind.ITEM, "110105-GA-001")], MIN)
        .months[-1]
        .rates[RATE]
        .suppressed
    )
    # The exact documents keep every count, for the dashboard.
    assert documents.scopes[document_key(ScopeKind.AGENCY, "110105-SJ")].months[-1].rates[RATE].denominator == 3


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from([0, 0, 1, 2, 3, 5, 8, 9, 10, 12, 20, 40]), min_size=7, max_size=23))
def test_no_small_cell_can_be_worked_out(counts: list[int]) -> None:
    documents = _publication(counts)
    exact = _exact(documents)
    for cell in _worked_out(documents):
        assert not 0 < exact.get(cell, 0) < MIN, f"{cell} ({exact[cell]}) follows from the published sums"
