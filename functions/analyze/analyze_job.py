"""Analyze job: the facts of the trailing window to Parquet, every rate with the deployed SQL, the
results documents the public API reads.

Lambda handler: `analyze_job.handler`, run by an EventBridge schedule shortly after local midnight
(the event's `time` names the day after the last one exported), or by hand to backfill:
`{"day": "YYYY-MM-DD"}` or `{"first_day": "…", "last_day": "…"}`. Every run replaces what it
writes. See docs/analytics.md.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.analytics.export import window_to_export
from govrate.analytics.results import names_of
from govrate.analytics.service import analyze
from govrate.kernel import clock, observability
from govrate.kernel.observability import logger, metrics


@observability.handler(correlation_id_path=correlation_paths.EVENT_BRIDGE, flush_metrics=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = runtime.settings()
    now = runtime.now()
    window = window_to_export(
        event, now=now, utc_offset_hours=settings.utc_offset_hours, window_days=settings.analytics_window_days
    )
    summary = analyze(
        window,
        sources=runtime.fact_sources(),
        bucket=runtime.analytics_bucket(),
        now=now,
        today=clock.local_day(now, settings.utc_offset_hours),
        ranking_min_count=settings.ranking_min_count,
        results_min_count=settings.results_min_count,
        names=names_of(runtime.catalogue_repository().current_items()),
    ).model_dump(mode="json")
    logger.info("analysis published", extra=summary)
    metrics.add_metric(name="EvaluationsExported", unit=MetricUnit.Count, value=summary["rows"].get("evaluations", 0))
    metrics.add_metric(name="ResultDocumentsPublished", unit=MetricUnit.Count, value=summary["documents"])
    return summary
