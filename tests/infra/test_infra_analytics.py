"""Parquet bucket, Glue table with partition projection, Athena workgroup, nightly export."""

from __future__ import annotations

from govrate.analytics.schema import EVALUATION_COLUMNS, EVALUATION_PARTITION_KEYS, EVALUATIONS_TABLE

from tests.infra.conftest import Synthesized


def test_glue_table_columns_are_the_analytics_schema(synth: Synthesized) -> None:
    _, table = synth.one("AWS::Glue::Table")
    table_input = table["Properties"]["TableInput"]
    assert table_input["Name"] == EVALUATIONS_TABLE
    assert table_input["TableType"] == "EXTERNAL_TABLE"
    descriptor = table_input["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == list(EVALUATION_COLUMNS)
    assert [(c["Name"], c["Type"]) for c in table_input["PartitionKeys"]] == list(EVALUATION_PARTITION_KEYS)
    assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    bucket = synth.logical_id(synth.stack.analytics.bucket)
    assert descriptor["Location"] == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/evaluations/"]]}


def test_partitions_are_projected_not_managed(synth: Synthesized) -> None:
    _, table = synth.one("AWS::Glue::Table")
    parameters = table["Properties"]["TableInput"]["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["projection.dt.range"] == "2019-01-01,NOW"
    bucket = synth.logical_id(synth.stack.analytics.bucket)
    assert parameters["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", {"Ref": bucket}, "/evaluations/dt=${dt}/"]]
    }


def test_workgroup_enforces_encrypted_results_in_the_results_bucket(synth: Synthesized) -> None:
    _, workgroup = synth.one("AWS::Athena::WorkGroup")
    configuration = workgroup["Properties"]["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    results = configuration["ResultConfiguration"]
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    query_results = synth.logical_id(synth.stack.analytics.query_results)
    assert {"Ref": query_results} in results["OutputLocation"]["Fn::Join"][1]


def test_buckets_are_private_encrypted_tls_only_and_retained(synth: Synthesized) -> None:
    buckets = synth.of_type("AWS::S3::Bucket")
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert bucket["DeletionPolicy"] == "Retain"
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    tls_only = set()
    for policy in synth.of_type("AWS::S3::BucketPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                tls_only.add(policy["Properties"]["Bucket"]["Ref"])
    assert tls_only == set(buckets)
    parquet = synth.resources[synth.logical_id(synth.stack.analytics.bucket)]["Properties"]
    assert parquet["VersioningConfiguration"] == {"Status": "Enabled"}
    results = synth.resources[synth.logical_id(synth.stack.analytics.query_results)]["Properties"]
    assert results["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] > 0


def test_analyze_runs_nightly_at_half_past_midnight_china_time(synth: Synthesized) -> None:
    assert synth.schedule_of("analyze_job.handler")["ScheduleExpression"] == "cron(30 16 * * ? *)"
