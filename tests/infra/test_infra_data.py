"""Tables and the QR signing secret."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from constructs import Construct
from govrate.regions.store import RULES_PK
from govrate.storage import schema

from tests.infra.conftest import Synthesized, actions_of, resources_of


def _table(synth: Synthesized, construct: Construct) -> dict[str, Any]:
    return synth.resources[synth.logical_id(construct)]


def test_every_table_is_on_demand_recoverable_encrypted_and_retained(synth: Synthesized) -> None:
    tables = synth.of_type("AWS::DynamoDB::Table")
    assert len(tables) == 3
    for table in tables.values():
        assert table["DeletionPolicy"] == "Retain"
        assert table["UpdateReplacePolicy"] == "Retain"
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"]["SSEEnabled"] is True


def test_evaluations_table_keys_stream_and_by_day_index(synth: Synthesized) -> None:
    props = _table(synth, synth.stack.data.evaluations)["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert {"AttributeName": "pk", "AttributeType": "S"} in props["AttributeDefinitions"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    by_day = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}["by_day"]
    assert by_day["KeySchema"] == [
        {"AttributeName": "day_shard", "KeyType": "HASH"},
        {"AttributeName": "created_key", "KeyType": "RANGE"},
    ]
    assert by_day["Projection"] == {"ProjectionType": "ALL"}
    for name in ("day_shard", "created_key"):
        assert {"AttributeName": name, "AttributeType": "S"} in props["AttributeDefinitions"]


def test_cases_and_reference_tables_have_pk_and_sk_and_only_cases_a_stream(synth: Synthesized) -> None:
    for construct in (synth.stack.data.cases, synth.stack.data.reference):
        props = _table(synth, construct)["Properties"]
        assert props["KeySchema"] == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
    # The cases table's stream is the outbox of the evaluator's notices.
    assert _table(synth, synth.stack.data.cases)["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert "StreamSpecification" not in _table(synth, synth.stack.data.reference)["Properties"]


def test_tables_are_the_shared_schema_that_local_tables_are_created_from(synth: Synthesized) -> None:
    constructs = {
        schema.EVALUATIONS.name: synth.stack.data.evaluations,
        schema.CASES.name: synth.stack.data.cases,
        schema.REFERENCE.name: synth.stack.data.reference,
    }
    assert {spec.name for spec in schema.TABLES} == set(constructs)
    for spec in schema.TABLES:
        expected = spec.create_table_arguments("unused")
        props = _table(synth, constructs[spec.name])["Properties"]
        assert props["KeySchema"] == expected["KeySchema"]
        assert sorted(props["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
        assert props.get("GlobalSecondaryIndexes", []) == expected.get("GlobalSecondaryIndexes", [])
        assert ("StreamSpecification" in props) == spec.stream
        ttl = {"AttributeName": spec.ttl_attribute, "Enabled": True} if spec.ttl_attribute else None
        assert props.get("TimeToLiveSpecification") == ttl


def test_contact_key_rotates_and_only_the_functions_taking_evaluations_may_encrypt_with_it(synth: Synthesized) -> None:
    """Intake (the APIs) and QR (the rating pages, kiosks and web module) seal contacts; neither reads them.
    Only the case API opens them, for the handlers of that evaluator's case."""
    key_id = synth.logical_id(synth.stack.data.contact_key)
    assert synth.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    users = {
        policy_id: [
            s["Action"] for s in policy["Properties"]["PolicyDocument"]["Statement"] if key_id in str(s["Resource"])
        ]
        for policy_id, policy in synth.of_type("AWS::IAM::Policy").items()
    }
    granted = [actions for actions in users.values() if actions]
    assert sorted(granted) == [["kms:Decrypt"], ["kms:Encrypt"], ["kms:Encrypt"]]


def test_qr_signing_key_is_a_generated_48_character_secret(synth: Synthesized) -> None:
    synth.template.has_resource(
        "AWS::SecretsManager::Secret",
        {
            "Properties": {"GenerateSecretString": Match.object_like({"PasswordLength": 48})},
            "DeletionPolicy": "Retain",
        },
    )


# Every function that reads a region's rules (govrate.regions.rules.RulesBook through govrate.runtime).
RULES_READERS = (
    "intake_api.app",
    "qr_api.app",
    "case_api.app",
    "case_consumer.handler",
    "record_sweep.handler",
    "integrity_watch.handler",
)


@pytest.mark.parametrize("handler", RULES_READERS)
def test_every_function_that_reads_the_region_rules_may_query_them(synth: Synthesized, handler: str) -> None:
    reference = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.reference), "Arn"]}
    _, function = synth.function(handler)
    assert function["Environment"]["Variables"]["GOVRATE_REFERENCE_TABLE"] == {
        "Ref": synth.logical_id(synth.stack.data.reference)
    }
    reads = [
        statement
        for statement in synth.role_statements(handler)
        if statement["Effect"] == "Allow"
        and {"dynamodb:GetItem", "dynamodb:Query"} <= actions_of(statement)
        and reference in resources_of(statement)
    ]
    assert any(_covers_rules(statement) for statement in reads), f"{handler} cannot read the region rules"


def _covers_rules(statement: dict[str, Any]) -> bool:
    """A read of the whole table, or of partitions that include the rules' (`RULES`)."""
    if "Condition" not in statement:
        return True
    leading = statement["Condition"].get("ForAllValues:StringEquals", {}).get("dynamodb:LeadingKeys", [])
    return RULES_PK in leading
