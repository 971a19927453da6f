"""Integrity watcher: the evaluations and cases streams → interference flags and supervisor alerts.
Lambda handler: `integrity_watch.handler`.

Every step is idempotent (series members, flags and marks are keyed; an alert is claimed once), so a
record that fails is reported as a batch item failure and delivered again without doubling anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from govrate import runtime
from govrate.integrity.stream import observed
from govrate.integrity.watch import ObservedEscalation, ObservedEvaluation, ObservedRecord
from govrate.kernel import observability
from govrate.kernel.observability import logger

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def watch_record(record: DynamoDBRecord) -> None:
    logger.set_correlation_id(record.event_id)
    change = record.raw_event.get("dynamodb", {})
    created = change.get("ApproximateCreationDateTime")
    seen = observed(
        str(record.event_name.name if record.event_name else ""),
        change.get("NewImage"),
        datetime.fromtimestamp(float(created), UTC) if created is not None else None,
    )
    watcher = runtime.integrity_watcher()
    if isinstance(seen, ObservedEvaluation):
        flags = watcher.evaluation(seen)
    elif isinstance(seen, ObservedRecord):
        flag = watcher.record(seen)
        flags = [flag] if flag else []
    elif isinstance(seen, ObservedEscalation):
        watcher.escalation(seen)
        flags = []
    else:
        return
    for flag in flags:
        logger.info("interference flag", extra={"flag_id": flag.flag_id, "pattern": flag.pattern})


@observability.handler()
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=watch_record, processor=processor, context=context)
