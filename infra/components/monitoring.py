"""Alarms on what would otherwise fail silently, all to one SNS topic."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Names
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

# How far behind the evaluations stream the relay may fall before someone looks: a bad review should
# become a case within minutes, and the stream keeps records for 24 hours only.
MAX_ITERATOR_AGE = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Sequence[lambda_.IFunction],
        dead_letter_queues: Sequence[sqs.IQueue],
        stream_consumers: Sequence[lambda_.IFunction],
        api: apigateway.RestApi,
    ) -> None:
        super().__init__(scope, construct_id)
        # A key of our own: CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key.
        key = kms.Key(self, "TopicKey", description="Encrypts the Govrate alarm topic", enable_key_rotation=True)
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "Alarms", display_name="Govrate alarms", master_key=key, enforce_ssl=True)
        self._action = actions.SnsAction(self.topic)

        for queue in dead_letter_queues:
            self._alarm(
                queue,
                "Depth",
                queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum"),
                threshold=0,
                description="Messages wait in a dead-letter queue: a bad review may be without its case.",
            )
        for function in stream_consumers:
            self._alarm(
                function,
                "IteratorAge",
                function.metric("IteratorAge", period=Duration.minutes(1), statistic="Maximum"),
                threshold=MAX_ITERATOR_AGE.to_milliseconds(),
                evaluation_periods=3,
                description="The relay falls behind the evaluations stream.",
            )
        for function in functions:
            self._alarm(
                function,
                "Errors",
                function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=0,
                description="A function invocation failed.",
            )
        # Reliability: the reconciler found a bad review the outbox had not turned into a case.
        self._alarm(
            self,
            "BadReviewsWithoutCase",
            cloudwatch.Metric(
                namespace="Govrate",
                metric_name="BadReviewsWithoutCase",
                dimensions_map={"service": "govrate"},
                period=Duration.minutes(15),
                statistic="Sum",
            ),
            threshold=0,
            description="The reconciler sent bad reviews that had no case: the relay or the queue lost them.",
        )
        self._alarm(
            api,
            "ServerErrors",
            api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
            threshold=0,
            description="The API answered 5xx; bad input must never do that.",
        )

    def _alarm(
        self,
        subject: IConstruct,
        what: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            f"{Names.node_unique_id(subject.node)}{what}",
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{description} ({subject.node.path})",
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
