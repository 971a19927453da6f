"""The operators' view: one dashboard of business events and technical signals, and alarms on what would
otherwise go unnoticed, all to one SNS topic. Every alarm names its runbook entry in docs/operations.md.

It is a nested stack: two alarms per function and one per queue would otherwise take a fifth of the main
stack's 500 resources, which the routes and the regions to come need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Aws, Duration, Names, NestedStack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IConstruct
from govrate.kernel.observability import NAMESPACE, SERVICE, WORKING_TIME, BusinessEvent

from infra.config import AlarmsContext
from infra.stages import Retention

# How far behind the evaluations stream the relay may fall before someone looks: a bad review should
# become a case within minutes, and the stream keeps records for 24 hours only.
MAX_ITERATOR_AGE = Duration.minutes(5)
# The oldest message for the upstream older than this: the upstream is down, refuses the key, or is slow.
MAX_UPSTREAM_LAG = Duration.minutes(5)
RUNBOOK = "docs/operations.md#"


@dataclass(frozen=True)
class Runbook:
    """An alarm's entry in docs/operations.md: its heading's anchor."""

    anchor: str

    def __str__(self) -> str:
        return RUNBOOK + self.anchor


DEAD_LETTERS = Runbook("alarm-dead-letters")
ITERATOR_AGE = Runbook("alarm-stream-iterator-age")
FUNCTION_ERRORS = Runbook("alarm-function-errors")
THROTTLES = Runbook("alarm-throttles")
SERVER_ERRORS = Runbook("alarm-5xx-rate")
LATENCY = Runbook("alarm-p99-latency")
CASES_OVERDUE = Runbook("alarm-cases-overdue")
NO_EVALUATIONS = Runbook("alarm-no-evaluations")
BAD_REVIEWS_WITHOUT_CASE = Runbook("alarm-bad-reviews-without-case")
UPSTREAM_BEHIND = Runbook("alarm-upstream-behind")
RUNBOOKS = (
    DEAD_LETTERS,
    ITERATOR_AGE,
    FUNCTION_ERRORS,
    THROTTLES,
    SERVER_ERRORS,
    LATENCY,
    CASES_OVERDUE,
    NO_EVALUATIONS,
    UPSTREAM_BEHIND,
)


def business_metric(name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
    """A metric of govrate.kernel.observability, in total (dimension `service` only)."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE},
        statistic=statistic,
        period=period,
    )


def breakdown(event: BusinessEvent, dimension: str, period: Duration) -> cloudwatch.MathExpression:
    """Every value of the event's breakdown (a channel, a rating) as its own line."""
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{{{NAMESPACE},{dimension},service}} MetricName=\"{event.value}\"', 'Sum', "
        f"{int(period.to_seconds())})",
        label=f"{event.value} by {dimension}",
        period=period,
    )


def alarm(
    scope: Construct,
    subject: IConstruct,
    what: str,
    metric: cloudwatch.IMetric,
    *,
    threshold: float,
    description: str,
    runbook: Runbook,
    action: cloudwatch.IAlarmAction,
    evaluation_periods: int = 1,
) -> cloudwatch.Alarm:
    """An alarm above `threshold` on `subject`, to `action` when it fires and when it clears."""
    created = cloudwatch.Alarm(
        scope,
        f"{Names.node_unique_id(subject.node)}{what}",
        metric=metric,
        threshold=threshold,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=evaluation_periods,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=f"{description} ({subject.node.path}) Runbook: {runbook}",
    )
    created.add_alarm_action(action)
    created.add_ok_action(action)
    return created


class Monitoring(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Sequence[lambda_.Function],
        dead_letter_queues: Sequence[sqs.IQueue],
        stream_consumers: Sequence[lambda_.IFunction],
        api: apigateway.RestApi,
        web_acl: wafv2.CfnWebACL,
        settings: AlarmsContext,
        retention: Retention,
        dashboard_name: str,
        upstream_queues: Sequence[sqs.IQueue] = (),
    ) -> None:
        super().__init__(scope, construct_id, description="Govrate's alarms and operators' dashboard")
        # A key of our own: CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key.
        key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the Govrate alarm topic",
            enable_key_rotation=True,
            removal_policy=retention.removal_policy,
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "Alarms", display_name="Govrate alarms", master_key=key, enforce_ssl=True)
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        five_minutes = Duration.minutes(5)

        for queue in dead_letter_queues:
            self._alarm(
                queue,
                "Depth",
                queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum"),
                threshold=0,
                description="Messages wait in a dead-letter queue: a bad review may be without its case.",
                runbook=DEAD_LETTERS,
            )
        for queue in upstream_queues:
            self._alarm(
                queue,
                "OldestMessageAge",
                queue.metric_approximate_age_of_oldest_message(period=Duration.minutes(1), statistic="Maximum"),
                threshold=MAX_UPSTREAM_LAG.to_seconds(),
                description=f"What this stage relays has waited more than {int(MAX_UPSTREAM_LAG.to_minutes())} "
                "minutes for the upstream: it is down, slow, or refuses the key. Nothing is lost while it waits.",
                runbook=UPSTREAM_BEHIND,
            )
        for function in stream_consumers:
            self._alarm(
                function,
                "IteratorAge",
                function.metric("IteratorAge", period=Duration.minutes(1), statistic="Maximum"),
                threshold=MAX_ITERATOR_AGE.to_milliseconds(),
                evaluation_periods=3,
                description="The relay falls behind the tables' streams.",
                runbook=ITERATOR_AGE,
            )
        for function in functions:
            self._alarm(
                function,
                "Errors",
                function.metric_errors(period=five_minutes, statistic="Sum"),
                threshold=0,
                description="A function invocation failed.",
                runbook=FUNCTION_ERRORS,
            )
            self._alarm(
                function,
                "Throttles",
                function.metric_throttles(period=five_minutes, statistic="Sum"),
                threshold=0,
                description="Lambda refused to run a function: the account's or the function's concurrency is used up.",
                runbook=THROTTLES,
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
            runbook=BAD_REVIEWS_WITHOUT_CASE,
        )
        self._alarm(
            api,
            "ServerErrorRate",
            api.metric_server_error(period=five_minutes, statistic="Average"),
            threshold=settings.server_error_rate,
            description=f"More than {settings.server_error_rate:.1%} of the API's answers were 5xx; bad input "
            "must never cause one.",
            runbook=SERVER_ERRORS,
        )
        self._alarm(
            api,
            "LatencyP99",
            api.metric_latency(period=five_minutes, statistic="p99"),
            threshold=settings.p99_latency_ms,
            evaluation_periods=3,
            description=f"The API's 99th percentile latency stayed above {settings.p99_latency_ms} ms for 15 minutes.",
            runbook=LATENCY,
        )
        hour = Duration.hours(1)
        self._alarm(
            self,
            "CasesOverdue",
            business_metric(BusinessEvent.CASE_OVERDUE.value, "Sum", hour),
            threshold=settings.overdue_cases,
            description=f"More than {settings.overdue_cases} bad-review cases passed a deadline within an hour "
            "and went to the supervisors.",
            runbook=CASES_OVERDUE,
        )
        quiet = Duration.hours(settings.quiet_hours)
        self._alarm(
            self,
            "NoEvaluations",
            cloudwatch.MathExpression(
                # WorkingTime's minimum is 1 only when every sweep of the window ran in office hours of a
                # working day; an absent metric counts as 0 (no evaluation, or no sweep).
                expression="IF(FILL(working, 0) == 1 AND FILL(accepted, 0) == 0, 1, 0)",
                using_metrics={
                    "working": business_metric(WORKING_TIME, "Minimum", quiet),
                    "accepted": business_metric(BusinessEvent.EVALUATION_ACCEPTED.value, "Sum", quiet),
                },
                label="working time without evaluations",
                period=quiet,
            ),
            threshold=0,
            description=f"No evaluation was accepted in {settings.quiet_hours} hours of working time: intake, "
            "the pages or the platforms' connection may be down.",
            runbook=NO_EVALUATIONS,
        )

        self.dashboard = self._dashboard(
            functions,
            dead_letter_queues,
            stream_consumers,
            api,
            web_acl,
            upstream_queues=upstream_queues,
            name=dashboard_name,
        )

    def _alarm(
        self,
        subject: IConstruct,
        what: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        runbook: Runbook,
        evaluation_periods: int = 1,
    ) -> None:
        self.alarms.append(
            alarm(
                self,
                subject,
                what,
                metric,
                threshold=threshold,
                description=description,
                runbook=runbook,
                action=self._action,
                evaluation_periods=evaluation_periods,
            )
        )

    def _dashboard(
        self,
        functions: Sequence[lambda_.Function],
        dead_letter_queues: Sequence[sqs.IQueue],
        stream_consumers: Sequence[lambda_.IFunction],
        api: apigateway.RestApi,
        web_acl: wafv2.CfnWebACL,
        *,
        upstream_queues: Sequence[sqs.IQueue],
        name: str,
    ) -> cloudwatch.Dashboard:
        hour = Duration.hours(1)
        five_minutes = Duration.minutes(5)
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name, default_interval=Duration.days(7))
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="# Govrate\nBusiness events per hour, then the technical signals. Alarms and what to do: "
                "docs/operations.md.",
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            _graph("Evaluations accepted, by channel", [breakdown(BusinessEvent.EVALUATION_ACCEPTED, "channel", hour)]),
            _graph("Bad reviews, by channel", [breakdown(BusinessEvent.BAD_REVIEW, "channel", hour)]),
            _graph(
                "Cases opened and overdue",
                [
                    business_metric(BusinessEvent.CASE_OPENED.value, "Sum", hour),
                    business_metric(BusinessEvent.CASE_OVERDUE.value, "Sum", hour),
                ],
            ),
            _graph("Handling rated, by rating", [breakdown(BusinessEvent.HANDLING_RATED, "rating", hour)]),
        )
        dashboard.add_widgets(
            _graph(
                "Integrity: bad reviews held in bursts, pressure reports",
                [
                    business_metric(BusinessEvent.BAD_REVIEW_HELD.value, "Sum", hour),
                    business_metric(BusinessEvent.PRESSURE_REPORTED.value, "Sum", hour),
                ],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "API requests and errors",
                [
                    api.metric_count(period=five_minutes, statistic="Sum"),
                    api.metric_client_error(period=five_minutes, statistic="Sum"),
                    api.metric_server_error(period=five_minutes, statistic="Sum"),
                ],
            ),
            _graph(
                "API latency (ms)",
                [
                    api.metric_latency(period=five_minutes, statistic="p50"),
                    api.metric_latency(period=five_minutes, statistic="p99"),
                ],
            ),
            _graph(
                "WAF: requests blocked",
                [
                    cloudwatch.Metric(
                        namespace="AWS/WAFV2",
                        metric_name="BlockedRequests",
                        dimensions_map={"WebACL": str(web_acl.name), "Region": Aws.REGION, "Rule": "ALL"},
                        statistic="Sum",
                        period=five_minutes,
                    )
                ],
            ),
            _graph(
                "Queues: dead letters; relay lag (ms) and upstream lag (s)",
                [
                    *(
                        queue.metric_approximate_number_of_messages_visible(period=five_minutes, statistic="Maximum")
                        for queue in dead_letter_queues
                    ),
                ],
                right=[
                    *(
                        function.metric("IteratorAge", period=five_minutes, statistic="Maximum")
                        for function in stream_consumers
                    ),
                    *(
                        queue.metric_approximate_age_of_oldest_message(period=five_minutes, statistic="Maximum")
                        for queue in upstream_queues
                    ),
                ],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Function errors",
                [
                    function.metric_errors(period=five_minutes, statistic="Sum", label=_name(function))
                    for function in functions
                ],
                width=8,
            ),
            _graph(
                "Function throttles",
                [
                    function.metric_throttles(period=five_minutes, statistic="Sum", label=_name(function))
                    for function in functions
                ],
                width=8,
            ),
            _graph(
                "Function duration p99 (ms)",
                [
                    function.metric_duration(period=five_minutes, statistic="p99", label=_name(function))
                    for function in functions
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
        return dashboard


def _graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    right: Sequence[cloudwatch.IMetric] = (),
    width: int = 6,
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(left), right=list(right), width=width, height=6)


def _name(function: lambda_.Function) -> str:
    """The function's construct path below the stack, e.g. `Pipeline/Relay`: shorter than its physical name."""
    return "/".join(function.node.path.split("/")[1:-1])
