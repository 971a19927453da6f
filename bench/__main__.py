"""`make bench`: every benchmark, one after the other."""

from __future__ import annotations

from bench import analytics, cold_start, intake, partitions, publication

for benchmark in (partitions, cold_start, intake, analytics, publication):
    benchmark.run()
    print()
