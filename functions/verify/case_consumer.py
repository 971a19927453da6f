"""Verify consumer: negative-review messages → cases. Lambda handler: `case_consumer.handler`.

Each message is handled on its own; a failure is reported as a partial batch failure so only that
message returns to the queue (and, after the queue's maxReceiveCount, to the dead-letter queue).
Opening is idempotent by the evaluation id: a redelivery, or a retry after a crash between writing
the case and deleting the message, finds the case open (or the review held in its burst) and is
acknowledged. What the batch's messages need is read (and their burst notes written) together
before each is taken (`BadReviewBatch`): a failure there fails the whole batch, which comes back.
Bad reviews of one window coming faster than the burst threshold are held in a burst
case for a supervisor instead of opening a case each (docs/integrity.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.cases.service import BadReviewBatch, Taken
from govrate.evaluations.models import NegativeReviewMessage
from govrate.kernel import observability
from govrate.kernel.observability import logger
from pydantic import ValidationError

_SAID = {
    Taken.OPENED: "case opened",
    Taken.HELD: "bad review held in a burst",
    Taken.ALREADY: "case already open or review already held",
}


@observability.handler()
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = [SQSRecord(raw) for raw in event["Records"]]
    batch = BadReviewBatch(_readable(records), stores=runtime.case_stores(), now=runtime.now())

    def open_case_for(record: SQSRecord) -> None:
        # Each message its own correlation id: a batch holds the bad reviews of many evaluators.
        logger.set_correlation_id(record.message_id)
        message = NegativeReviewMessage.model_validate_json(record.body)  # a poison message fails here, alone
        try:
            taken = batch.take(message)
        except Exception:
            # Powertools' batch processor keeps the failure to itself: say why this message returns.
            logger.warning("bad review not taken now; it returns to the queue", exc_info=True)
            raise
        logger.info(_SAID[taken], extra={"evaluation_id": message.evaluation_id})

    # A processor of its own: it keeps the batch's results, and invocations may share the process (the
    # local stack runs several at once).
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=open_case_for, processor=processor, context=context)


def _readable(records: list[SQSRecord]) -> list[NegativeReviewMessage]:
    """The messages that parse; the others are left to fail on their own."""
    readable = []
    for record in records:
        try:
            readable.append(NegativeReviewMessage.model_validate_json(record.body))
        except ValidationError:
            continue
    return readable
