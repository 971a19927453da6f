"""The system of record: the DynamoDB tables described by `govrate.storage.schema`, the key that
encrypts contact data, and the QR signing secret."""

from __future__ import annotations

from aws_cdk import Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from govrate.regions.store import RULES_PK
from govrate.storage import schema

from infra.nag import accepted, wildcard_under
from infra.stages import Retention


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, retention: Retention) -> None:
        super().__init__(scope, construct_id)
        tables = {spec.name: _table(self, spec, retention) for spec in schema.TABLES}
        # The evaluations stream feeds the relay to the negative-review queue: the outbox, no dual write.
        self.evaluations = tables[schema.EVALUATIONS.name]
        self.cases = tables[schema.CASES.name]
        self.reference = tables[schema.REFERENCE.name]

        self.contact_key = kms.Key(
            self,
            "ContactKey",
            description="Encrypts evaluator and applicant contact data (personal information)",
            enable_key_rotation=True,
            removal_policy=retention.removal_policy,
        )
        self.qr_signing_key = secretsmanager.Secret(
            self,
            "QrSigningKey",
            description="Signs the URLs printed in the service windows' QR codes.",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=48, exclude_punctuation=True),
            removal_policy=retention.removal_policy,
        )
        Validations.of(self.qr_signing_key).acknowledge(
            accepted(
                "SMG4",
                "The key signs URLs printed on QR codes at service windows; an automatic rotation "
                "would invalidate every printed code at once. It is rotated by hand, with reprinting.",
            )
        )


def grant_data(table: dynamodb.Table, function: lambda_.Function, *, write: bool = False) -> None:
    """Item access to the table and to its global secondary indexes (`<table ARN>/index/*`)."""
    if write:
        table.grant_read_write_data(function)
    else:
        table.grant_read_data(function)
    if function.role is None:
        raise TypeError(f"{function.node.path} has no role to grant to")
    Validations.of(function.role).acknowledge(
        wildcard_under(
            table,
            "/index/*",
            "Queries the table's own global secondary indexes (those of govrate.storage.schema); the "
            "wildcard spans this one table's indexes and nothing else.",
        )
    )


def grant_region_rules(data: Data, function: lambda_.Function) -> None:
    """Read the regions' rules (`govrate.regions.store`: the `RULES` partition of the reference table)
    and nothing else of it, for a function that gets no other read of that table."""
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:Query"],
            resources=[data.reference.table_arn],
            conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [RULES_PK]}},
        )
    )


def _string(name: str) -> dynamodb.Attribute:
    # Every key attribute of the schema is a string (see TableSpec.create_table_arguments).
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def _table(scope: Construct, spec: schema.TableSpec, retention: Retention) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        spec.name.title(),
        partition_key=_string(spec.partition_key),
        sort_key=_string(spec.sort_key) if spec.sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        stream=dynamodb.StreamViewType.NEW_IMAGE if spec.stream else None,
        time_to_live_attribute=spec.ttl_attribute,
        deletion_protection=retention.deletion_protection,
        removal_policy=retention.removal_policy,
    )
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_string(index.partition_key),
            sort_key=_string(index.sort_key),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    return table
