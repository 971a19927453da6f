"""The CDK app synthesized once per session as a production stage (`npx cdk synth -c govrate:settings=…`, no
bundling); and once more as a dev stage deployed in a region without Cognito user pools (staff pool in
another region)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from aws_cdk import App, CfnElement, NestedStack, Stack
from aws_cdk.assertions import Template

from infra.bundling import REPO_ROOT
from infra.stack import GovrateStack, build


@dataclass(frozen=True)
class Synthesized:
    stack: GovrateStack
    outdir: Path
    template: Template
    # The main stack's template as written (`template.to_json()` asks the CDK's node process each time).
    document: dict[str, Any]
    validation_error: str | None
    # The nested stacks' templates as written, and their resources with every parameter replaced by what
    # the main stack passes: a reference to a function reads the same in both.
    nested_templates: list[dict[str, Any]]
    nested_resources: dict[str, dict[str, Any]]
    # (nested stack resource, `Outputs.<name>`) -> the output's value inside the nested stack.
    nested_outputs: dict[tuple[str, str], Any]

    def resolved(self, value: Any) -> Any:
        """`value` with every reference to a nested stack's output replaced by what the output holds."""
        return _with_outputs(value, self.nested_outputs)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The main stack's resources (nested stacks count as one each, as CloudFormation counts them)."""
        return cast(dict[str, dict[str, Any]], self.document["Resources"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Every resource of the type, in the main stack or a nested one."""
        everything = self.resources | self.nested_resources
        return {k: v for k, v in everything.items() if v["Type"] == resource_type}

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        (found,) = self.of_type(resource_type).items()
        return found

    def function(self, handler: str) -> tuple[str, dict[str, Any]]:
        """(logical id, properties) of the function with this handler."""
        (found,) = [
            (k, v["Properties"])
            for k, v in self.of_type("AWS::Lambda::Function").items()
            if v["Properties"]["Handler"] == handler
        ]
        return found

    def schedule_of(self, handler: str) -> dict[str, Any]:
        """Properties of the one EventBridge rule that targets the function with this handler."""
        function_id, _ = self.function(handler)
        found: dict[str, Any]
        (found,) = [
            rule["Properties"]
            for rule in self.of_type("AWS::Events::Rule").values()
            if {"Fn::GetAtt": [function_id, "Arn"]} in [target["Arn"] for target in rule["Properties"]["Targets"]]
        ]
        return found

    def logical_id(self, construct: Any) -> str:
        return Stack.of(construct).get_logical_id(construct.node.default_child)

    def role_statements(self, handler: str) -> list[dict[str, Any]]:
        """Every statement of the policies attached to the role of the function with this handler."""
        _, function = self.function(handler)
        role_id = function["Role"]["Fn::GetAtt"][0]
        return [
            statement
            for policy in self.of_type("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]

    def metadata(self) -> dict[str, list[dict[str, Any]]]:
        metadata = json.loads((self.outdir / f"{self.stack.artifact_id}.metadata.json").read_text())
        return cast(dict[str, list[dict[str, Any]]], metadata)


# A province's production settings (a prod stage refuses cdk.json's demo province and platform).
PROD_PLATFORM = {
    "platform_id": "gd-platform",
    "key_id": "gd-platform-2026",
    "regions": ["440000", "440300"],
    "throttle": {"rate": 20, "burst": 40},
    "quota": {"limit": 200000, "period": "DAY"},
}
# The province relays to the national level, whose operator registered it as platform `gd-province`.
PROD_UPSTREAM = {"url": "https://national.example.gov.cn/api", "key_id": "gd-province-2026"}
PROD_CONTEXT = {
    "govrate:province": "gd",
    "govrate:stage": "prod",
    "govrate:platforms": [PROD_PLATFORM],
    "govrate:upstream": PROD_UPSTREAM,
}

# What an operator of a China-region deployment passes: a staff pool in a region that has Cognito.
EXISTING_STAFF_POOL = {"userPoolId": "ap-east-1_Ab12Cd34E", "clientId": "1example23456789abcdefghij"}


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory, PROD_CONTEXT)


@pytest.fixture(scope="session")
def synth_with_existing_staff_pool(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """A dev stage (cdk.json's default) with the staff pool of another region."""
    return synthesize(tmp_path_factory, {"govrate:staffUserPool": EXISTING_STAFF_POOL})


def synthesize(tmp_path_factory: pytest.TempPathFactory, extra_context: dict[str, Any] | None = None) -> Synthesized:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"] | (extra_context or {})
    # No stack is bundled: the layers are not built (test_infra_bundling covers the bundler itself).
    context["aws:cdk:bundling-stacks"] = []
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(context=context, outdir=str(outdir))
    stack = build(app)
    try:
        app.synth()
        validation_error = None
    except RuntimeError as exc:
        # cdk-nag findings fail the synthesis but the template is still written; the nag test reports.
        validation_error = f"{exc}\n{(outdir / 'validation-report.json').read_text()}"
    template = json.loads((outdir / stack.template_file).read_text())
    nested_templates: list[dict[str, Any]] = []
    nested_resources: dict[str, dict[str, Any]] = {}
    # A nested stack's output, as a sibling's parameter names it: the expression inside the nested stack.
    outputs: dict[tuple[str, str], Any] = {}
    passed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for nested in (c for c in stack.node.find_all() if isinstance(c, NestedStack)):
        nested_template = json.loads((outdir / nested.template_file).read_text())
        nested_templates.append(nested_template)
        resource_id = stack.get_logical_id(cast(CfnElement, nested.nested_stack_resource))
        for name, output in nested_template.get("Outputs", {}).items():
            outputs[(resource_id, f"Outputs.{name}")] = output["Value"]
        passed.append((nested_template, template["Resources"][resource_id]["Properties"].get("Parameters", {})))
    for nested_template, parameters in passed:
        resolved = {name: _with_outputs(value, outputs) for name, value in parameters.items()}
        nested_resources |= _with_parameters(nested_template["Resources"], resolved)
    return Synthesized(
        stack,
        outdir,
        Template.from_json(template),
        template,
        validation_error,
        nested_templates,
        nested_resources,
        outputs,
    )


def _with_outputs(node: Any, outputs: dict[tuple[str, str], Any]) -> Any:
    if isinstance(node, list):
        return [_with_outputs(item, outputs) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::GetAtt"} and tuple(node["Fn::GetAtt"]) in outputs:
        return outputs[tuple(node["Fn::GetAtt"])]
    return {key: _with_outputs(value, outputs) for key, value in node.items()}


def _with_parameters(node: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_with_parameters(item, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in parameters:
        return parameters[node["Ref"]]
    return {key: _with_parameters(value, parameters) for key, value in node.items()}


def actions_of(statement: dict[str, Any]) -> set[str]:
    """The actions of an IAM policy statement (one, or a list)."""
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def resources_of(statement: dict[str, Any]) -> list[Any]:
    """The resources of an IAM policy statement (one, or a list)."""
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]
