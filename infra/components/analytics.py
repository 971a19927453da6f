"""The facts to Parquet on S3 every night, catalogued in Glue, queried with Athena's named queries
(the SQL files the analyze job runs on DuckDB), and the results documents the public API reads."""

from __future__ import annotations

import re

from aws_cdk import Duration, NestedStack, RemovalPolicy, Stack, Validations
from aws_cdk import aws_athena as athena
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct
from govrate.analytics.facts import FACT_TABLES, PARTITION_KEYS, FactTable
from govrate.analytics.queries import all_queries
from govrate.analytics.store import RESULTS_PREFIX
from govrate.catalogue.store import BY_KIND_INDEX
from govrate.integrity.store import FLAGGED_PREFIX
from govrate.records.store import RecordsByDayIndex
from govrate.storage.tables import ByDayIndex, RateDayIndex

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
# A query that would scan more than this is cancelled: a whole year of a province is far below it.
BYTES_SCANNED_CUTOFF = 100 * 1024**3


class Analytics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        analytics_layer: lambda_.ILayerVersion,
        results_readers: tuple[lambda_.Function, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        stack_name = Stack.of(self).stack_name
        self.access_logs = access_logs = _bucket(self, "AccessLogs", s3.LifecycleRule(expiration=Duration.days(365)))
        Validations.of(access_logs).acknowledge(
            accepted(
                "S1",
                "This is the server access log bucket of the analytics and seal buckets; logging its own "
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
        for table in FACT_TABLES:
            _fact_table(self, table, database_name, self.bucket).add_resource_dependency(database)
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=f"{stack_name}-analytics",
            description="Govrate reports; results stay in the query results bucket",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.query_results.bucket_name}/athena/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )

        NamedQueries(
            self, "NamedQueries", database_name=database_name, work_group_name=self.workgroup.name
        ).node.add_dependency(self.workgroup)

        settings = environment.setting
        self.analyze = factory.create(
            self,
            "Analyze",
            FunctionSpec(
                code="analyze",
                handler="analyze_job.handler",
                description="Exports the trailing window's facts, computes every rate, publishes the results",
                environment={
                    environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                    environment.CASES_TABLE: data.cases.table_name,
                    environment.REFERENCE_TABLE: data.reference.table_name,
                    environment.ANALYTICS_BUCKET: self.bucket.bucket_name,
                    settings("analytics_window_days"): "45",
                },
                memory_size=2048,
                timeout_seconds=900,
                ephemeral_storage_mib=4096,
                extra_layers=[analytics_layer],
                acknowledgments=[
                    wildcard_under(
                        self.bucket,
                        f"/{prefix}/*",
                        "Writes and reads the facts' objects (dt= partitions known only at run time) under each "
                        "fact table's prefix, and the results documents under results/, nothing else.",
                    )
                    for prefix in (*(table.name for table in FACT_TABLES), RESULTS_PREFIX)
                ],
            ),
        )
        # A day is read through the sharded by-day indexes, never with a Scan: Query on those indexes only.
        self.analyze.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[
                    f"{data.evaluations.table_arn}/index/{ByDayIndex.Meta.index_name}",
                    f"{data.evaluations.table_arn}/index/{RecordsByDayIndex.Meta.index_name}",
                    f"{data.cases.table_arn}/index/{RateDayIndex.Meta.index_name}",
                    # The catalogue's current items, for the names the results documents carry.
                    f"{data.reference.table_arn}/index/{BY_KIND_INDEX}",
                ],
            )
        )
        self.analyze.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[data.reference.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{FLAGGED_PREFIX}*"]}},
            )
        )
        facts = [self.bucket.arn_for_objects(f"{table.name}/*") for table in FACT_TABLES]
        results = self.bucket.arn_for_objects(f"{RESULTS_PREFIX}/*")
        self.analyze.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], resources=[*facts, results]
            )
        )
        # The analysis lists a table's days to read only those exported (and a missing document then
        # answers 404, not 403).
        self.analyze.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        )
        events.Rule(
            self,
            "Nightly",
            description="Exports the trailing window up to the previous China calendar day at 00:30 China time",
            schedule=DAILY_AT,
            targets=[targets.LambdaFunction(self.analyze, retry_attempts=2)],
        )
        # The public results API reads the published documents, and nothing else of the bucket.
        for reader in results_readers:
            reader.add_environment(environment.ANALYTICS_BUCKET, self.bucket.bucket_name)
            reader.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(f"{RESULTS_PREFIX}/v1/*")]
                )
            )
            # The function's role and policies sit in the factory's holder construct, the function's parent.
            Validations.of(reader.node.scope or reader).acknowledge(
                wildcard_under(
                    self.bucket,
                    f"/{RESULTS_PREFIX}/v1/*",
                    "Reads the published results documents, one object per region, agency and item, whose keys "
                    "are only known at run time; nothing else of the bucket.",
                )
            )


class NamedQueries(NestedStack):
    """The SQL of every rate and ranking, as the analyze job runs it (`?` are execution parameters), as
    Athena named queries: a nested stack, so that one resource per SQL file does not count against the
    main stack's resource limit."""

    def __init__(self, scope: Construct, construct_id: str, *, database_name: str, work_group_name: str) -> None:
        super().__init__(scope, construct_id, description="Govrate's rates and rankings as Athena named queries")
        for query in all_queries():
            athena.CfnNamedQuery(
                self,
                f"Query-{query.name}",
                name=query.name,
                database=database_name,
                work_group=work_group_name,
                description=f"{query.description[:900]} Parameters: {', '.join(query.parameters)}.",
                query_string=query.sql,
            )


def _fact_table(scope: Construct, table: FactTable, database_name: str, bucket: s3.IBucket) -> glue.CfnTable:
    location = f"s3://{bucket.bucket_name}/{table.name}/"
    # The projection below is written for the one dt partition; a second key fails here, loudly.
    ((partition_key, _),) = PARTITION_KEYS
    return glue.CfnTable(
        scope,
        f"{table.name.title()}Table",
        catalog_id=Stack.of(scope).account,
        database_name=database_name,
        table_input=glue.CfnTable.TableInputProperty(
            name=table.name,
            description=table.description,
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
            partition_keys=_columns(PARTITION_KEYS),
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                columns=_columns(table.columns),
                location=location,
                input_format=PARQUET_INPUT,
                output_format=PARQUET_OUTPUT,
                serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET_SERDE),
            ),
        ),
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
