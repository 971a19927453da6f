"""Unrated service records: the daily sweep that invites applicants and gives default ratings, and the
queue that hands invitations to the region's SMS / e-mail gateway."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import environment
from infra.components.data import Data, grant_data
from infra.components.functions import FunctionFactory, FunctionSpec

# 10:00 China time: invitations arrive in the morning, not at night.
DAILY_AT = events.Schedule.cron(minute="0", hour="2")


class Records(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory, public_base_url: str
    ) -> None:
        super().__init__(scope, construct_id)
        # Read by the gateway adapter; an invitation names the record, never the applicant's contact.
        self.invitation_dlq = sqs.Queue(
            self,
            "InvitationsDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.invitations = sqs.Queue(
            self,
            "Invitations",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=self.invitation_dlq),
        )
        self.sweep = factory.create(
            self,
            "Sweep",
            FunctionSpec(
                code="intake",
                handler="record_sweep.handler",
                description="Invites applicants of unrated records and gives regions' default ratings",
                environment={
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                    environment.REFERENCE_TABLE: data.reference.table_name,
                    environment.QR_SIGNING_SECRET_ARN: data.qr_signing_key.secret_arn,
                    environment.INVITATION_QUEUE_URL: self.invitations.queue_url,
                    environment.PUBLIC_BASE_URL: public_base_url,
                },
                timeout_seconds=900,
                memory_size=512,
            ),
        )
        # Reads records and guards, writes invitation claims and system-given ratings.
        grant_data(data.evaluations, self.sweep, write=True)
        grant_data(data.reference, self.sweep)
        data.qr_signing_key.grant_read(self.sweep)
        self.invitations.grant_send_messages(self.sweep)
        events.Rule(
            self,
            "Daily",
            description="Sweeps unrated service records every morning (China time)",
            schedule=DAILY_AT,
            targets=[targets.LambdaFunction(self.sweep, retry_attempts=2)],
        )
