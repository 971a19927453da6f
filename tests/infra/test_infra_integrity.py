"""Tamper evidence: the Object Lock bucket, the HMAC key, the seal job's schedule and its grants."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

from infra.components.integrity import SEAL_REMOVAL_ACTIONS
from tests.infra.conftest import Synthesized, actions_of, resources_of

SEAL_JOB = "seal_job.handler"


def _seal_bucket(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    bucket_id = synth.logical_id(synth.stack.integrity.bucket)
    return bucket_id, synth.resources[bucket_id]["Properties"]


def test_the_seal_bucket_locks_every_object_in_compliance_mode_for_ten_years(synth: Synthesized) -> None:
    bucket_id, bucket = _seal_bucket(synth)
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 3650}},
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert synth.resources[bucket_id]["DeletionPolicy"] == "Retain"
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_a_dev_stage_locks_its_seals_for_a_day(synth_with_existing_staff_pool: Synthesized) -> None:
    _, bucket = _seal_bucket(synth_with_existing_staff_pool)
    assert bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "COMPLIANCE", "Days": 1}


def test_the_seal_key_is_an_hmac_key_for_macs_only(synth: Synthesized) -> None:
    key_id = synth.logical_id(synth.stack.integrity.key)
    key = synth.resources[key_id]
    assert (key["Properties"]["KeySpec"], key["Properties"]["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    assert key["DeletionPolicy"] == "Retain"


def test_the_bucket_policy_denies_everyone_deleting_or_unlocking_a_seal(synth: Synthesized) -> None:
    bucket_id, _ = _seal_bucket(synth)
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    denials = [s for s in policy["Statement"] if s["Effect"] == "Deny" and s.get("Principal") == {"AWS": "*"}]
    (deny,) = [s for s in denials if "s3:DeleteObject" in actions_of(s)]  # the other one refuses plain HTTP
    assert actions_of(deny) == set(SEAL_REMOVAL_ACTIONS)
    assert resources_of(deny) == [{"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}]


def test_no_function_and_no_policy_may_delete_or_put_retention_on_a_seal(synth: Synthesized) -> None:
    bucket_id, _ = _seal_bucket(synth)
    documents = [p["Properties"]["PolicyDocument"] for p in synth.of_type("AWS::IAM::Policy").values()]
    documents += [p["Properties"]["PolicyDocument"] for p in synth.of_type("AWS::IAM::ManagedPolicy").values()]
    checked = 0
    for document in documents:
        for statement in document["Statement"]:
            on_seals = any(bucket_id in str(r) or r == "*" for r in resources_of(statement))
            if statement["Effect"] != "Allow" or not on_seals:
                continue
            checked += 1
            granted = {
                forbidden
                for forbidden in SEAL_REMOVAL_ACTIONS
                for action in actions_of(statement)
                if fnmatch(forbidden, action)
            }
            assert not granted, statement
    assert checked >= 3  # the seal job's and the auditor's statements on the bucket were looked at


def test_the_seal_job_writes_new_seals_macs_and_queries_the_by_day_indexes_only(synth: Synthesized) -> None:
    bucket_id, _ = _seal_bucket(synth)
    key_id = synth.logical_id(synth.stack.integrity.key)
    evaluations = synth.logical_id(synth.stack.data.evaluations)
    cases = synth.logical_id(synth.stack.data.cases)
    granted = {
        action: [str(resource) for resource in resources_of(statement)]
        for statement in synth.role_statements(SEAL_JOB)
        for action in actions_of(statement)
        if not action.startswith(("logs:", "xray:"))
    }
    assert sorted(granted) == [
        "dynamodb:Query",
        "kms:GenerateMac",
        "kms:VerifyMac",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
    ]
    assert granted["s3:PutObject"] == [str({"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/seals/*"]]})]
    assert all(key_id in resource for resource in granted["kms:GenerateMac"] + granted["kms:VerifyMac"])
    queried = granted["dynamodb:Query"]
    assert len(queried) == 3
    assert any(evaluations in r and "/index/by_day" in r for r in queried)
    assert any(cases in r and "/index/by_rate_day" in r for r in queried)
    assert not any(evaluations in r and "/index/" not in r for r in queried)  # never the evaluations themselves


def test_the_seal_job_runs_at_one_in_the_morning_china_time(synth: Synthesized) -> None:
    assert synth.schedule_of(SEAL_JOB)["ScheduleExpression"] == "cron(0 17 * * ? *)"
    _, function = synth.function(SEAL_JOB)
    assert (function["Timeout"], function["MemorySize"]) == (900, 1024)


def test_the_auditor_policy_reads_and_verifies_but_cannot_mac(synth: Synthesized) -> None:
    (policy,) = synth.of_type("AWS::IAM::ManagedPolicy").values()
    actions = {a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in actions_of(s)}
    assert actions == {"dynamodb:Query", "s3:GetObject", "s3:ListBucket", "kms:VerifyMac"}
