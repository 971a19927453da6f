"""Parquet bucket, Glue tables with partition projection, Athena workgroup and named queries, nightly run."""

from __future__ import annotations

from typing import Any

from govrate.analytics.facts import FACT_TABLES, PARTITION_KEYS
from govrate.analytics.queries import SQL_DIR, all_queries

from infra.components.analytics import BYTES_SCANNED_CUTOFF
from tests.infra.conftest import Synthesized


def _tables(synth: Synthesized) -> dict[str, Any]:
    return {
        table["Properties"]["TableInput"]["Name"]: table["Properties"]["TableInput"]
        for table in synth.of_type("AWS::Glue::Table").values()
    }


def test_one_glue_table_per_fact_table_with_its_columns(synth: Synthesized) -> None:
    tables = _tables(synth)
    assert sorted(tables) == sorted(table.name for table in FACT_TABLES)
    bucket = synth.logical_id(synth.stack.analytics.bucket)
    for fact in FACT_TABLES:
        table_input = tables[fact.name]
        assert table_input["TableType"] == "EXTERNAL_TABLE"
        descriptor = table_input["StorageDescriptor"]
        assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == list(fact.columns)
        assert [(c["Name"], c["Type"]) for c in table_input["PartitionKeys"]] == list(PARTITION_KEYS)
        assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
        assert descriptor["Location"] == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, f"/{fact.name}/"]]}


def test_partitions_are_projected_not_managed(synth: Synthesized) -> None:
    bucket = synth.logical_id(synth.stack.analytics.bucket)
    for name, table_input in _tables(synth).items():
        parameters = table_input["Parameters"]
        assert parameters["projection.enabled"] == "true"
        assert parameters["projection.dt.type"] == "date"
        assert parameters["projection.dt.format"] == "yyyy-MM-dd"
        assert parameters["projection.dt.range"] == "2019-01-01,NOW"
        assert parameters["storage.location.template"] == {
            "Fn::Join": ["", ["s3://", {"Ref": bucket}, f"/{name}/dt=${{dt}}/"]]
        }


def test_every_sql_file_is_a_named_query_in_the_workgroup(synth: Synthesized) -> None:
    named = {
        query["Properties"]["Name"]: query["Properties"] for query in synth.of_type("AWS::Athena::NamedQuery").values()
    }
    assert sorted(named) == sorted(path.stem for path in SQL_DIR.glob("*.sql"))
    for query in all_queries():
        assert named[query.name]["QueryString"] == query.sql
        assert named[query.name]["WorkGroup"] == synth.stack.analytics.workgroup.name
        assert ", ".join(query.parameters) in named[query.name]["Description"]


def test_workgroup_enforces_encrypted_results_and_a_scan_limit(synth: Synthesized) -> None:
    _, workgroup = synth.one("AWS::Athena::WorkGroup")
    configuration = workgroup["Properties"]["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == BYTES_SCANNED_CUTOFF
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
