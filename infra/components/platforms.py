"""The regional platforms allowed on the signed API: per platform an HMAC key in Secrets Manager, an
API Gateway key and a usage plan (throttle, quota); and the registry the intake function reads."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy, Stack, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from govrate.platforms.nonces import NONCE_KEY_PREFIX

from infra.components.data import Data
from infra.config import PlatformContext
from infra.nag import accepted

# 64 letters and digits: 380 bits, more than an HMAC-SHA256 key can use.
KEY_LENGTH = 64


class Platforms(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platforms: Sequence[PlatformContext]) -> None:
        super().__init__(scope, construct_id)
        self._platforms = tuple(platforms)
        stack_name = Stack.of(self).stack_name
        self.keys = {
            platform.key_id: secretsmanager.Secret(
                self,
                f"{platform.platform_id}-key",
                secret_name=f"{stack_name}/platforms/{platform.platform_id}",
                description=f"HMAC-SHA256 key {platform.key_id} with which platform {platform.platform_id} signs "
                "its requests (RFC 9421)",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=KEY_LENGTH, exclude_punctuation=True
                ),
                removal_policy=RemovalPolicy.RETAIN,
            )
            for platform in self._platforms
        }
        Validations.of(self).acknowledge(
            accepted(
                "SMG4",
                "A platform's key is shared with the platform, which must switch to a new key at the same time; "
                "it is rotated by hand with the platform (docs/integration.md). The intake function keeps a key "
                "for 60 s only, so a new one is in use within a minute.",
            )
        )

    def registry(self) -> str:
        """The `GOVRATE_PLATFORMS` value: key id -> platform id, regions, the ARN of its key's secret and
        whether it is a downstream Govrate stage."""
        return Stack.of(self).to_json_string(
            {
                platform.key_id: {
                    "platform_id": platform.platform_id,
                    "regions": list(platform.regions),
                    "secret_arn": self.keys[platform.key_id].secret_arn,
                    "downstream": platform.downstream,
                }
                for platform in self._platforms
            }
        )

    def grant_verify(self, function: lambda_.Function, data: Data) -> None:
        """Read the keys, and record signature nonces (only `NONCE#…` items) in the reference table."""
        for key in self.keys.values():
            key.grant_read(function)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem"],
                resources=[data.reference.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{NONCE_KEY_PREFIX}*"]}},
            )
        )

    def add_usage_plans(self, rest_api: apigateway.RestApi) -> None:
        """One API key and usage plan per platform on the API's stage: its throttle and its quota."""
        stack_name = Stack.of(self).stack_name
        for platform in self._platforms:
            api_key = apigateway.ApiKey(
                self,
                f"{platform.platform_id}-api-key",
                api_key_name=f"{stack_name}-{platform.platform_id}",
                description=f"API key of regional platform {platform.platform_id} (x-api-key)",
            )
            plan = apigateway.UsagePlan(
                self,
                f"{platform.platform_id}-usage-plan",
                name=f"{stack_name}-{platform.platform_id}",
                description=f"Throttle and quota of regional platform {platform.platform_id}",
                throttle=apigateway.ThrottleSettings(
                    rate_limit=platform.throttle.rate, burst_limit=platform.throttle.burst
                ),
                quota=apigateway.QuotaSettings(
                    limit=platform.quota.limit, period=apigateway.Period[platform.quota.period.value]
                ),
                api_stages=[apigateway.UsagePlanPerApiStage(api=rest_api, stage=rest_api.deployment_stage)],
            )
            plan.add_api_key(api_key)
