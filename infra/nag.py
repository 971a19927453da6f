"""cdk-nag acknowledgments: one finding, one written reason."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnElement, Stack
from constructs import Construct

PACK = "AwsSolutions"


def accepted(rule: str, reason: str) -> Acknowledgment:
    """Accepts the AwsSolutions finding `rule`, e.g. "SMG4" or "IAM5[Resource::*]", for the reason given.

    Pass it to `Validations.of(construct).acknowledge(...)`; it covers the construct and its children.
    """
    return Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason)


def wildcard_under(resource: Construct, suffix: str, reason: str) -> Acknowledgment:
    """Accepts AwsSolutions-IAM5 for exactly `<resource's ARN><suffix>`, e.g. a table's `/index/*`."""
    logical_id = Stack.of(resource).get_logical_id(cast(CfnElement, resource.node.default_child))
    return accepted(f"IAM5[Resource::<{logical_id}.Arn>{suffix}]", reason)
