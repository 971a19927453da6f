"""Relay: the tables' streams → the queues. Lambda handler: `relay.handler`.

New bad reviews (evaluations stream) go to the negative-review queue; notices for evaluators (cases
stream) to the notice queue of the region's SMS / e-mail gateway. A record whose publish fails is
reported as a batch item failure, so Lambda retries the stream from it: nothing written is left unsent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.evaluations.outbox import OutboxQueues, relay_stream_record
from govrate.kernel import observability
from govrate.kernel.observability import logger

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def relay_record(record: DynamoDBRecord) -> None:
    # Each record its own correlation id: a batch holds the changes of many requests.
    logger.set_correlation_id(record.event_id)
    change = record.dynamodb
    raw_image = record.raw_event["dynamodb"].get("NewImage") if change else None
    queues = OutboxQueues(negative_reviews=runtime.negative_review_queue(), notices=runtime.notice_queue())
    relayed = relay_stream_record(str(record.event_name.name if record.event_name else ""), raw_image, queues)
    if relayed is not None:
        logger.info(
            "relayed",
            extra={
                "relayed": type(relayed).__name__,
                "evaluation_id": relayed.evaluation_id,
                "sequence_number": change.sequence_number if change else None,
            },
        )


@observability.handler()
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=relay_record, processor=processor, context=context)
