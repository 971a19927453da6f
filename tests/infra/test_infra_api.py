"""The REST API mirrors the Chalice apps' routes: each route once, as a Lambda proxy method."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from govrate.web.operations import Auth

from infra.components.api import STAGE
from infra.http_apps import HTTP_APPS, HttpApp
from tests.infra.conftest import Synthesized

# (path, HTTP method) -> properties of the AWS::ApiGateway::Method
Methods = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def methods(synth: Synthesized) -> Methods:
    api_id, _ = synth.one("AWS::ApiGateway::RestApi")
    root = {"Fn::GetAtt": [api_id, "RootResourceId"]}
    resources = synth.of_type("AWS::ApiGateway::Resource")

    def path_of(resource_id: Any) -> str:
        if resource_id == root:
            return ""
        props = resources[resource_id["Ref"]]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    return {
        (path_of(m["Properties"]["ResourceId"]) or "/", m["Properties"]["HttpMethod"]): m["Properties"]
        for m in synth.of_type("AWS::ApiGateway::Method").values()
    }


def _routes() -> Iterator[tuple[HttpApp, str, str, Any]]:
    for http_app in HTTP_APPS:
        for path, entries in http_app.chalice_app().routes.items():
            for method, entry in entries.items():
                yield http_app, path, method, entry


def test_every_chalice_route_is_a_lambda_proxy_method_of_its_function(synth: Synthesized, methods: Methods) -> None:
    routes = list(_routes())
    assert routes, "the Chalice apps declare no routes"
    for http_app, path, method, _ in routes:
        function_id, _ = synth.function(f"{http_app.module}.app")
        integration = methods[(path, method)]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert {"Fn::GetAtt": [function_id, "Arn"]} in integration["Uri"]["Fn::Join"][1]


def test_the_api_has_no_method_that_no_route_declares(methods: Methods) -> None:
    declared = {(path, method) for _, path, method, _ in _routes()}
    assert {key for key in methods if key[1] not in ("OPTIONS", "ANY")} == declared
    # Every other method of a declared path is API Gateway's own 405, never a function.
    for (path, method), properties in methods.items():
        if method == "ANY":
            assert (properties["Integration"]["Type"], properties["MethodResponses"][0]["StatusCode"]) == (
                "MOCK",
                "405",
            ), path
    assert {path for path, method in methods if method == "ANY"} == {path for path, _ in declared}


def test_staff_routes_and_only_they_sit_behind_the_staff_pools_authorizer(synth: Synthesized, methods: Methods) -> None:
    authorizer_id, authorizer = synth.one("AWS::ApiGateway::Authorizer")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    assert synth.stack.staff.user_pool is not None
    pool = synth.logical_id(synth.stack.staff.user_pool)
    assert authorizer["Properties"]["ProviderARNs"] == [{"Fn::GetAtt": [pool, "Arn"]}]
    staff_routes = {
        (path, method)
        for http_app in HTTP_APPS
        for path, method, operation in http_app.operations()
        if operation.auth is Auth.STAFF
    }
    assert ("/v1/cases", "GET") in staff_routes
    for key, method in methods.items():
        if key in staff_routes:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS", key
            assert method["AuthorizerId"] == {"Ref": authorizer_id}, key
        else:
            # Citizens, receipts, signed platforms, the console's cookie session and CORS preflights.
            assert method["AuthorizationType"] == "NONE", key


def test_cors_routes_get_a_preflight_that_survives_binary_media_types(methods: Methods) -> None:
    cors_paths = {path for _, path, _, entry in _routes() if entry.cors}
    assert cors_paths, "no route has CORS; the preflight mirroring is untested"
    assert {path for path, method in methods if method == "OPTIONS"} == cors_paths
    for path in cors_paths:
        integration = methods[(path, "OPTIONS")]["Integration"]
        assert integration["Type"] == "MOCK"
        assert integration["ContentHandling"] == "CONVERT_TO_TEXT"
        allowed = integration["IntegrationResponses"][0]["ResponseParameters"]
        assert allowed["method.response.header.Access-Control-Allow-Origin"] == "'*'"


def test_one_regional_api_serves_png_and_is_staged_as_api(synth: Synthesized) -> None:
    _, api = synth.one("AWS::ApiGateway::RestApi")
    assert api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert {"image/png", "*/*"} <= set(api["Properties"]["BinaryMediaTypes"])
    _, stage = synth.one("AWS::ApiGateway::Stage")
    assert stage["Properties"]["StageName"] == STAGE
    assert stage["Properties"]["TracingEnabled"] is True
    assert "DestinationArn" in stage["Properties"]["AccessLogSetting"]


def test_one_invoke_permission_per_function_scoped_to_this_apis_stage(synth: Synthesized) -> None:
    """A permission per method would add a resource per route and fill Lambda's 20 KB resource policy."""
    api_id, _ = synth.one("AWS::ApiGateway::RestApi")
    permissions = [
        p["Properties"]
        for p in synth.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    http_functions = {synth.function(f"{http_app.module}.app")[0] for http_app in HTTP_APPS}
    assert len(permissions) <= len(synth.of_type("AWS::Lambda::Function"))
    assert sorted(p["FunctionName"]["Fn::GetAtt"][0] for p in permissions) == sorted(http_functions)
    for permission in permissions:
        source = permission["SourceArn"]["Fn::Join"][1]
        assert {"Ref": api_id} in source
        assert source[-1] == f"/{STAGE}/*/*"


def test_the_template_stays_well_under_cloudformations_resource_limit(synth: Synthesized) -> None:
    # CloudFormation refuses a stack of more than 500 resources; leave room for routes and regions to come.
    # Today 447: the API alone is 299 (a method per route, one 405 method per path, a resource per path
    # segment); the alarms and the dashboard are a nested stack, which counts as one.
    assert len(synth.resources) < 450
    assert 0 < len(synth.nested_resources) < 200
