"""Daily sweep of unrated service records (invitations, default ratings). Lambda handler: `record_sweep.handler`.

Runs on an EventBridge schedule; the local day of the event's `time` is "today". A manual run may
pass `{"day": "YYYY-MM-DD"}`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.kernel import clock, observability
from govrate.kernel.observability import logger, metrics
from govrate.records.service import SignedTicketLinks
from govrate.records.sweep import sweep_unrated_records


@observability.handler(correlation_id_path=correlation_paths.EVENT_BRIDGE, flush_metrics=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    offset = runtime.settings().utc_offset_hours
    now = runtime.now()
    if "day" in event:
        today = date.fromisoformat(event["day"])
    else:
        today = clock.local_day(datetime.fromisoformat(event["time"].replace("Z", "+00:00")), offset)
    report = sweep_unrated_records(
        today,
        stores=runtime.intake_stores(),
        sender=runtime.invitation_sender(),
        tickets=SignedTicketLinks(runtime.ticket_signer(), runtime.settings().public_base_url),
        now=now,
    )
    logger.info("unrated records swept", extra={"day": today.isoformat(), **report.model_dump()})
    metrics.add_metric(name="InvitationsSent", unit="Count", value=report.invited)
    metrics.add_metric(name="DefaultRatingsGiven", unit="Count", value=report.defaulted)
    return report.model_dump()
