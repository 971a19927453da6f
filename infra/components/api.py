"""One REST API whose routes are read from the Chalice apps, so that a route is declared only once."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from govrate.identity.ports import KEY_PREFIXES as SESSION_KEY_PREFIXES
from govrate.integrity.counters import LIMIT_KEY_PREFIX
from govrate.web.operations import Auth

from infra import environment
from infra.components.data import Data, grant_data
from infra.components.functions import FunctionFactory, FunctionSpec
from infra.components.platforms import Platforms
from infra.components.staff import Staff
from infra.config import PlatformContext
from infra.http_apps import CASES, INTAKE, QR, HttpApp
from infra.nag import accepted

STAGE = "api"
# Memory of each HTTP function (intake, QR, cases); Lambda gives CPU in proportion to it. `make bench`
# prices an evaluation at this size.
HTTP_FUNCTION_MEMORY_MB = 256
# API Gateway turns a base64 body from Lambda back into bytes only when the request's *first* Accept
# type is a binary media type; an <img> asks for image/avif or image/webp first, so the QR PNGs need
# "*/*". Requests then reach Lambda base64-encoded, which Chalice decodes by itself.
BINARY_MEDIA_TYPES = ("image/png", "*/*")


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        platforms: Sequence[PlatformContext],
        staff: Staff,
    ) -> None:
        super().__init__(scope, construct_id)
        self.platforms = Platforms(self, "Platforms", platforms=platforms)
        staff_sign_in = {
            environment.STAFF_USER_POOL_ID: staff.user_pool_id,
            environment.STAFF_CLIENT_ID: staff.client_id,
        }
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=factory.retention.log_retention,
            removal_policy=factory.retention.removal_policy,
        )
        self.rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{Stack.of(self).stack_name}-api",
            description="Govrate: evaluations, QR codes, rating pages and bad-review cases",
            # Edge-optimized endpoints do not exist in the China regions.
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            binary_media_types=list(BINARY_MEDIA_TYPES),
            # Execution logs (below) need the account's API Gateway logging role.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
                tracing_enabled=True,
            ),
        )

        # Refuses a staff route's request without a valid access token of the staff pool before a
        # function runs; the functions verify the token again (govrate.identity.auth), as they must locally
        # and with a pool in another region, which no authorizer can reference.
        self.authorizers: dict[Auth, apigateway.IAuthorizer] = {}
        if staff.user_pool is not None:
            self.authorizers[Auth.STAFF] = apigateway.CognitoUserPoolsAuthorizer(
                self,
                "StaffAuthorizer",
                cognito_user_pools=[staff.user_pool],
                identity_source=apigateway.IdentitySource.header("Authorization"),
                results_cache_ttl=Duration.minutes(1),
            )
        _customize_gateway_responses(self.rest_api)

        self.intake = intake = self._serve(
            factory,
            INTAKE,
            {
                environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                environment.CASES_TABLE: data.cases.table_name,
                environment.REFERENCE_TABLE: data.reference.table_name,
                environment.CONTACT_KEY_ID: data.contact_key.key_id,
                environment.QR_SIGNING_SECRET_ARN: data.qr_signing_key.secret_arn,
                environment.PLATFORMS: self.platforms.registry(),
                **staff_sign_in,
            },
        )
        grant_data(data.evaluations, intake, write=True)
        grant_data(data.cases, intake)
        grant_data(data.reference, intake)
        # The console's paper-form pages read and refresh the staff member's session.
        _grant_sessions(data, intake)
        # Verifies the evaluation tickets of service records (same secret as the QR codes, another salt).
        data.qr_signing_key.grant_read(intake)
        # Seals contact data; reading it back is for the handlers of the evaluator's case only.
        data.contact_key.grant(intake, "kms:Encrypt")
        self.platforms.grant_verify(intake, data)
        # The abuse-limit counters of the public endpoint (only `LIMIT#…` items).
        intake.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem"],
                resources=[data.reference.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{LIMIT_KEY_PREFIX}*"]}},
            )
        )
        self.platforms.add_usage_plans(self.rest_api)

        self.qr = qr = self._serve(
            factory,
            QR,
            {
                environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                environment.CASES_TABLE: data.cases.table_name,
                environment.REFERENCE_TABLE: data.reference.table_name,
                environment.CONTACT_KEY_ID: data.contact_key.key_id,
                environment.QR_SIGNING_SECRET_ARN: data.qr_signing_key.secret_arn,
                **staff_sign_in,
            },
        )
        # Windows, kiosks' transactions and site keys live in the reference table.
        grant_data(data.reference, qr, write=True)
        # The rating pages, kiosks and web module submit through intake's rules (evaluations written once),
        # and the evaluator's status page reads the case of a bad review.
        grant_data(data.evaluations, qr, write=True)
        grant_data(data.cases, qr)
        # A citizen's report of being pressed to rate opens a supervision case: new items only (a case and
        # its first audit entry, in one conditional transaction), never a change to an existing one.
        qr.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[data.cases.table_arn]))
        data.qr_signing_key.grant_read(qr)
        data.contact_key.grant(qr, "kms:Encrypt")

        cases = self._serve(
            factory,
            CASES,
            {
                environment.CASES_TABLE: data.cases.table_name,
                environment.EVALUATIONS_TABLE: data.evaluations.table_name,
                environment.REFERENCE_TABLE: data.reference.table_name,
                environment.CONTACT_KEY_ID: data.contact_key.key_id,
                **staff_sign_in,
            },
        )
        self.cases = cases
        # Cases and their audit chains; the evaluation behind a case for the evaluator's receipt.
        grant_data(data.cases, cases, write=True)
        cases.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[data.evaluations.table_arn])
        )
        # The only function that opens an evaluator's contact: for the handlers of that case, audited.
        data.contact_key.grant_decrypt(cases)
        # The catalogue, for the agency a case is reassigned to; the console's sessions and sign-in limits.
        grant_data(data.reference, cases)
        _grant_sessions(data, cases)

        Validations.of(self.rest_api).acknowledge(
            accepted(
                "APIG2",
                "Requests are validated in the functions (pydantic), which answer with "
                "application/problem+json and the offending field paths; API Gateway's validator cannot.",
            ),
            accepted(
                "APIG4",
                "Staff routes use the Cognito authorizer (with a staff pool in another region, the functions' "
                "token verification: no authorizer can reference it). The others are public by design (citizens rate "
                "anonymously; the evaluator's routes check the receipt, the console its session cookie in the "
                "function) or verify HTTP Message Signatures (RFC 9421, HMAC with per-platform keys), which no "
                "API Gateway authorizer type can check.",
            ),
            accepted(
                "COG4",
                "Only staff routes carry staff identities, and they use the Cognito authorizer; the other routes "
                "are public or signed, for the reasons given for AwsSolutions-APIG4.",
            ),
            accepted(
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-wide logging role, needed for the execution logs; the AWS-maintained "
                "policy allows CloudWatch Logs actions only.",
            ),
        )

    def _serve(self, factory: FunctionFactory, http_app: HttpApp, env: Mapping[str, str]) -> lambda_.Function:
        """The app's function, with every route of the Chalice app as a method of the REST API; staff
        routes behind the staff authorizer."""
        function = factory.create(
            self,
            http_app.construct_id,
            FunctionSpec(
                code=http_app.code,
                handler=f"{http_app.module}.app",
                description=http_app.description,
                environment=env,
                memory_size=HTTP_FUNCTION_MEMORY_MB,
            ),
        )
        _mirror_routes(http_app, self.rest_api.root, _proxy_integration(function), self.authorizers)
        # One invoke permission for all of the function's methods, scoped to this API's stage: a permission
        # per method would add a resource per route and fill the function's 20 KB resource policy.
        function.add_permission(
            "InvokedByApi",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.rest_api.arn_for_execute_api(method="*", path="/*", stage=STAGE),
        )
        return function


def _grant_sessions(data: Data, function: lambda_.Function) -> None:
    """Write the console's sessions, sign-in attempts and trusted devices, and nothing else of the
    reference table (govrate.identity.store)."""
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:PutItem", "dynamodb:DeleteItem"],
            resources=[data.reference.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{p}*" for p in SESSION_KEY_PREFIXES]}},
        )
    )


# The scope of every access token that Cognito's own sign-in (USER_PASSWORD_AUTH) issues.
STAFF_TOKEN_SCOPE = "aws.cognito.signin.user.admin"  # noqa: S105 (an OAuth scope name)
# API Gateway's own answers, before any function runs. Its defaults echo parts of the request (an
# unknown path's message quotes the caller's Authorization header); these echo nothing.
GATEWAY_RESPONSES: dict[apigateway.ResponseType, tuple[str, int, str]] = {
    apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN: ("not-found", 404, "Not found"),
    apigateway.ResponseType.RESOURCE_NOT_FOUND: ("not-found", 404, "Not found"),
    apigateway.ResponseType.UNAUTHORIZED: ("unauthenticated", 401, "Not authenticated"),
    apigateway.ResponseType.ACCESS_DENIED: ("forbidden", 403, "Forbidden"),
    apigateway.ResponseType.EXPIRED_TOKEN: ("unauthenticated", 401, "Not authenticated"),
    apigateway.ResponseType.INVALID_API_KEY: ("forbidden", 403, "Forbidden"),
    apigateway.ResponseType.INVALID_SIGNATURE: ("forbidden", 403, "Forbidden"),
    apigateway.ResponseType.THROTTLED: ("too-many-requests", 429, "Too many requests"),
    apigateway.ResponseType.QUOTA_EXCEEDED: ("too-many-requests", 429, "Too many requests"),
    apigateway.ResponseType.REQUEST_TOO_LARGE: ("body-too-large", 413, "The request body is too large"),
    apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE: ("unsupported-media-type", 415, "Unsupported media type"),
    apigateway.ResponseType.DEFAULT_4_XX: ("bad-request", 400, "Bad request"),
    apigateway.ResponseType.DEFAULT_5_XX: ("unavailable", 503, "Temporarily unavailable, retry later"),
}
# The headers every answer carries (govrate.web.chalice_edge.SECURITY_HEADERS and its default CSP).
GATEWAY_RESPONSE_HEADERS = {
    "Content-Type": "'application/problem+json'",
    "X-Content-Type-Options": "'nosniff'",
    "Strict-Transport-Security": "'max-age=31536000; includeSubDomains'",
    # A directive without quotes (API Gateway's static values are quoted): no script, no plugin, no form.
    "Content-Security-Policy": "'sandbox'",
    "X-Frame-Options": "'DENY'",
}


def _customize_gateway_responses(rest_api: apigateway.RestApi) -> None:
    """Problem documents with a fixed text for API Gateway's own answers: a path that does not exist
    (403 MISSING_AUTHENTICATION_TOKEN in API Gateway's terms) answers 404. An undeclared method of a
    declared path is the mock ANY method's 405 (`_add_method_not_allowed`)."""
    for response_type, (kind, status, title) in GATEWAY_RESPONSES.items():
        body = json.dumps({"type": f"/problems/{kind}", "title": title, "status": status})
        rest_api.add_gateway_response(
            f"Gateway{response_type.response_type}",
            type=response_type,
            status_code=str(status),
            response_headers=GATEWAY_RESPONSE_HEADERS,
            templates={"application/json": body},
        )


def _proxy_integration(function: lambda_.IFunction) -> apigateway.Integration:
    """A Lambda proxy integration that, unlike LambdaIntegration, adds no permission of its own."""
    return apigateway.Integration(
        type=apigateway.IntegrationType.AWS_PROXY,
        integration_http_method="POST",
        uri=Stack.of(function).format_arn(
            service="apigateway",
            account="lambda",
            resource="path",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            resource_name=f"2015-03-31/functions/{function.function_arn}/invocations",
        ),
    )


def _mirror_routes(
    http_app: HttpApp,
    root: apigateway.IResource,
    integration: apigateway.Integration,
    authorizers: Mapping[Auth, apigateway.IAuthorizer],
) -> None:
    """Every (path, method) of the Chalice app as a proxy method (requiring an API key where the route
    does, and the authorizer of its declared Auth where there is one), and a CORS preflight where a
    route has CORS."""
    declared_auth = {(path, method): operation.auth for path, method, operation in http_app.operations()}
    for path, methods in sorted(http_app.chalice_app().routes.items()):
        resource = root.resource_for_path(path)
        cors_configs = []
        for method, route in sorted(methods.items()):
            # Anything API Gateway would have to enforce for the app must not be silently dropped.
            if route.authorizer is not None:
                raise ValueError(f"{method} {path}: Chalice authorizers are not mirrored; declare Operation.auth")
            authorizer = authorizers.get(declared_auth.get((path, method), Auth.PUBLIC))
            resource.add_method(
                method,
                integration,
                api_key_required=bool(route.api_key_required),
                authorizer=authorizer,
                # With a scope, the Cognito authorizer takes access tokens (and refuses ID tokens).
                authorization_scopes=[STAFF_TOKEN_SCOPE] if authorizer is not None else None,
            )
            if route.cors is not None:
                cors_configs.append(route.cors)
        _add_method_not_allowed(resource, sorted(methods))
        if cors_configs:
            # Chalice refuses differing CORS configurations on one path, so the first speaks for all.
            _add_preflight(resource, cors_configs[0].get_access_control_headers(), sorted(methods))


def _add_method_not_allowed(resource: apigateway.IResource, methods: list[str]) -> None:
    """Every other method of a declared path: 405 with Allow (API Gateway prefers a declared method
    to ANY), answered by API Gateway itself."""
    allowed = ", ".join(methods)
    body = json.dumps({"type": "/problems/method-not-allowed", "title": "Method not allowed", "status": 405})
    headers = {f"method.response.header.{name}": value for name, value in GATEWAY_RESPONSE_HEADERS.items()}
    headers["method.response.header.Allow"] = f"'{allowed}'"
    method = resource.add_method(
        "ANY",
        apigateway.MockIntegration(
            request_templates={"application/json": '{"statusCode": 405}'},
            integration_responses=[
                apigateway.IntegrationResponse(
                    status_code="405", response_templates={"application/json": body}, response_parameters=headers
                )
            ],
        ),
        method_responses=[
            apigateway.MethodResponse(status_code="405", response_parameters=dict.fromkeys(headers, True))
        ],
    )
    cast(apigateway.CfnMethod, method.node.default_child).add_property_override(
        "Integration.ContentHandling", "CONVERT_TO_TEXT"
    )


def _add_preflight(resource: apigateway.IResource, headers: Mapping[str, str], methods: list[str]) -> None:
    def listed(name: str) -> list[str] | None:
        value = headers.get(name)
        return value.split(",") if value else None

    def when(name: str, convert: Callable[[str], Any]) -> Any:
        value = headers.get(name)
        return convert(value) if value else None

    preflight = resource.add_cors_preflight(
        allow_origins=[headers["Access-Control-Allow-Origin"]],
        allow_headers=listed("Access-Control-Allow-Headers"),
        allow_methods=methods,
        expose_headers=listed("Access-Control-Expose-Headers"),
        max_age=when("Access-Control-Max-Age", lambda seconds: Duration.seconds(int(seconds))),
        allow_credentials=when("Access-Control-Allow-Credentials", lambda flag: flag == "true"),
    )
    # With "*/*" a binary media type, the mock integration would try to pass the (empty) body through
    # as binary and answer 500; it must treat it as text.
    cast(apigateway.CfnMethod, preflight.node.default_child).add_property_override(
        "Integration.ContentHandling", "CONVERT_TO_TEXT"
    )
