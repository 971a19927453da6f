"""Evaluations to Parquet on S3 every night, catalogued in Glue, queried with Athena."""

from __future__ import annotations

import re

from aws_cdk import Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_athena as athena
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct
from govrate.analytics.schema import (
    EVALUATION_COLUMNS,
    EVALUATION_PARTITION_KEYS,
    EVALUATIONS_PREFIX,
    EVALUATIONS_TABLE,
)
from govrate.storage.tables import ByDayIndex

from infra import environment
from infra.components.data import Data
from infra.components.functions import FunctionFactory, FunctionSpec
from infra.nag import accepted, wildcard_under

# 00:30 in China (UTC+8, no daylight saving): the previous day is closed by then.
DAILY_AT = events.Schedule.cron(minute="30", hour="16")
# Athena's partition projection computes the dt= partitions from this range; nothing registers them.
PARTITION_PROJECTION_START = "2019-01-01"  # the State Council circular on 好差评 dates from 2019
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"


class Analytics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        analytics_layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        stack_name = Stack.of(self).stack_name
        access_logs = _bucket(self, "AccessLogs", s3.LifecycleRule(expiration=Duration.days(365)))
        Validations.of(access_logs).acknowledge(
            accepted(
                "S1",
                "This is the server access log bucket of the analytics buckets; logging its own "
                "access would log the log deliveries.",
            )
        )
        self.bucket = _bucket(
            self,
            "Parquet",
            # A re-export overwrites a day's files; the old versions are only a safety net.
            s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30)),
            versioned=True,
            access_logs=access_logs,
        )
        self.query_results = _bucket(
            self, "QueryResults", s3.LifecycleRule(expiration=Duration.days(30)), access_logs=access_logs
        )

        database_name = _glue_database_name(stack_name)
        database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=Stack.of(self).account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name, description="Govrate evaluations, without personal data"
            ),
        )
        location = f"s3://{self.bucket.bucket_name}/{EVALUATIONS_PREFIX}/"
        # The projection below is written for the one dt partition; a second key fails here, loudly.
        ((partition_key, _),) = EVALUATION_PARTITION_KEYS
        table = glue.CfnTable(
            self,
            "EvaluationsTable",
            catalog_id=Stack.of(self).account,
            database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=EVALUATIONS_TABLE,
                description="One row per evaluation, partitioned by the China calendar day it was given",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "EXTERNAL": "TRUE",
                    "classification": "parquet",
                    "projection.enabled": "true",
                    f"projection.{partition_key}.type": "date",
                    f"projection.{partition_key}.format": "yyyy-MM-dd",
                    f"projection.{partition_key}.range": f"{PARTITION_PROJECTION_START},NOW",
                    f"projection.{partition_key}.interval": "1",
                    f"projection.{partition_key}.interval.unit": "DAYS",
                    "storage.location.template": f"{location}{partition_key}=${{{partition_key}}}/",
                },
                partition_keys=_columns(EVALUATION_PARTITION_KEYS),
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns(EVALUATION_COLUMNS),
                    location=location,
                    input_format=PARQUET_INPUT,
                    output_format=PARQUET_OUTPUT,
                    serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET_SERDE),
                ),
            ),
        )
        table.add_resource_dependency(database)

        athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=f"{stack_name}-analytics",
            description="Govrate reports; results stay in the query results bucket",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.query_results.bucket_name}/athena/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )

        self.analyze = factory.create(
            self,
            "Analyze",
            FunctionSpec(
                code="analyze",
                handler="analyze_job.handler",
                description="Exports the closed day's evaluations to Parquet",
                environment={
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                    environment.ANALYTICS_BUCKET: self.bucket.bucket_name,
                },
                memory_size=1024,
                timeout_seconds=300,
                extra_layers=[analytics_layer],
                acknowledgments=[
                    wildcard_under(
                        self.bucket,
                        f"/{EVALUATIONS_PREFIX}/*",
                        "Writes the export's objects, whose keys (dt= partitions, file names) are only known "
                        f"at run time, and only under the {EVALUATIONS_PREFIX}/ prefix.",
                    )
                ],
            ),
        )
        # A day is read through the sharded by_day index, never with a Scan: Query on that index only.
        self.analyze.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[f"{data.evaluations.table_arn}/index/{ByDayIndex.Meta.index_name}"],
            )
        )
        self.analyze.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[self.bucket.arn_for_objects(f"{EVALUATIONS_PREFIX}/*")],
            )
        )
        events.Rule(
            self,
            "Nightly",
            description="Exports the previous China calendar day at 00:30 China time",
            schedule=DAILY_AT,
            targets=[targets.LambdaFunction(self.analyze, retry_attempts=2)],
        )


def _glue_database_name(stack_name: str) -> str:
    """Glue names are lower case letters, digits and underscores; one database per stack."""
    return re.sub(r"[^a-z0-9_]", "_", stack_name.lower())


def _columns(columns: tuple[tuple[str, str], ...]) -> list[glue.CfnTable.ColumnProperty]:
    return [glue.CfnTable.ColumnProperty(name=name, type=type_) for name, type_ in columns]


def _bucket(
    scope: Construct,
    construct_id: str,
    lifecycle: s3.LifecycleRule,
    *,
    versioned: bool = False,
    access_logs: s3.IBucket | None = None,
) -> s3.Bucket:
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=versioned,
        lifecycle_rules=[lifecycle],
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=f"{construct_id}/" if access_logs else None,
        removal_policy=RemovalPolicy.RETAIN,
    )
