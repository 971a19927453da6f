"""`make bench`: every benchmark, one after the other; the costs from the figures of this run."""

from __future__ import annotations

from bench import analytics, cold_start, costs, intake, local_batch, partitions, publication

partitions.run()
print()
cold_start.run()
print()
intake_figures = intake.run()
print()
analytics_figures = analytics.run()
print()
costs.run(intake_figures, analytics_figures)
print()
local_batch.run()
print()
publication.run()
