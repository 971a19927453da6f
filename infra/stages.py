"""What a stage decides about keeping things: removal policies, log retention and the tables' deletion protection."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from infra.config import StageKind


@dataclass(frozen=True)
class Retention:
    removal_policy: RemovalPolicy
    """For the tables, the contact key, the QR signing secret and the log groups."""
    log_retention: logs.RetentionDays
    deletion_protection: bool
    """DynamoDB's own guard: a table cannot be deleted (by CloudFormation or anyone) while it is on."""

    @classmethod
    def of(cls, stage: StageKind) -> Retention:
        if stage is StageKind.PROD:
            # China's Cybersecurity Law asks for network logs to be kept at least six months.
            return cls(RemovalPolicy.RETAIN, logs.RetentionDays.ONE_YEAR, deletion_protection=True)
        # A dev stage is removed with `cdk destroy` and leaves nothing behind.
        return cls(RemovalPolicy.DESTROY, logs.RetentionDays.ONE_MONTH, deletion_protection=False)
