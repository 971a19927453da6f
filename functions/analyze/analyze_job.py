"""Analyze job: a closed day of evaluations → one Parquet file in the analytics bucket.

Lambda handler: `analyze_job.handler`, run by an EventBridge schedule shortly after local midnight
(the event's `time` names the day after the one exported), or by hand with `{"day": "YYYY-MM-DD"}`
to backfill or redo a day; either run replaces the day's file.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.analytics.service import day_to_export, export_day
from govrate.kernel.observability import logger, metrics
from govrate.settings import get_settings


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    day = day_to_export(event, now=runtime.now(), utc_offset_hours=settings.utc_offset_hours)
    exported = export_day(day, evaluations=runtime.evaluation_repository(), store=runtime.analytics_store())
    summary = exported.model_dump(mode="json")
    logger.info("evaluations exported", extra=summary)
    metrics.add_metric(name="EvaluationsExported", unit=MetricUnit.Count, value=exported.rows)
    return summary
