"""Relay: the evaluations table's stream → the negative-review queue. Lambda handler: `relay.handler`.

A record whose publish fails is reported as a batch item failure, so Lambda retries the stream from
it: an accepted bad review cannot be left without its message.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.observability import logger
from govrate.services.cases import relay_negative_review

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def relay_record(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    raw_image = record.raw_event["dynamodb"].get("NewImage") if change else None
    if relay_negative_review(
        str(record.event_name.name if record.event_name else ""), raw_image, runtime.negative_review_queue()
    ):
        logger.info("bad review relayed", extra={"sequence_number": change.sequence_number if change else None})


@logger.inject_lambda_context(correlation_id_path="Records[0].eventID")
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=relay_record, processor=processor, context=context)
