"""Seal job: each closed day's evaluations and case audit chains, MACed into the Object Lock bucket.

Lambda handler: `seal_job.handler`, run by an EventBridge schedule at 01:00 China time (the event's
`time` names the day after the last one sealed; the `seal_days` days up to it are sealed again while
their cases are handled), or by hand: `{"day": "YYYY-MM-DD"}` or `{"first_day": "…", "last_day": "…"}`.
A day whose newest seal already holds what the tables hold gets no new object. See docs/integrity.md.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.integrity.seals import days_to_seal, seal_day
from govrate.kernel import observability
from govrate.kernel.observability import logger, metrics


@observability.handler(correlation_id_path=correlation_paths.EVENT_BRIDGE, flush_metrics=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = runtime.settings()
    now = runtime.now()
    days = days_to_seal(event, now=now, utc_offset_hours=settings.utc_offset_hours, seal_days=settings.seal_days)
    outcomes = [
        seal_day(day, sources=runtime.seal_sources(), store=runtime.seal_bucket(), mac=runtime.seal_key(), now=now)
        for day in days
    ]
    sealed = [outcome.model_dump(mode="json") for outcome in outcomes if outcome.key is not None]
    logger.info("days sealed", extra={"days": len(days), "new_seals": sealed})
    metrics.add_metric(name="SealsWritten", unit=MetricUnit.Count, value=len(sealed))
    return {"days": len(days), "new_seals": sealed}
