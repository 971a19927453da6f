"""`bench.publication`: rolling a year of rate cells up into the results documents, with and without
complementary suppression.

Synthetic cells for a province of ITEMS service items (10 regions, 20 agencies each, skewed sizes: a
fifth of the items see nothing in a month, many see a handful), 12 months of monthly cells and the two
newest months by day, as the analyze job hands them to `build_documents` after the SQL. Times the
roll-up with the minimum count of 1 (nothing to hide: the suppression step is skipped) and of 10
(primary and complementary suppression), in CPU seconds, and counts the cells hidden.
"""

from __future__ import annotations

import random
import resource
import time
from datetime import UTC, date, datetime, timedelta

from govrate.analytics.compute import Cell, MonthCells
from govrate.analytics.queries import RateName
from govrate.analytics.results import Documents, build_documents

ITEMS = (500, 2_000)
REGIONS = 10
SIZES = (0, 1, 2, 5, 20, 100)  # a month's evaluations of an item, drawn at random
DAILY_MONTHS = (11, 12)


def year_of_cells(items: int, seed: int = 7) -> list[MonthCells]:
    generator = random.Random(seed)
    agencies = items // (REGIONS * 10)
    codes = [
        (f"1101{region:02d}", f"1101{region:02d}-A{agency:02d}", f"1101{region:02d}-A{agency:02d}-{item:03d}")
        for region in range(1, REGIONS + 1)
        for agency in range(agencies)
        for item in range(10)
    ]
    months = []
    for month in range(1, 13):
        first = date(2025, month, 1)
        cells = []
        for region, agency, item in codes:
            size = generator.choice(SIZES)
            if month in DAILY_MONTHS:
                days = [(first + timedelta(days=day), generator.randint(0, size)) for day in range(28)]
            else:
                days = [(first, size * 15)]
            cells += [
                Cell(dt=day, region_code=region, agency_code=agency, item_code=item, numerator=n // 2, denominator=n)
                for day, n in days
                if n
            ]
        months.append(
            MonthCells(
                month=f"2025-{month:02d}",
                ranking_min_count=30,
                cells={rate: cells for rate in RateName},
                rankings={},
            )
        )
    return months


def _timed(months: list[MonthCells], min_count: int) -> tuple[float, Documents]:
    started = time.process_time()
    documents = build_documents(months, datetime(2026, 1, 1, tzinfo=UTC), min_count)
    return time.process_time() - started, documents


def _hidden(documents: Documents) -> int:
    return sum(
        value.suppressed
        for document in documents.scopes.values()
        for period in [*document.months, *document.days]
        for value in period.rates.values()
    )


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    print("publication: a year of cells rolled up into the results documents (CPU seconds)")
    for items in ITEMS:
        months = year_of_cells(items)
        cells = sum(len(cells) for month in months for cells in month.cells.values())
        plain, _ = _timed(months, 1)
        suppressed, documents = _timed(months, 10)
        figures[f"items_{items}_plain_s"] = plain
        figures[f"items_{items}_suppressed_s"] = suppressed
        print(
            f"  {items} items, {cells} cells, {len(documents.scopes)} documents: {plain:.1f} s without "
            f"suppression, {suppressed:.1f} s with it (+{(suppressed / plain - 1) * 100:.0f} %), "
            f"{_hidden(documents)} scope-period-rate values hidden"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["peak_rss_mb"] = peak
    print(f"  peak RSS {peak:.0f} MB")
    return figures


if __name__ == "__main__":
    run()
