"""Tamper evidence: the seal job, the Object Lock bucket it writes to, the KMS HMAC key it MACs with,
and the managed policy an auditor's role is given to run `python -m govrate.verify_integrity`."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnOutput, RemovalPolicy, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct
from govrate.integrity.seal_store import SEALS_PREFIX
from govrate.storage.tables import ByDayIndex, RateDayIndex

from infra import environment
from infra.components.data import Data
from infra.components.functions import FunctionFactory, FunctionSpec
from infra.nag import wildcard_under
from infra.stages import Retention

# 01:00 China time (UTC+8): an hour after the day closed, so every write of the day has reached the indexes.
DAILY_AT = events.Schedule.cron(minute="0", hour="17")
# Nobody may remove a seal, hide it behind a delete marker, or shorten or lift its lock.
SEAL_REMOVAL_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
)


class Integrity(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        retention: Retention,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Seals",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(retention.seal_retention),
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="Seals/",
            # Locked objects cannot be deleted, so neither can the bucket; a stack removed leaves it behind.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(SEAL_REMOVAL_ACTIONS),
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        self.key = kms.Key(
            self,
            "SealKey",
            description="MACs the daily seals of the evaluations and case audit chains (tamper evidence)",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            # Without the key no seal can be verified again: it stays when a production stack is removed.
            removal_policy=retention.removal_policy,
        )
        self.seal = factory.create(
            self,
            "Seal",
            FunctionSpec(
                code="seal",
                handler="seal_job.handler",
                description="Seals each closed day's evaluations and case audit chains in the Object Lock bucket",
                environment={
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                    environment.CASES_TABLE: data.cases.table_name,
                    environment.SEAL_BUCKET: self.bucket.bucket_name,
                    environment.SEAL_KEY_ID: self.key.key_id,
                    environment.setting("seal_days"): "45",
                },
                memory_size=1024,
                timeout_seconds=900,
                acknowledgments=[self._objects_acknowledged("Writes one new seal object per day sealed")],
            ),
        )
        for statement in self._reading(data):
            self.seal.add_to_role_policy(statement)
        # A new object only: no delete, no retention, no legal hold (the bucket's default lock applies).
        self.seal.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{SEALS_PREFIX}/*")])
        )
        self.key.grant(self.seal, "kms:GenerateMac", "kms:VerifyMac")
        events.Rule(
            self,
            "Daily",
            description="Seals the previous China calendar day, and the days still being handled, at 01:00 China time",
            schedule=DAILY_AT,
            targets=[targets.LambdaFunction(self.seal, retry_attempts=2)],
        )

        self.auditor = iam.ManagedPolicy(
            self,
            "AuditorPolicy",
            description="What `python -m govrate.verify_integrity` needs: read the seals and the tables, verify MACs",
            statements=[
                *self._reading(data),
                iam.PolicyStatement(actions=["kms:VerifyMac"], resources=[self.key.key_arn]),
            ],
        )
        Validations.of(self.auditor).acknowledge(self._objects_acknowledged("Reads every seal of the day verified"))
        CfnOutput(self, "SealBucketName", value=self.bucket.bucket_name, description="Seal bucket (Object Lock)")
        CfnOutput(self, "SealKeyId", value=self.key.key_id, description="KMS HMAC key of the seals")
        CfnOutput(self, "AuditorPolicyArn", value=self.auditor.managed_policy_arn, description="Attach to an auditor")

    def _reading(self, data: Data) -> list[iam.PolicyStatement]:
        """A day's items through the by-day indexes, each case's audit entries, and the seals."""
        return [
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[
                    f"{data.evaluations.table_arn}/index/{ByDayIndex.Meta.index_name}",
                    f"{data.cases.table_arn}/index/{RateDayIndex.Meta.index_name}",
                    data.cases.table_arn,
                ],
            ),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(f"{SEALS_PREFIX}/*")]),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]),
        ]

    def _objects_acknowledged(self, what: str) -> Acknowledgment:
        return wildcard_under(
            self.bucket,
            f"/{SEALS_PREFIX}/*",
            f"{what}: seal objects are named by day and time, known only at run time; nothing outside seals/.",
        )
