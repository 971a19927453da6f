"""Stages: names and tags per province and stage, what a production stage keeps and a dev stage does not."""

from __future__ import annotations

import pytest

from infra.config import GovrateConfig, StageKind
from tests.infra.conftest import Synthesized


def test_names_and_tags_per_province_and_stage(synth: Synthesized, synth_with_existing_staff_pool: Synthesized) -> None:
    assert synth.stack.stack_name == "Govrate-gd-prod"
    assert synth_with_existing_staff_pool.stack.stack_name == "Govrate-demo-dev"
    assert synth.stack.tags.tag_values() == {"project": "govrate", "province": "gd", "stage": "prod"}
    _, api = synth.one("AWS::ApiGateway::RestApi")
    assert api["Properties"]["Name"] == "Govrate-gd-prod-api"


def test_context_names_the_province_stage_and_target() -> None:
    context = {"govrate:province": "gd", "govrate:stage": "prod", "govrate:account": "123456789012"}
    config = GovrateConfig.from_mapping(context)
    assert (config.stack_name, config.stage) == ("Govrate-gd-prod", StageKind.PROD)
    assert config.account == "123456789012"
    with pytest.raises(ValueError, match="govrate:province"):
        GovrateConfig.from_mapping({"govrate:province": "Guang Dong"})
    with pytest.raises(ValueError):
        GovrateConfig.from_mapping({"govrate:stage": "staging"})


def test_production_tables_are_protected_from_deletion_and_kept(synth: Synthesized) -> None:
    for table in synth.of_type("AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is True
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for log_group in synth.of_type("AWS::Logs::LogGroup").values():
        assert log_group["DeletionPolicy"] == "Retain"
        assert log_group["Properties"]["RetentionInDays"] >= 180


def test_production_dead_letter_queues_are_kept_and_the_working_queues_are_not(synth: Synthesized) -> None:
    queues = synth.of_type("AWS::SQS::Queue")
    kept = sorted(logical_id for logical_id, queue in queues.items() if queue["DeletionPolicy"] == "Retain")
    upstream = synth.stack.upstream
    assert upstream is not None
    dead_letter_queues = [
        *synth.stack.pipeline.dead_letter_queues,
        synth.stack.records.invitation_dlq,
        synth.stack.watch.failures,
        upstream.dead_letters,
        # What it holds has not reached the upstream yet: kept like the dead letters.
        upstream.queue,
    ]
    assert kept == sorted(synth.logical_id(queue) for queue in dead_letter_queues)
    assert len(kept) == 7 and len(queues) == 10


def test_a_dev_stage_is_removed_whole_but_still_recoverable(synth_with_existing_staff_pool: Synthesized) -> None:
    dev = synth_with_existing_staff_pool
    for table in dev.of_type("AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is False
        assert table["DeletionPolicy"] == "Delete"
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert {queue["DeletionPolicy"] for queue in dev.of_type("AWS::SQS::Queue").values()} == {"Delete"}
    for secret in (dev.stack.data.qr_signing_key, dev.stack.data.contact_key):
        assert dev.resources[dev.logical_id(secret)]["DeletionPolicy"] == "Delete"
    function_logs = [
        group
        for group in dev.of_type("AWS::Logs::LogGroup").values()
        if group["Properties"].get("RetentionInDays") == 30
    ]
    assert len(function_logs) >= len(dev.of_type("AWS::Lambda::Function"))
