"""Bad reviews to cases, and the case's news back to its evaluator.

evaluations stream → relay → negative-reviews queue → verify consumer (opens the case);
cases stream → relay → notice queue → the region's SMS / e-mail gateway (tells a real-name evaluator).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from govrate.storage.items import CASE_SK, EVALUATION_ENTITY, NOTICE_PREFIX, RELAYED_CASE_SK

from infra import environment
from infra.components.data import Data, grant_data, grant_region_rules
from infra.components.functions import FunctionFactory, FunctionSpec
from infra.nag import accepted

CONSUMER_TIMEOUT_SECONDS = 30
# AWS's rule for SQS event sources: a message stays invisible for at least six consumer timeouts, so
# that retries of a throttled or slow batch do not hand the same message to a second consumer.
VISIBILITY_TIMEOUT_FACTOR = 6
# Longer than a national holiday (7 days): a broken consumer must not lose bad reviews before staff return.
RETENTION = Duration.days(14)
STREAM_BATCH_SIZE = 100
# No retry limit: a batch the relay cannot publish (the queue is down) is retried until the fault
# clears. Only a record that has waited this long goes to the on-failure queue, hours before the
# stream (24 hours) would drop it; the IteratorAge alarm fires after minutes, and the reconciler
# sends any bad review still without a case.
STREAM_MAX_RECORD_AGE = Duration.hours(20)
RECONCILE_EVERY = events.Schedule.rate(Duration.minutes(15))


class Pipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        max_receive_count: int,
        relays_upstream: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.negative_reviews_dlq = encrypted_queue(self, "NegativeReviewsDlq")
        self.negative_reviews = encrypted_queue(
            self,
            "NegativeReviews",
            visibility_timeout=Duration.seconds(CONSUMER_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receive_count, queue=self.negative_reviews_dlq),
        )
        # Read by the region's SMS / e-mail gateway adapter; a notice names the case, never the contact.
        self.notices_dlq = encrypted_queue(self, "EvaluatorNoticesDlq")
        self.notices = encrypted_queue(
            self,
            "EvaluatorNotices",
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receive_count, queue=self.notices_dlq),
        )
        self.relay_failures = stream_failures_queue(self, "RelayFailures")

        self.relay = factory.create(
            self,
            "Relay",
            FunctionSpec(
                code="intake",
                handler="relay.handler",
                description="Relays new bad reviews and evaluator notices from the table streams to their queues",
                environment={
                    environment.NEGATIVE_REVIEWS_QUEUE_URL: self.negative_reviews.queue_url,
                    environment.NOTICE_QUEUE_URL: self.notices.queue_url,
                },
                timeout_seconds=60,
                acknowledgments=[LIST_STREAMS],
            ),
        )
        self.negative_reviews.grant_send_messages(self.relay)
        self.notices.grant_send_messages(self.relay)
        # Only new bad reviews and new notices wake the relay; every other write costs nothing. A stage
        # with an upstream relays every new evaluation and every change of a case as well (UpstreamRelay).
        if relays_upstream:
            self._relay_from(data.evaluations, [_inserted({"NewImage": {"entity": {"S": [EVALUATION_ENTITY]}}})])
            self._relay_from(
                data.cases,
                [
                    _inserted(NOTICES),
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.or_("INSERT", "MODIFY"),
                            "dynamodb": {"Keys": {"sk": {"S": [CASE_SK, RELAYED_CASE_SK]}}},
                        }
                    ),
                ],
            )
        else:
            self._relay_from(data.evaluations, [_inserted({"NewImage": {"bad_review": {"BOOL": [True]}}})])
            self._relay_from(data.cases, [_inserted(NOTICES)])

        self.consumer = factory.create(
            self,
            "CaseConsumer",
            FunctionSpec(
                code="verify",
                handler="case_consumer.handler",
                description="Opens a case for every negative-review message",
                environment={
                    environment.CASES_TABLE: data.cases.table_name,
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                    environment.REFERENCE_TABLE: data.reference.table_name,
                },
                timeout_seconds=CONSUMER_TIMEOUT_SECONDS,
            ),
        )
        grant_data(data.cases, self.consumer, write=True)
        # The deadlines of a new case are its region's rules.
        grant_region_rules(data, self.consumer)
        # Reads the evaluations its cases are opened for (whether given under a real name, at which
        # window): a batch's together, a review released from a burst on its own.
        self.consumer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:BatchGetItem", "dynamodb:GetItem"], resources=[data.evaluations.table_arn]
            )
        )
        self.consumer.add_event_source(
            sources.SqsEventSource(self.negative_reviews, batch_size=10, report_batch_item_failures=True)
        )

        self.reconciler = factory.create(
            self,
            "BadReviewReconciler",
            FunctionSpec(
                code="intake",
                handler="bad_review_reconciler.handler",
                description="Sends every bad review of the last two days that has no case to the queue again",
                environment={
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                    environment.CASES_TABLE: data.cases.table_name,
                    environment.NEGATIVE_REVIEWS_QUEUE_URL: self.negative_reviews.queue_url,
                },
                timeout_seconds=300,
            ),
        )
        grant_data(data.evaluations, self.reconciler)
        self.reconciler.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[data.cases.table_arn])
        )
        self.negative_reviews.grant_send_messages(self.reconciler)
        events.Rule(
            self,
            "Reconcile",
            description="Finds bad reviews without a case and sends them again",
            schedule=RECONCILE_EVERY,
            targets=[targets.LambdaFunction(self.reconciler, retry_attempts=2)],
        )

    def _relay_from(self, table: dynamodb.Table, filters: list[Mapping[str, Any]]) -> None:
        self.relay.add_event_source(stream_records(table, filters, self.relay_failures))

    @property
    def dead_letter_queues(self) -> list[sqs.Queue]:
        return [self.negative_reviews_dlq, self.notices_dlq, self.relay_failures]


# A function reading the tables' streams must find them first.
LIST_STREAMS = accepted(
    "IAM5[Resource::*]",
    "dynamodb:ListStreams (finding the tables' streams) supports no resource-level "
    "permissions; the stream's read actions are granted on the stream ARN only.",
)


NOTICES = {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with(NOTICE_PREFIX)}}}


def _inserted(new_records: dict[str, Any]) -> Mapping[str, Any]:
    return lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.is_equal("INSERT"), "dynamodb": new_records})


def inserted_records(
    table: dynamodb.Table, new_records: dict[str, Any], failures: sqs.IQueue
) -> sources.DynamoEventSource:
    """A stream consumer's source: the table's inserted records that match `new_records`."""
    return stream_records(table, [_inserted(new_records)], failures)


def stream_records(
    table: dynamodb.Table, filters: list[Mapping[str, Any]], failures: sqs.IQueue
) -> sources.DynamoEventSource:
    """A stream consumer's source: the table's records that match any of `filters`, in batches that are
    bisected on error and retried until their records grow too old for `failures`."""
    return sources.DynamoEventSource(
        table,
        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        batch_size=STREAM_BATCH_SIZE,
        bisect_batch_on_error=True,
        max_record_age=STREAM_MAX_RECORD_AGE,
        report_batch_item_failures=True,
        on_failure=sources.SqsDlq(failures),
        filters=filters,
    )


def stream_failures_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    """Where a stream's records go once its consumer gave up on them, so that they can be replayed."""
    queue = encrypted_queue(scope, construct_id)
    Validations.of(queue).acknowledge(
        accepted(
            "SQS3",
            "This queue is itself a dead-letter queue: the on-failure destination of the "
            "streams' event source mappings (Lambda, not an SQS redrive, puts records here).",
        )
    )
    return queue


def encrypted_queue(
    scope: Construct,
    construct_id: str,
    *,
    fifo: bool | None = None,
    visibility_timeout: Duration | None = None,
    dead_letter_queue: sqs.DeadLetterQueue | None = None,
) -> sqs.Queue:
    """A queue as Govrate keeps them: encrypted, TLS only, messages kept 14 days."""
    return sqs.Queue(
        scope,
        construct_id,
        fifo=fifo,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=RETENTION,
        visibility_timeout=visibility_timeout,
        dead_letter_queue=dead_letter_queue,
    )
