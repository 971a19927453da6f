"""The overdue sweep: escalates every case past its pending deadline. Lambda handler:
`case_sweep.handler`, run by an EventBridge schedule (every 15 minutes)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.cases.service import escalate_overdue
from govrate.kernel import observability
from govrate.kernel.observability import logger
from govrate.regions.calendar import WorkingCalendar


@observability.handler(correlation_id_path=correlation_paths.EVENT_BRIDGE)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = runtime.now()
    report = escalate_overdue(stores=runtime.case_stores(), now=now)
    # The mainland calendar: what tells the "no evaluations" alarm that service halls are open.
    observability.gauge(observability.WORKING_TIME, 1 if WorkingCalendar().is_working_time(now) else 0)
    logger.info("overdue sweep", extra=report.model_dump())
    return report.model_dump()
