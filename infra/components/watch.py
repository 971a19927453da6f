"""The integrity watcher and the supervisors' alerts (docs/integrity.md §3 and §4).

evaluations stream (new evaluations and service records) and cases stream (overdue escalations) →
integrity watcher → interference flags (reference table) and one notice per cause and period → the
supervisor alert topic, which each division's supervisors subscribe to with a filter on `region_code`.

The watcher is the second and last Lambda consumer of each stream (the relay is the first): DynamoDB
Streams serve two consumers per shard without throttling, so the detection and the alerting share this
one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct
from govrate.integrity.store import WATCH_KEY_PREFIXES
from govrate.integrity.stream import ESCALATE_OVERDUE
from govrate.storage.items import AUDIT_PREFIX, EVALUATION_ENTITY, RECORD_ENTITY

from infra import environment
from infra.components.data import Data, grant_region_rules
from infra.components.functions import FunctionFactory, FunctionSpec
from infra.components.pipeline import LIST_STREAMS, inserted_records, stream_failures_queue
from infra.nag import accepted
from infra.stages import Retention


class Watch(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        settings: Mapping[str, str],
        retention: Retention,
    ) -> None:
        """`settings`: the thresholds of this region (context `govrate:integrity`), as environment variables."""
        super().__init__(scope, construct_id)
        key = kms.Key(
            self,
            "AlertKey",
            description="Encrypts the Govrate supervisor alert topic",
            enable_key_rotation=True,
            removal_policy=retention.removal_policy,
        )
        # One topic per regional stack; a division's supervisors subscribe with a filter policy on the
        # message attribute `region_code` (prefix `5132` for a city), see docs/integrity.md.
        self.topic = sns.Topic(
            self, "SupervisorAlerts", display_name="Govrate supervisor alerts", master_key=key, enforce_ssl=True
        )
        CfnOutput(
            self,
            "SupervisorAlertTopicArn",
            value=self.topic.topic_arn,
            description="The supervisors' integrity alerts: subscribe each division with a region_code filter",
        )
        self.failures = stream_failures_queue(self, "WatchFailures")
        self.watcher = factory.create(
            self,
            "Watcher",
            FunctionSpec(
                code="intake",
                handler="integrity_watch.handler",
                description="Flags interference patterns and alerts supervisors, from the table streams",
                environment={
                    environment.REFERENCE_TABLE: data.reference.table_name,
                    environment.CASES_TABLE: data.cases.table_name,
                    environment.SUPERVISOR_ALERT_TOPIC_ARN: self.topic.topic_arn,
                    **settings,
                },
                timeout_seconds=60,
                acknowledgments=[
                    LIST_STREAMS,
                    accepted(
                        "IAM5[Action::kms:GenerateDataKey*]",
                        "Publishing to the encrypted alert topic; the grant is on that topic's own key only.",
                    ),
                    accepted(
                        "IAM5[Action::kms:ReEncrypt*]",
                        "Publishing to the encrypted alert topic; the grant is on that topic's own key only.",
                    ),
                ],
            ),
        )
        self.topic.grant_publish(self.watcher)
        # Its own items only: series, flags, marks and alert claims; and the regions' rules (evaluation periods).
        self.watcher.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                ],
                resources=[data.reference.table_arn],
                conditions={
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{prefix}*" for prefix in WATCH_KEY_PREFIXES]}
                },
            )
        )
        grant_region_rules(data, self.watcher)
        # The region and agency of an escalated case.
        self.watcher.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[data.cases.table_arn])
        )
        self._watch(
            data.evaluations,
            {"NewImage": {"entity": {"S": [EVALUATION_ENTITY, RECORD_ENTITY]}}},
        )
        self._watch(
            data.cases,
            {
                "Keys": {"sk": {"S": lambda_.FilterRule.begins_with(AUDIT_PREFIX)}},
                "NewImage": {"action": {"S": [ESCALATE_OVERDUE]}},
            },
        )

    def _watch(self, table: dynamodb.Table, new_records: dict[str, Any]) -> None:
        self.watcher.add_event_source(inserted_records(table, new_records, self.failures))
