"""Relay: the tables' streams → the queues. Lambda handler: `relay.handler`.

New bad reviews (evaluations stream) go to the negative-review queue; notices for evaluators (cases
stream) to the notice queue of the region's SMS / e-mail gateway; on a stage with an upstream, every
new evaluation and every case change to the upstream queue as well (govrate.upstream.outbox). The
batch's messages are published 10 to an SQS call; a record whose message was not published is
reported as a batch item failure, so Lambda retries the stream from it: nothing written is left unsent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.evaluations.outbox import OutboxQueues, RelayOutcome, StreamChange, relay_stream_changes
from govrate.kernel import observability
from govrate.kernel.errors import GovrateError
from govrate.kernel.observability import logger
from govrate.upstream.outbox import relay_upstream

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def stream_change(record: DynamoDBRecord) -> StreamChange:
    change = record.dynamodb
    return StreamChange(
        sequence_number=str(change.sequence_number if change else ""),
        event_name=str(record.event_name.name if record.event_name else ""),
        new_image=record.raw_event["dynamodb"].get("NewImage") if change else None,
    )


def settle(outcome: RelayOutcome, upstream_failed: dict[str, GovrateError]) -> Callable[[DynamoDBRecord], None]:
    """The batch processor's record handler: each record fails with its publish error, or is logged."""

    def record_outcome(record: DynamoDBRecord) -> None:
        # Each record its own correlation id: a batch holds the changes of many requests.
        logger.set_correlation_id(record.event_id)
        sequence_number = stream_change(record).sequence_number
        failure = outcome.failed.get(sequence_number) or upstream_failed.get(sequence_number)
        if failure is not None:
            raise failure
        relayed = outcome.published.get(sequence_number)
        if relayed is not None:
            logger.info(
                "relayed",
                extra={
                    "relayed": type(relayed).__name__,
                    "evaluation_id": relayed.evaluation_id,
                    "sequence_number": sequence_number,
                },
            )

    return record_outcome


@observability.handler()
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    queues = OutboxQueues(negative_reviews=runtime.negative_review_queue(), notices=runtime.notice_queue())
    changes = [stream_change(record) for record in DynamoDBStreamEvent(event).records]
    outcome = relay_stream_changes(changes, queues)
    upstream = runtime.upstream_queue()
    upstream_failed = relay_upstream(changes, upstream)[1] if upstream is not None else {}
    return process_partial_response(
        event=event, record_handler=settle(outcome, upstream_failed), processor=processor, context=context
    )
