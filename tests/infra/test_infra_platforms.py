"""Regional platforms from context `govrate:platforms`: a generated key secret, an API key and a usage plan
each; the registry the intake function reads; and API keys required on exactly the platform routes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from infra import environment
from infra.config import GovrateConfig, PlatformContext
from infra.http_apps import INTAKE
from tests.infra.conftest import PROD_PLATFORM, Synthesized
from tests.infra.test_infra_api import Methods, methods  # noqa: F401  (the fixture)

PLATFORM = PlatformContext.model_validate(PROD_PLATFORM)


def test_the_context_onboards_the_platforms(synth: Synthesized) -> None:
    config = GovrateConfig.from_context(synth.stack.node)
    assert config.platforms == (PLATFORM,)


def test_each_platform_has_a_generated_key_in_secrets_manager(synth: Synthesized) -> None:
    synth.template.has_resource(
        "AWS::SecretsManager::Secret",
        {
            "Properties": {
                "Name": f"{synth.stack.stack_name}/platforms/gd-platform",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_each_platform_has_an_api_key_and_a_usage_plan_with_its_throttle_and_quota(synth: Synthesized) -> None:
    (key_id, key), *others = synth.of_type("AWS::ApiGateway::ApiKey").items()
    assert not others
    assert key["Properties"]["Name"] == f"{synth.stack.stack_name}-gd-platform"
    (plan_id, plan), *others = synth.of_type("AWS::ApiGateway::UsagePlan").items()
    assert not others
    props = plan["Properties"]
    assert props["Throttle"] == {"RateLimit": 20, "BurstLimit": 40}
    assert props["Quota"] == {"Limit": 200000, "Period": "DAY"}
    api_id, _ = synth.one("AWS::ApiGateway::RestApi")
    stage_id, _ = synth.one("AWS::ApiGateway::Stage")
    assert [(stage["ApiId"], stage["Stage"]) for stage in props["ApiStages"]] == [({"Ref": api_id}, {"Ref": stage_id})]
    synth.template.has_resource_properties(
        "AWS::ApiGateway::UsagePlanKey",
        {"KeyId": {"Ref": key_id}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": plan_id}},
    )


def test_the_intake_function_gets_the_registry_by_key_id(synth: Synthesized) -> None:
    _, intake = synth.function("intake_api.app")
    registry = intake["Environment"]["Variables"][environment.PLATFORMS]
    secret = synth.logical_id(synth.stack.api.platforms.keys["gd-platform-2026"])
    # {"Fn::Join": ["", [json text before the ARN, {"Ref": secret}, json text after]]}
    before, reference, after = registry["Fn::Join"][1]
    assert reference == {"Ref": secret}
    assert json.loads(f"{before}ARN{after}") == {
        "gd-platform-2026": {
            "platform_id": "gd-platform",
            "regions": ["440000", "440300"],
            "secret_arn": "ARN",
            "downstream": False,
        }
    }


def test_exactly_the_platform_routes_require_an_api_key(methods: Methods) -> None:  # noqa: F811
    platform_routes = {
        (path, method)
        for path, entries in INTAKE.chalice_app().routes.items()
        for method in entries
        if path.startswith("/v1/platform/")
    }
    assert platform_routes == {
        ("/v1/platform/service-records", "POST"),
        ("/v1/platform/evaluations", "POST"),
        ("/v1/platform/evaluations", "GET"),
        ("/v1/platform/evaluations/{evaluation_id}", "GET"),
        ("/v1/platform/evaluations/batch", "POST"),
        ("/v1/platform/relay/batch", "POST"),
    }
    for key, method in methods.items():
        assert method.get("ApiKeyRequired", False) == (key in platform_routes), key


def test_platforms_can_be_given_on_the_command_line_and_be_none() -> None:
    assert GovrateConfig.from_context(App(context={"govrate:platforms": "[]"}).node).platforms == ()
    assert GovrateConfig.from_context(App().node).platforms == ()


@pytest.mark.parametrize(
    ("platforms", "message"),
    [
        ([{"platform_id": "a-1", "key_id": "k1", "regions": ["11000"]}], "regions"),
        ([{"platform_id": "a-1", "key_id": "k1", "regions": []}], "regions"),
        (
            [
                {"platform_id": "a-1", "key_id": "k1", "regions": ["110000"]},
                {"platform_id": "a-2", "key_id": "k1", "regions": ["110000"]},
            ],
            "key_id",
        ),
    ],
)
def test_a_wrong_platform_list_stops_the_synthesis(platforms: list[dict[str, Any]], message: str) -> None:
    app = App(context={"govrate:platforms": json.dumps(platforms)})
    with pytest.raises(ValueError, match=message):
        GovrateConfig.from_context(app.node)
