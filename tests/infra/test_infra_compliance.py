"""cdk-nag (AWS Solutions) and cfn-lint over the synthesized templates (the main stack and the nested one)."""

from __future__ import annotations

import json

from aws_cdk import Validations
from cfnlint.api import ManualArgs, lint

from tests.infra.conftest import Synthesized

# Where the stack is meant to run: any commercial region, and the China regions (Beijing, Ningxia),
# which have no Cognito user pools: there the staff sign in to a pool in another region.
COMMERCIAL_REGIONS = ["us-east-1", "ap-east-1"]
CHINA_REGIONS = ["cn-north-1", "cn-northwest-1"]
LINT_IGNORED = {
    # CDK puts DependsOn on a function's role next to the Fn::GetAtt of that role; redundant, harmless.
    "W3005",
}


def test_cdk_nag_reports_nothing_unacknowledged(synth: Synthesized) -> None:
    assert synth.validation_error is None, synth.validation_error


def test_every_acknowledged_finding_has_a_written_reason(synth: Synthesized) -> None:
    acknowledged = [
        (path, rule, reason)
        for path, entries in synth.metadata().items()
        for entry in entries
        if entry["type"] == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule, reason in entry["data"].items()
    ]
    assert acknowledged
    for path, rule, reason in acknowledged:
        assert rule.startswith("AwsSolutions::AwsSolutions-"), (path, rule)
        assert len(reason.split()) >= 8, (path, rule, reason)


def _lint(synthesized: Synthesized, regions: list[str]) -> list[str]:
    config = ManualArgs(regions=regions, ignore_checks=sorted(LINT_IGNORED))
    templates = [synthesized.document, *synthesized.nested_templates]
    assert len(templates) > 1  # the monitoring's nested stack is linted too
    return [str(m) for template in templates for m in lint(json.dumps(template), config=config)]


def test_cfn_lint_finds_no_problem_in_commercial_regions(synth: Synthesized) -> None:
    assert _lint(synth, COMMERCIAL_REGIONS) == []


def test_cfn_lint_finds_no_problem_in_china_regions_with_the_staff_pool_elsewhere(
    synth_with_existing_staff_pool: Synthesized,
) -> None:
    assert synth_with_existing_staff_pool.validation_error is None, synth_with_existing_staff_pool.validation_error
    assert _lint(synth_with_existing_staff_pool, CHINA_REGIONS + COMMERCIAL_REGIONS) == []
