"""The overdue sweep: escalates every case past its pending deadline. Lambda handler:
`case_sweep.handler`, run by an EventBridge schedule (every 15 minutes)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.cases.service import escalate_overdue
from govrate.kernel import observability
from govrate.kernel.observability import logger
from govrate.regions.calendar import WorkingCalendar

# The State Council's calendar as the `chinese-calendar` package knows it.
CALENDAR = WorkingCalendar()


@observability.handler(correlation_id_path=correlation_paths.EVENT_BRIDGE)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = runtime.now()
    report = escalate_overdue(stores=runtime.case_stores(), now=now)
    # The mainland calendar: what tells the "no evaluations" alarm that service halls are open.
    observability.gauge(observability.WORKING_TIME, 1 if CALENDAR.is_working_time(now) else 0)
    # From December on, next year's holidays should be known (docs/operations.md, "Next year's holidays").
    for year in (now.year, now.year + 1) if now.month == 12 else (now.year,):
        if not CALENDAR.covers(year):
            _warn_unknown_year(year)
    logger.info("overdue sweep", extra=report.model_dump())
    return report.model_dump()


@cache
def _warn_unknown_year(year: int) -> None:
    """Once per container and year: WorkingTime counts Monday to Friday as working days of that year."""
    logger.warning(
        "the State Council holidays of this year are unknown to the chinese-calendar package; working time "
        "is Monday to Friday until the package is upgraded",
        extra={"year": year},
    )
