"""The WAF web ACL on the API's stage: rate limits from context, managed rules, body limits, logs."""

from __future__ import annotations

import re
from typing import Any

from govrate.transcriptions.service import MAX_UPLOAD_BYTES
from govrate.web.chalice_edge import MAX_BODY_BYTES
from govrate.web.console import LOGIN_PATH
from transcription_api import MULTIPART_OVERHEAD_BYTES

from infra.components.edge import UPLOAD_PATHS, UPLOAD_TOO_LARGE, WAF_LOG_GROUP_PREFIX
from infra.config import EdgeContext
from infra.http_apps import HTTP_APPS
from tests.infra.conftest import Synthesized

CDK_JSON_EDGE = EdgeContext(rate_limit=1500, sign_in_rate_limit=50, window_seconds=300)


def _rules(synth: Synthesized) -> dict[str, dict[str, Any]]:
    _, acl = synth.one("AWS::WAFv2::WebACL")
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def test_the_web_acl_guards_the_api_stage(synth: Synthesized) -> None:
    acl_id, acl = synth.one("AWS::WAFv2::WebACL")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    _, association = synth.one("AWS::WAFv2::WebACLAssociation")
    stage_id, _ = synth.one("AWS::ApiGateway::Stage")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert {"Ref": stage_id} in association["Properties"]["ResourceArn"]["Fn::Join"][1]
    priorities = [rule["Priority"] for rule in acl["Properties"]["Rules"]]
    assert len(set(priorities)) == len(priorities)


def test_rate_limits_per_client_address_come_from_context(synth: Synthesized) -> None:
    rules = _rules(synth)
    every_path = rules["ClientRate"]["Statement"]["RateBasedStatement"]
    assert every_path == {"Limit": CDK_JSON_EDGE.rate_limit, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}
    sign_in = rules["SignInRate"]["Statement"]["RateBasedStatement"]
    assert (sign_in["Limit"], sign_in["AggregateKeyType"]) == (CDK_JSON_EDGE.sign_in_rate_limit, "IP")
    scope = sign_in["ScopeDownStatement"]["ByteMatchStatement"]
    assert (scope["SearchString"], scope["PositionalConstraint"]) == (LOGIN_PATH, "ENDS_WITH")
    # The sign-in's stricter limit is looked at first.
    assert rules["SignInRate"]["Priority"] < rules["ClientRate"]["Priority"]
    assert all(rules[name]["Action"] == {"Block": {}} for name in ("ClientRate", "SignInRate"))


def test_aws_managed_common_and_known_bad_inputs_rule_sets(synth: Synthesized) -> None:
    rules = _rules(synth)
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["VendorName"] == "AWS"
    # Its 8 KB body limit would refuse batches and uploads; the API's own limits are the next rules.
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    assert "AWSManagedRulesKnownBadInputsRuleSet" in rules
    for name in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        assert rules[name]["OverrideAction"] == {"None": {}}


def test_body_limits_match_the_apis(synth: Synthesized) -> None:
    body_limit = _rules(synth)["BodyLimit"]["Statement"]["AndStatement"]["Statements"]
    size = body_limit[1]["SizeConstraintStatement"]
    assert size["FieldToMatch"] == {"SingleHeader": {"Name": "content-length"}}
    # More digits than the API's JSON limit has: at least ten times the limit, never a body the API takes.
    assert 10 ** size["Size"] > MAX_BODY_BYTES
    assert 10 ** size["Size"] <= 2 * MAX_BODY_BYTES
    upload = re.compile(UPLOAD_TOO_LARGE)
    assert not upload.match(str(MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES))
    assert not upload.match("1099999")
    for too_large in ("1100000", "1999999", "2000000", "10485760", "123456789"):
        assert upload.match(too_large), too_large
    for small in ("0", "100000", str(MAX_UPLOAD_BYTES)):
        assert not upload.match(small), small


def test_the_upload_paths_are_routes_of_the_api() -> None:
    paths = {path for http_app in HTTP_APPS for path in http_app.chalice_app().routes}
    assert set(UPLOAD_PATHS) <= paths


def test_waf_logs_to_its_own_log_group_without_credentials(synth: Synthesized) -> None:
    acl_id, _ = synth.one("AWS::WAFv2::WebACL")
    _, logging = synth.one("AWS::WAFv2::LoggingConfiguration")
    assert logging["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    redacted = [field["SingleHeader"]["Name"] for field in logging["Properties"]["RedactedFields"]]
    assert sorted(redacted) == ["authorization", "cookie", "x-api-key"]
    log_group_id = synth.logical_id(synth.stack.edge.log_group)
    name = synth.resources[log_group_id]["Properties"]["LogGroupName"]
    assert name.startswith(WAF_LOG_GROUP_PREFIX)
    assert synth.resources[log_group_id]["DeletionPolicy"] == "Retain"
