"""The overdue sweep: escalates every case past its pending deadline. Lambda handler:
`case_sweep.handler`, run by an EventBridge schedule (every 15 minutes)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.cases.service import escalate_overdue
from govrate.kernel.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="id")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = escalate_overdue(stores=runtime.case_stores(), now=runtime.now())
    metrics.add_metric(name="CasesEscalated", unit="Count", value=len(report.escalated))
    logger.info("overdue sweep", extra=report.model_dump())
    return report.model_dump()
