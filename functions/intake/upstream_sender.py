"""Upstream sender: the upstream queue (FIFO) → the upstream's signed platform API. Lambda handler:
`upstream_sender.handler`.

A batch of queued messages is one signed POST (govrate.upstream.service.send_upstream). While the
upstream gives no answer, every message of the batch is reported failed: SQS keeps them, and the group
behind each waits, so a case's states still arrive in order when the upstream is back.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.kernel import observability
from govrate.kernel.errors import GovrateError
from govrate.kernel.observability import logger
from govrate.upstream.models import UpstreamMessage
from govrate.upstream.service import Delivery, send_upstream


@observability.handler()
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    deliveries = [
        Delivery(record.message_id, UpstreamMessage.model_validate_json(record.body))
        for record in SQSEvent(event).records
    ]
    try:
        report = send_upstream(
            deliveries, upstream=runtime.upstream_client(), dead_letters=runtime.upstream_dead_letters()
        )
    except GovrateError as failed:
        logger.warning("upstream not reached; the batch stays queued", extra={"reason": str(failed)})
        return {"batchItemFailures": [{"itemIdentifier": delivery.message_id} for delivery in deliveries]}
    for message_id, refused in report.dead_lettered.items():
        logger.error(
            "the upstream refused a relayed item; moved to the dead-letter queue",
            extra={"message_id": message_id, "item": refused.item, "problem": refused.problem.model_dump(mode="json")},
        )
    logger.info(
        "relayed upstream",
        extra={**report.counts(), "rejected_items": [refused.item for refused in report.dead_lettered.values()]},
    )
    return {"batchItemFailures": []}
