"""The overdue sweep: every 15 minutes, escalates each case past its pending deadline to the supervisors."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import environment
from infra.components.data import Data
from infra.components.functions import FunctionFactory, FunctionSpec

SWEEP_EVERY = Duration.minutes(15)


class Escalation(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory) -> None:
        super().__init__(scope, construct_id)
        self.sweep = factory.create(
            self,
            "Sweep",
            FunctionSpec(
                code="verify",
                handler="case_sweep.handler",
                description="Escalates bad-review cases past their deadline",
                environment={
                    environment.CASES_TABLE: data.cases.table_name,
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                },
                timeout_seconds=300,
            ),
        )
        # Finds overdue cases on the by_due index; an escalation is one transaction of puts (the case
        # and its audit entry), conditional on the version it read.
        self.sweep.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=[f"{data.cases.table_arn}/index/by_due"])
        )
        self.sweep.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:PutItem"], resources=[data.cases.table_arn])
        )
        events.Rule(
            self,
            "Every15Minutes",
            description="Escalates overdue bad-review cases",
            schedule=events.Schedule.rate(SWEEP_EVERY),
            targets=[targets.LambdaFunction(self.sweep, retry_attempts=2)],
        )
