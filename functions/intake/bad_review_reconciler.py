"""Every bad review gets its case, whatever happened on the way. Lambda handler:
`bad_review_reconciler.handler`.

Runs on an EventBridge schedule over today and yesterday (local days; the stream keeps records 24
hours, so anything older went through or was repaired by an earlier run). A manual run may pass
`{"days": N}` to look N days back. The metric `BadReviewsWithoutCase` (alarmed above 0) counts the
bad reviews it had to send again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.evaluations.reconcile import reconcile_bad_reviews
from govrate.kernel import clock, observability
from govrate.kernel.observability import logger, metrics

DEFAULT_DAYS = 2
# A bad review younger than this is still the relay's: it normally becomes a case within seconds.
SETTLING = timedelta(minutes=10)


@observability.handler(correlation_id_path=correlation_paths.EVENT_BRIDGE, flush_metrics=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = runtime.now()
    today = clock.local_day(now, runtime.settings().utc_offset_hours)
    days = [today - timedelta(days=back) for back in range(int(event.get("days", DEFAULT_DAYS)))]
    report = reconcile_bad_reviews(
        days,
        evaluations=runtime.evaluation_repository(),
        cases=runtime.case_repository(),
        queue=runtime.negative_review_queue(),
        settled_before=now - SETTLING,
    )
    if report.resent:
        logger.error("bad reviews without a case, sent again", extra={"evaluation_ids": report.resent})
    metrics.add_metric(name="BadReviewsWithoutCase", unit="Count", value=len(report.resent))
    return report.model_dump()
