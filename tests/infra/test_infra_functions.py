"""Every function from the one factory; the environment contract; least-privilege spot checks."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest
from constructs import IConstruct
from govrate.kernel.observability import OBSERVED
from govrate.regions.store import RULES_PK

from infra import environment
from infra.http_apps import FUNCTIONS_DIR
from tests.infra.conftest import PROD_UPSTREAM, Synthesized, actions_of, resources_of

# handler -> the variables it gets, beyond Powertools'
Environments = dict[str, dict[str, Any]]

HANDLERS = (
    "relay.handler",
    "case_consumer.handler",
    "intake_api.app",
    "qr_api.app",
    "analyze_job.handler",
    "record_sweep.handler",
    "case_api.app",
    "case_sweep.handler",
    "bad_review_reconciler.handler",
    "integrity_watch.handler",
    "seal_job.handler",
    "upstream_sender.handler",
)


def _ref(synth: Synthesized, construct: IConstruct) -> dict[str, str]:
    return {"Ref": synth.logical_id(construct)}


@pytest.fixture(scope="module")
def expected_environment(synth: Synthesized) -> Environments:
    """The contract the local stack relies on: GOVRATE_* variable -> Ref of the resource, per handler."""
    data, pipeline, analytics = synth.stack.data, synth.stack.pipeline, synth.stack.analytics
    assert synth.stack.staff.user_pool is not None
    (staff_client,) = synth.of_type("AWS::Cognito::UserPoolClient")
    staff_sign_in = {
        environment.STAFF_USER_POOL_ID: _ref(synth, synth.stack.staff.user_pool),
        environment.STAFF_CLIENT_ID: {"Ref": staff_client},
    }
    upstream = synth.stack.upstream
    assert upstream is not None
    return {
        "relay.handler": {
            environment.NEGATIVE_REVIEWS_QUEUE_URL: _ref(synth, pipeline.negative_reviews),
            environment.NOTICE_QUEUE_URL: _ref(synth, pipeline.notices),
            environment.UPSTREAM_QUEUE_URL: _ref(synth, upstream.queue),
        },
        "upstream_sender.handler": {
            environment.UPSTREAM_DEAD_LETTER_QUEUE_URL: _ref(synth, upstream.dead_letters),
            environment.UPSTREAM_URL: PROD_UPSTREAM["url"],
            environment.UPSTREAM_KEY_ID: PROD_UPSTREAM["key_id"],
            environment.UPSTREAM_SECRET_ARN: _ref(synth, upstream.secret),
        },
        "case_consumer.handler": {
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
            environment.REFERENCE_TABLE: _ref(synth, data.reference),
        },
        "intake_api.app": {
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.REFERENCE_TABLE: _ref(synth, data.reference),
            environment.CONTACT_KEY_ID: _ref(synth, data.contact_key),
            environment.QR_SIGNING_SECRET_ARN: _ref(synth, data.qr_signing_key),
            # its content: tests/infra/test_infra_platforms.py
            environment.PLATFORMS: synth.function("intake_api.app")[1]["Environment"]["Variables"][
                environment.PLATFORMS
            ],
            **staff_sign_in,
            # Set by the analytics construct: the public results API reads the published documents.
            environment.ANALYTICS_BUCKET: _ref(synth, analytics.bucket),
        },
        "case_api.app": {
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
            # The catalogue (the agency a case is reassigned to) and the console's sessions.
            environment.REFERENCE_TABLE: _ref(synth, data.reference),
            environment.CONTACT_KEY_ID: _ref(synth, data.contact_key),
            **staff_sign_in,
            # The supervisor dashboard reads the published results.
            environment.ANALYTICS_BUCKET: _ref(synth, analytics.bucket),
        },
        "case_sweep.handler": {
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
        },
        "qr_api.app": {
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.REFERENCE_TABLE: _ref(synth, data.reference),
            environment.CONTACT_KEY_ID: _ref(synth, data.contact_key),
            environment.QR_SIGNING_SECRET_ARN: _ref(synth, data.qr_signing_key),
            **staff_sign_in,
        },
        "analyze_job.handler": {
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.ANALYTICS_BUCKET: _ref(synth, analytics.bucket),
            environment.REFERENCE_TABLE: _ref(synth, data.reference),
            environment.setting("analytics_window_days"): "45",
        },
        "integrity_watch.handler": {
            environment.REFERENCE_TABLE: _ref(synth, data.reference),
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.SUPERVISOR_ALERT_TOPIC_ARN: _ref(synth, synth.stack.watch.topic),
        },
        "seal_job.handler": {
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
            environment.CASES_TABLE: _ref(synth, data.cases),
            environment.SEAL_BUCKET: _ref(synth, synth.stack.integrity.bucket),
            environment.SEAL_KEY_ID: _ref(synth, synth.stack.integrity.key),
            environment.setting("seal_days"): "45",
        },
        "record_sweep.handler": {
            environment.EVALUATIONS_TABLE: _ref(synth, data.evaluations),
            environment.REFERENCE_TABLE: _ref(synth, data.reference),
            environment.QR_SIGNING_SECRET_ARN: _ref(synth, data.qr_signing_key),
            environment.INVITATION_QUEUE_URL: _ref(synth, synth.stack.records.invitations),
            environment.PUBLIC_BASE_URL: synth.function("record_sweep.handler")[1]["Environment"]["Variables"][
                environment.PUBLIC_BASE_URL
            ],
        },
    }


def test_the_factory_made_every_function_alike(synth: Synthesized) -> None:
    functions = synth.of_type("AWS::Lambda::Function")
    assert sorted(f["Properties"]["Handler"] for f in functions.values()) == sorted(HANDLERS)
    domain_layer = {"Ref": synth.logical_id(synth.stack.layers.domain)}
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert domain_layer in props["Layers"]
        assert props["LoggingConfig"]["LogGroup"]["Ref"] in synth.of_type("AWS::Logs::LogGroup")


def test_every_deployed_handler_is_traced_and_logs_a_correlation_id(synth: Synthesized) -> None:
    """Each handler (a plain function, or a Chalice app) wears govrate.kernel.observability's decorator."""
    for function in synth.of_type("AWS::Lambda::Function").values():
        module_name, attribute = function["Properties"]["Handler"].rsplit(".", 1)
        (path,) = FUNCTIONS_DIR.glob(f"*/{module_name}.py")
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        deployed = getattr(importlib.import_module(module_name), attribute)
        assert getattr(deployed, OBSERVED, False), function["Properties"]["Handler"]


def test_environment_is_powertools_plus_exactly_what_each_function_needs(
    synth: Synthesized, expected_environment: Environments
) -> None:
    for handler, expected in expected_environment.items():
        _, props = synth.function(handler)
        variables = dict(props["Environment"]["Variables"])
        assert variables.pop("POWERTOOLS_SERVICE_NAME") == "govrate"
        assert variables.pop("POWERTOOLS_METRICS_NAMESPACE") == "Govrate"
        assert variables.pop("LOG_LEVEL") == "INFO"
        assert variables.pop("POWERTOOLS_TRACER_CAPTURE_RESPONSE") == "false"
        assert synth.resolved(variables) == expected, handler


def test_only_analyze_gets_the_analytics_layer_and_its_size(synth: Synthesized) -> None:
    analytics_layer = {"Ref": synth.logical_id(synth.stack.layers.analytics)}
    for handler in HANDLERS:
        _, props = synth.function(handler)
        assert (analytics_layer in props["Layers"]) == (handler == "analyze_job.handler")
    _, analyze = synth.function("analyze_job.handler")
    assert (analyze["MemorySize"], analyze["Timeout"]) == (2048, 900)
    assert analyze["EphemeralStorage"] == {"Size": 4096}  # a month of facts is downloaded to /tmp


def _touches(statement: dict[str, Any], construct_id: str) -> bool:
    return any(construct_id in str(resource) for resource in resources_of(statement))


def test_no_role_has_an_action_wildcard_or_a_managed_policy(synth: Synthesized) -> None:
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert not any(action == "*" or action.endswith(":*") for action in actions_of(statement))
    functions_roles = {
        f["Properties"]["Role"]["Fn::GetAtt"][0] for f in synth.of_type("AWS::Lambda::Function").values()
    }
    for role_id in functions_roles:
        assert "ManagedPolicyArns" not in (synth.resources | synth.nested_resources)[role_id]["Properties"]


def test_relay_may_only_send_to_the_queues(synth: Synthesized) -> None:
    statements = synth.role_statements("relay.handler")
    negative_reviews = synth.logical_id(synth.stack.pipeline.negative_reviews)
    send = [s for s in statements if "sqs:SendMessage" in actions_of(s)]
    assert any(_touches(s, negative_reviews) for s in send)
    assert not any(
        a.startswith(("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"))
        for s in statements
        for a in actions_of(s)
    )


def test_consumer_writes_cases_and_only_gets_evaluations_and_the_region_rules(synth: Synthesized) -> None:
    data = synth.stack.data
    statements = [
        statement
        for statement in synth.role_statements("case_consumer.handler")
        if any(action.startswith("dynamodb:") for action in actions_of(statement))
    ]
    assert any(_touches(s, synth.logical_id(data.cases)) and "dynamodb:PutItem" in actions_of(s) for s in statements)
    for statement in statements:
        if _touches(statement, synth.logical_id(data.reference)):  # the deadlines of the case's region
            assert actions_of(statement) == {"dynamodb:GetItem", "dynamodb:Query"}
            assert statement["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [RULES_PK]}}
        if _touches(statement, synth.logical_id(data.evaluations)):  # a batch's together, or one
            assert actions_of(statement) == {"dynamodb:BatchGetItem", "dynamodb:GetItem"}
            assert resources_of(statement) == [{"Fn::GetAtt": [synth.logical_id(data.evaluations), "Arn"]}]


def test_intake_writes_evaluations_nonces_limits_and_sessions_only(synth: Synthesized) -> None:
    data = synth.stack.data
    writes = [
        s
        for s in synth.role_statements("intake_api.app")
        if any(a in {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} for a in actions_of(s))
    ]
    reference = [s for s in writes if _touches(s, synth.logical_id(data.reference))]
    assert sorted((sorted(actions_of(s)), s["Condition"]) for s in reference) == sorted(
        [
            (["dynamodb:PutItem"], {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["NONCE#*"]}}),
            (["dynamodb:UpdateItem"], {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["LIMIT#*"]}}),
            (
                ["dynamodb:DeleteItem", "dynamodb:PutItem"],
                {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["SESSION#*", "SIGNIN#*", "DEVICE#*"]}},
            ),
        ],
        key=repr,
    )
    for statement in writes:
        if statement not in reference:
            assert _touches(statement, synth.logical_id(data.evaluations))
            assert not _touches(statement, synth.logical_id(data.cases))


def test_only_qr_and_intake_read_the_signing_key(synth: Synthesized) -> None:
    """QR signs window codes with it; intake verifies the evaluation tickets of service records, and the
    platforms' signatures with their keys. The upstream sender reads the upstream's credentials only."""
    secret = {"Ref": synth.logical_id(synth.stack.data.qr_signing_key)}
    platform_keys = [{"Ref": synth.logical_id(key)} for key in synth.stack.api.platforms.keys.values()]
    assert synth.stack.upstream is not None
    upstream_credentials = {"Ref": synth.logical_id(synth.stack.upstream.secret)}
    for handler in HANDLERS:
        reads = [s for s in synth.role_statements(handler) if "secretsmanager:GetSecretValue" in actions_of(s)]
        readers = {"qr_api.app", "intake_api.app", "record_sweep.handler", "upstream_sender.handler"}
        assert bool(reads) == (handler in readers)
        read = [resource for s in reads for resource in resources_of(s)]
        if handler == "intake_api.app":
            assert sorted(map(str, read)) == sorted(map(str, [secret, *platform_keys]))
        elif handler == "upstream_sender.handler":
            assert read == [upstream_credentials]
        elif reads:
            assert read == [secret]


def test_analyze_queries_the_by_day_indexes_and_touches_the_fact_and_results_prefixes_only(
    synth: Synthesized,
) -> None:
    statements = synth.role_statements("analyze_job.handler")
    evaluations = synth.logical_id(synth.stack.data.evaluations)
    cases = synth.logical_id(synth.stack.data.cases)
    bucket = synth.logical_id(synth.stack.analytics.bucket)
    reference = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.reference), "Arn"]}

    def under(logical_id: str, suffix: str) -> dict[str, Any]:
        return {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, suffix]]}

    # Besides the indexes, only the interference flags' marks (test_infra_watch.py).
    dynamodb = [
        s
        for s in statements
        if any(a.startswith("dynamodb:") for a in actions_of(s)) and resources_of(s) != [reference]
    ]
    assert [(actions_of(s), sorted(resources_of(s), key=str)) for s in dynamodb] == [
        (
            {"dynamodb:Query"},
            sorted(
                [
                    under(evaluations, "/index/by_day"),
                    under(evaluations, "/index/records_by_day"),
                    under(cases, "/index/by_rate_day"),
                    # The catalogue's current items, for the names the results documents carry.
                    under(synth.logical_id(synth.stack.data.reference), "/index/items_by_kind"),
                ],
                key=str,
            ),
        )
    ]
    s3 = [s for s in statements if any(a.startswith("s3:") for a in actions_of(s))]
    assert [(actions_of(s), sorted(resources_of(s), key=str)) for s in s3] == [
        (
            {"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"},
            sorted(
                [
                    under(bucket, "/evaluations/*"),
                    under(bucket, "/cases/*"),
                    under(bucket, "/records/*"),
                    under(bucket, "/results/*"),
                ],
                key=str,
            ),
        ),
        ({"s3:ListBucket"}, [{"Fn::GetAtt": [bucket, "Arn"]}]),
    ]


def test_intake_reads_only_the_published_results_of_the_analytics_bucket(synth: Synthesized) -> None:
    bucket = synth.logical_id(synth.stack.analytics.bucket)
    reads = [
        (actions_of(s), resources_of(s))
        for s in synth.role_statements("intake_api.app")
        if any(a.startswith("s3:") for a in actions_of(s))
    ]
    assert reads == [({"s3:GetObject"}, [{"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/results/v1/*"]]}])]


def test_qr_writes_evaluations_and_reference_reads_cases_and_only_seals_contacts(synth: Synthesized) -> None:
    """The rating pages, kiosks and web module submit through intake's rules; the status page reads
    cases, and a "someone pressed me" report adds one (PutItem, never an update or a delete)."""
    data = synth.stack.data
    statements = synth.role_statements("qr_api.app")
    writes = [
        s
        for s in statements
        if any(a in {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} for a in actions_of(s))
    ]
    written = {
        table
        for table in (data.evaluations, data.reference)
        if any(_touches(s, synth.logical_id(table)) for s in writes)
    }
    assert written == {data.evaluations, data.reference}
    case_writes = {a for s in writes if _touches(s, synth.logical_id(data.cases)) for a in actions_of(s)}
    assert case_writes & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} == {"dynamodb:PutItem"}
    assert any(_touches(s, synth.logical_id(data.cases)) and "dynamodb:GetItem" in actions_of(s) for s in statements)
    contact_key = synth.logical_id(data.contact_key)
    key_actions = {a for s in statements if _touches(s, contact_key) for a in actions_of(s)}
    assert key_actions == {"kms:Encrypt"}
