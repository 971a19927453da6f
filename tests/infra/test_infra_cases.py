"""The case loop in the cloud: the staff user pool, the case API's function and the overdue sweep."""

from __future__ import annotations

from infra import environment
from tests.infra.conftest import EXISTING_STAFF_POOL, Synthesized, actions_of, resources_of


def test_staff_accounts_are_created_by_administrators_and_carry_no_authority_in_attributes(
    synth: Synthesized,
) -> None:
    _, pool = synth.one("AWS::Cognito::UserPool")
    properties = pool["Properties"]
    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    # Role, agency and division are groups (govrate.identity.auth): no custom attribute exists to forge.
    assert not [attribute for attribute in properties.get("Schema", []) if "AttributeDataType" in attribute]
    assert properties["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["DeletionPolicy"] == "Retain"

    _, client = synth.one("AWS::Cognito::UserPoolClient")
    client_properties = client["Properties"]
    assert client_properties["GenerateSecret"] is False
    assert sorted(client_properties["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert sorted(client_properties["ReadAttributes"]) == ["email", "preferred_username"]
    assert sorted(client_properties["WriteAttributes"]) == ["email", "preferred_username"]
    assert client_properties["EnableTokenRevocation"] is True
    # No OAuth flow, scope or callback: the console signs in on the server with the password flow.
    for unused in (
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "CallbackURLs",
        "LogoutURLs",
    ):
        assert not client_properties.get(unused), unused
    assert client_properties.get("AllowedOAuthFlowsUserPoolClient") in (None, False)
    assert client_properties["AccessTokenValidity"] <= 60 and client_properties["TokenValidityUnits"][
        "AccessToken"
    ] == ("minutes")


def test_functions_that_verify_staff_tokens_know_the_pool_and_its_client(synth: Synthesized) -> None:
    assert synth.stack.staff.user_pool is not None
    pool = {"Ref": synth.logical_id(synth.stack.staff.user_pool)}
    (client,) = [{"Ref": logical_id} for logical_id in synth.of_type("AWS::Cognito::UserPoolClient")]
    for handler in ("case_api.app", "intake_api.app", "qr_api.app"):
        _, function = synth.function(handler)
        variables = function["Environment"]["Variables"]
        assert variables[environment.STAFF_USER_POOL_ID] == pool, handler
        assert variables[environment.STAFF_CLIENT_ID] == client, handler


def test_only_the_case_api_may_decrypt_contact_data(synth: Synthesized) -> None:
    key = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.contact_key), "Arn"]}
    decrypting = {
        handler
        for handler in ("case_api.app", "intake_api.app", "qr_api.app", "case_consumer.handler", "case_sweep.handler")
        if any(
            "kms:Decrypt" in actions_of(statement) and key in resources_of(statement)
            for statement in synth.role_statements(handler)
        )
    }
    assert decrypting == {"case_api.app"}


def test_the_case_api_writes_cases_and_only_reads_evaluations(synth: Synthesized) -> None:
    evaluations = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.evaluations), "Arn"]}
    on_evaluations = [
        actions_of(statement)
        for statement in synth.role_statements("case_api.app")
        if evaluations in resources_of(statement)
    ]
    assert on_evaluations == [{"dynamodb:GetItem"}]
    cases = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.cases), "Arn"]}
    assert any(
        "dynamodb:PutItem" in actions_of(statement) and cases in resources_of(statement)
        for statement in synth.role_statements("case_api.app")
    )


def test_the_overdue_sweep_runs_every_15_minutes_with_least_privilege(synth: Synthesized) -> None:
    assert synth.schedule_of("case_sweep.handler")["ScheduleExpression"] == "rate(15 minutes)"
    cases = synth.logical_id(synth.stack.data.cases)
    table_arn = {"Fn::GetAtt": [cases, "Arn"]}
    dynamodb = [
        (actions_of(statement), statement["Resource"])
        for statement in synth.role_statements("case_sweep.handler")
        if any(action.startswith("dynamodb:") for action in actions_of(statement))
    ]
    assert dynamodb == [
        ({"dynamodb:Query"}, {"Fn::Join": ["", [table_arn, "/index/by_due"]]}),
        ({"dynamodb:GetItem", "dynamodb:PutItem"}, table_arn),
    ]


def test_with_a_staff_pool_in_another_region_the_stack_creates_none_and_the_functions_verify_its_tokens(
    synth_with_existing_staff_pool: Synthesized,
) -> None:
    synthesized = synth_with_existing_staff_pool
    assert not synthesized.of_type("AWS::Cognito::UserPool")
    # An API Gateway Cognito authorizer can only name a pool of its own region.
    assert not synthesized.of_type("AWS::ApiGateway::Authorizer")
    assert {m["Properties"]["AuthorizationType"] for m in synthesized.of_type("AWS::ApiGateway::Method").values()} == {
        "NONE"
    }
    for handler in ("case_api.app", "intake_api.app", "qr_api.app"):
        variables = synthesized.function(handler)[1]["Environment"]["Variables"]
        assert variables[environment.STAFF_USER_POOL_ID] == EXISTING_STAFF_POOL["userPoolId"]
        assert variables[environment.STAFF_CLIENT_ID] == EXISTING_STAFF_POOL["clientId"]


def test_staff_methods_take_access_tokens_and_gateway_answers_echo_nothing(synth: Synthesized) -> None:
    staff_methods = [
        method["Properties"]
        for method in synth.resources.values()
        if method["Type"] == "AWS::ApiGateway::Method"
        and method["Properties"].get("AuthorizationType") == "COGNITO_USER_POOLS"
    ]
    assert staff_methods
    assert all(m["AuthorizationScopes"] == ["aws.cognito.signin.user.admin"] for m in staff_methods)
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.resources.values()
        if r["Type"] == "AWS::ApiGateway::GatewayResponse"
    }
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"):
        template = responses[kind]["ResponseTemplates"]["application/json"]
        assert "$context" not in template and "$input" not in template and "message" not in template, kind
        assert responses[kind]["ResponseParameters"]["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    not_allowed = [
        method["Properties"]
        for method in synth.resources.values()
        if method["Type"] == "AWS::ApiGateway::Method" and method["Properties"]["HttpMethod"] == "ANY"
    ]
    assert not_allowed and all(m["Integration"]["Type"] == "MOCK" for m in not_allowed)
    assert all(m["Integration"]["IntegrationResponses"][0]["StatusCode"] == "405" for m in not_allowed)


def test_functions_write_only_the_session_key_space_of_the_reference_table(synth: Synthesized) -> None:
    reference = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.reference), "Arn"]}
    for handler in ("case_api.app", "intake_api.app"):
        writes = [
            statement
            for statement in synth.role_statements(handler)
            if reference in resources_of(statement) and "dynamodb:DeleteItem" in actions_of(statement)
        ]
        assert len(writes) == 1, handler
        leading = writes[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert sorted(leading) == ["DEVICE#*", "SESSION#*", "SIGNIN#*"], handler


def test_the_qr_function_only_adds_items_to_the_cases_table(synth: Synthesized) -> None:
    # A citizen's report of being pressed to rate opens a supervision case; no page changes a case.
    cases = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.cases), "Arn"]}
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    granted = [
        actions_of(statement) for statement in synth.role_statements("qr_api.app") if cases in resources_of(statement)
    ]
    assert set().union(*granted) & writes == {"dynamodb:PutItem"}
