"""What a stage decides about keeping things: removal policies, log retention and the tables' deletion protection."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs

from infra.config import StageKind


@dataclass(frozen=True)
class Retention:
    removal_policy: RemovalPolicy
    """For the tables, the contact key, the QR signing secret and the log groups."""
    log_retention: logs.RetentionDays
    deletion_protection: bool
    """DynamoDB's own guard: a table cannot be deleted (by CloudFormation or anyone) while it is on."""
    seal_retention: Duration
    """How long Object Lock (compliance mode) keeps every seal of the evaluations from anyone, root included."""

    @classmethod
    def of(cls, stage: StageKind) -> Retention:
        if stage is StageKind.PROD:
            # China's Cybersecurity Law asks for network logs to be kept at least six months.
            # Seals outlive the audits of the rates they back: ten years, as long as the rates are published and
            # contested; a longer archival rule of a region is set here.
            return cls(
                RemovalPolicy.RETAIN,
                logs.RetentionDays.ONE_YEAR,
                deletion_protection=True,
                seal_retention=Duration.days(3650),
            )
        # A dev stage is removed with `cdk destroy` and leaves nothing behind.
        # Except its seal bucket, locked a day: nothing can delete it sooner (docs/integrity.md).
        return cls(
            RemovalPolicy.DESTROY,
            logs.RetentionDays.ONE_MONTH,
            deletion_protection=False,
            seal_retention=Duration.days(1),
        )
