"""Staff sign-in (a Cognito user pool) and the scheduled escalation of overdue cases."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Validations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import environment
from infra.components.data import Data
from infra.components.functions import FunctionFactory, FunctionSpec
from infra.nag import accepted

# The token claims the case API reads: which agency and division a user works for, and their role.
STAFF_ATTRIBUTES = ("agency_code", "region_code", "role")
SWEEP_EVERY = Duration.minutes(15)


class Staff(Construct):
    """Accounts are created by administrators (no self sign-up); agency, division and role are custom
    attributes that only administrators can change."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            custom_attributes={
                name: cognito.StringAttribute(min_len=1, max_len=64, mutable=True) for name in STAFF_ATTRIBUTES
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=RemovalPolicy.RETAIN,
        )
        profile = cognito.ClientAttributes().with_standard_attributes(email=True, preferred_username=True)
        self.client = self.user_pool.add_client(
            "Console",
            auth_flows=cognito.AuthFlow(user_password=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
            read_attributes=profile.with_custom_attributes(*STAFF_ATTRIBUTES),
            # Users may not change their own agency, division or role.
            write_attributes=profile,
        )
        Validations.of(self.user_pool).acknowledge(
            accepted(
                "COG2",
                "MFA is optional (TOTP) rather than required: agencies in remote counties enrol staff on shared "
                "terminals first; the console's sessions last one hour and every case action is on the audit chain.",
            ),
            accepted(
                "COG3",
                "Cognito's threat protection (advanced security) is not offered in every partition this stack "
                "targets (aws-cn); sign-in is limited to administrator-created accounts.",
            ),
        )


class CaseSweep(Construct):
    """Every 15 minutes, escalates each case past its pending deadline to the supervisor level."""

    def __init__(self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory) -> None:
        super().__init__(scope, construct_id)
        self.function = factory.create(
            self,
            "Sweep",
            FunctionSpec(
                code="verify",
                handler="case_sweep.handler",
                description="Escalates cases past their deadline",
                environment={
                    environment.CASES_TABLE: data.cases.table_name,
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                },
                timeout_seconds=300,
            ),
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                # An escalation is one transaction of puts (the case and its audit entries).
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                resources=[data.cases.table_arn, f"{data.cases.table_arn}/index/by_due"],
            )
        )
        events.Rule(
            self,
            "Every15Minutes",
            description="Escalates overdue bad-review cases",
            schedule=events.Schedule.rate(SWEEP_EVERY),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )
