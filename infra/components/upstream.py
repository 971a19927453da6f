"""The upstream relay (docs/relay.md): the facts of every evaluation and case change, to the Govrate of
the level above.

tables' streams → relay (Pipeline, the streams' one reader of the main stack) → upstream queue (FIFO,
grouped by case; DLQ) → sender → the upstream's signed platform API.

A nested stack, deployed only when the stage names an upstream: the main stack keeps its resources for
the routes and regions to come. Its alarms (the oldest queued message, the dead letters, the sender's
errors) are Monitoring's, like every other.
"""

from __future__ import annotations

from aws_cdk import Duration, NestedStack, SecretValue, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import environment
from infra.components.functions import FunctionFactory, FunctionSpec
from infra.components.pipeline import VISIBILITY_TIMEOUT_FACTOR, encrypted_queue
from infra.config import UpstreamContext
from infra.nag import accepted
from infra.stages import Retention

SENDER_TIMEOUT_SECONDS = 30
# A batch the upstream did not take is received again after this; 1,000 receives of it (SQS's most)
# make 83 hours of outage before a message goes to the dead-letter queue, and the backlog starts
# draining within five minutes of the upstream's return.
VISIBILITY_TIMEOUT = Duration.minutes(5)
MAX_RECEIVE_COUNT = 1000
# SendMessageBatch, and a FIFO queue's event source, take 10 at most.
SENDER_BATCH_SIZE = 10


class UpstreamRelay(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: UpstreamContext,
        factory: FunctionFactory,
        relay: lambda_.Function,
        retention: Retention,
    ) -> None:
        stack_name = Stack.of(scope).stack_name
        super().__init__(scope, construct_id, description="Govrate's relay to the Govrate of the level above")
        assert VISIBILITY_TIMEOUT.to_seconds() >= SENDER_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR
        self.dead_letters = encrypted_queue(self, "UpstreamDlq", fifo=True)
        Validations.of(self.dead_letters).acknowledge(
            accepted("SQS3", "This queue is itself the dead-letter queue of the upstream queue.")
        )
        self.queue = encrypted_queue(
            self,
            "Upstream",
            fifo=True,
            visibility_timeout=VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=self.dead_letters),
        )
        # What it holds outlives the stack in prod (the dead letters are the stack's, with the others).
        self.queue.apply_removal_policy(retention.removal_policy)
        self.secret = self._secret(settings, stack_name)

        relay.add_environment(environment.UPSTREAM_QUEUE_URL, self.queue.queue_url)
        self.queue.grant_send_messages(relay)

        self.sender = factory.create(
            self,
            "Sender",
            FunctionSpec(
                code="intake",
                handler="upstream_sender.handler",
                description="Posts the queued evaluations and case states to the upstream Govrate, signed",
                environment={
                    environment.UPSTREAM_DEAD_LETTER_QUEUE_URL: self.dead_letters.queue_url,
                    environment.UPSTREAM_URL: settings.url,
                    environment.UPSTREAM_KEY_ID: settings.key_id,
                    environment.UPSTREAM_SECRET_ARN: self.secret.secret_arn,
                },
                timeout_seconds=SENDER_TIMEOUT_SECONDS,
            ),
        )
        self.secret.grant_read(self.sender)
        self.dead_letters.grant_send_messages(self.sender)
        self.sender.add_event_source(
            sources.SqsEventSource(self.queue, batch_size=SENDER_BATCH_SIZE, report_batch_item_failures=True)
        )

    def _secret(self, settings: UpstreamContext, stack_name: str) -> secretsmanager.ISecret:
        """The key and API key the upstream handed over: an existing secret, or one to fill in."""
        if settings.secret_name is not None:
            return secretsmanager.Secret.from_secret_name_v2(self, "Credentials", settings.secret_name)
        secret = secretsmanager.Secret(
            self,
            "Credentials",
            secret_name=f"{stack_name}/upstream",
            description=f"The key ({settings.key_id}) and API key the upstream Govrate at {settings.url} gave this "
            'stage, as {"key": …, "api_key": …} (docs/relay.md)',
            # Empty until the operator puts what the upstream gave: the sender waits, the alarm fires.
            secret_object_value={
                "key": SecretValue.unsafe_plain_text(""),
                "api_key": SecretValue.unsafe_plain_text(""),
            },
        )
        Validations.of(secret).acknowledge(
            accepted(
                "SMG4",
                "The key is the upstream's: it is rotated by hand together with the upstream's operator "
                "(docs/relay.md); the sender keeps it 60 s only, so a new one is in use within a minute.",
            )
        )
        return secret
