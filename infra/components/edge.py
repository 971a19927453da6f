"""The WAF web ACL in front of the API's stage: rate limits per client address (a stricter one on the console's
sign-in), the AWS managed common and known-bad-inputs rule sets, the API's body limits, and logs.

Thresholds come from context `govrate:edge` (infra/config.py, docs/deploy.md).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct
from govrate.web.chalice_edge import MAX_BODY_BYTES
from govrate.web.console import LOGIN_PATH, PAPER_FORMS_PATH

from infra.config import EdgeContext
from infra.stages import Retention

# The routes that take more than a JSON body's MAX_BODY_BYTES: a platform's batch and the CSV uploads
# (1 MiB each). Matched by their end, so that the stage prefix or a custom domain's base path does not matter.
UPLOAD_PATHS = ("/v1/platform/evaluations/batch", "/v1/transcribed-evaluations", PAPER_FORMS_PATH)
# WAF measures a header's value in characters, not as a number: a Content-Length of more than 5 digits is
# a body of 100,000 bytes or more. The functions refuse bodies over MAX_BODY_BYTES (64 KiB) with a 413 and
# the offending limit; WAF drops the bulk before any function runs.
BODY_DIGITS = len(str(MAX_BODY_BYTES))
# Uploads (at most 1 MiB, MAX_UPLOAD_BYTES and BATCH_MAX_BYTES, and a multipart form's boundaries around the
# file): a Content-Length of 1,100,000 bytes or more.
UPLOAD_TOO_LARGE = r"^(?:[2-9][0-9]{6}|1[1-9][0-9]{5}|[1-9][0-9]{7,})$"
# Names WAF gives the web ACL's metrics and its sampled requests; the dashboard reads them.
METRIC_PREFIX = "Govrate"
# WAF sends its logs only to a log group whose name starts with this.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


class Edge(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: apigateway.Stage,
        settings: EdgeContext,
        retention: Retention,
    ) -> None:
        super().__init__(scope, construct_id)
        stack_name = Stack.of(self).stack_name
        rules = [
            _rule(
                "SignInRate",
                {
                    "RateBasedStatement": {
                        "Limit": settings.sign_in_rate_limit,
                        "EvaluationWindowSec": settings.window_seconds,
                        "AggregateKeyType": "IP",
                        "ScopeDownStatement": _path_ends_with(LOGIN_PATH),
                    }
                },
            ),
            _rule(
                "ClientRate",
                {
                    "RateBasedStatement": {
                        "Limit": settings.rate_limit,
                        "EvaluationWindowSec": settings.window_seconds,
                        "AggregateKeyType": "IP",
                    }
                },
            ),
            _rule(
                "BodyLimit",
                {
                    "AndStatement": {
                        "Statements": [
                            {"NotStatement": {"Statement": _any_path_ends_with(UPLOAD_PATHS)}},
                            {
                                "SizeConstraintStatement": {
                                    "FieldToMatch": {"SingleHeader": {"Name": "content-length"}},
                                    "ComparisonOperator": "GT",
                                    "Size": BODY_DIGITS,
                                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                }
                            },
                        ]
                    }
                },
            ),
            _rule(
                "UploadLimit",
                {
                    "AndStatement": {
                        "Statements": [
                            _any_path_ends_with(UPLOAD_PATHS),
                            {
                                "RegexMatchStatement": {
                                    "FieldToMatch": {"SingleHeader": {"Name": "content-length"}},
                                    "RegexString": UPLOAD_TOO_LARGE,
                                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                }
                            },
                        ]
                    }
                },
            ),
            _managed(
                "AWSManagedRulesCommonRuleSet",
                # Its 8 KB body limit would refuse the batches and uploads; BodyLimit and UploadLimit hold the
                # API's own limits instead.
                count_only=("SizeRestrictions_BODY",),
            ),
            _managed("AWSManagedRulesKnownBadInputsRuleSet"),
        ]
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{stack_name}-api",
            description="Govrate API: rate limits per address, AWS managed rules, body limits",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=METRIC_PREFIX, sampled_requests_enabled=True
            ),
        )
        # The rules in CloudFormation's own words: WAF's statements nest deeper than CDK's typed structs help with.
        self.web_acl.add_property_override(
            "Rules", [{**rule, "Priority": priority} for priority, rule in enumerate(rules)]
        )
        wafv2.CfnWebACLAssociation(self, "OnApiStage", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn)

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"{WAF_LOG_GROUP_PREFIX}{stack_name}",
            retention=retention.log_retention,
            removal_policy=retention.removal_policy,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            # WAF wants the log group's ARN without the `:*` that CloudFormation's Arn attribute ends with.
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=self.log_group.log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            # Staff tokens, console sessions and platforms' API keys never reach the logs.
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": name})
                for name in ("authorization", "cookie", "x-api-key")
            ],
        )
        logging.node.add_dependency(self.log_group)


def _rule(name: str, statement: dict[str, Any]) -> dict[str, Any]:
    return {"Name": name, "Statement": statement, "Action": {"Block": {}}, "VisibilityConfig": _visibility(name)}


def _managed(name: str, *, count_only: tuple[str, ...] = ()) -> dict[str, Any]:
    group: dict[str, Any] = {"VendorName": "AWS", "Name": name}
    if count_only:
        group["RuleActionOverrides"] = [{"Name": rule, "ActionToUse": {"Count": {}}} for rule in count_only]
    return {
        "Name": name,
        "Statement": {"ManagedRuleGroupStatement": group},
        "OverrideAction": {"None": {}},
        "VisibilityConfig": _visibility(name),
    }


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def _path_ends_with(path: str) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"UriPath": {}},
            "PositionalConstraint": "ENDS_WITH",
            "SearchString": path,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def _any_path_ends_with(paths: tuple[str, ...]) -> dict[str, Any]:
    return {"OrStatement": {"Statements": [_path_ends_with(path) for path in paths]}}
