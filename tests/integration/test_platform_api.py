"""The regional platforms' signed API on moto, driven as API Gateway drives it.

Requests are signed with `requests-http-signature`, exactly as docs/integration.md tells integrators
to, and handed to the intake function as API Gateway's proxy events: Host and the client's path with
the stage prefix in the request context, the routed path apart, the body base64-encoded.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
import time_machine
from boto3.dynamodb.conditions import Key
from govrate import runtime
from govrate.cases.model import AnswerRecord, ContactRecord, TriageDecision, VerificationRecord
from govrate.cases.service import act_on_case, open_case
from govrate.evaluations.models import Channel, NegativeReviewMessage, Stage
from govrate.evaluations.store import StoredEvaluation
from govrate.identity.model import Actor, Role
from govrate.kernel.clock import zone
from govrate.kernel.ids import new_id
from govrate.kernel.scale import Level
from govrate.storage.signing_keys import PlatformKeyRepository
from govrate.upstream.models import RelayedCaseState
from requests_http_signature import HTTPSignatureAuth, algorithms

from tests.integration.conftest import AwsResources
from tests.integration.gateway_support import HOST, STAGE, Answer, deliver

KEY_ID = "tp-2026"
OTHER_KEY_ID = "op-2026"
COVERED = ("@method", "@target-uri", "content-digest")
NOW = datetime.now(zone()).replace(microsecond=0)
RECORD: dict[str, Any] = {
    "record_id": "BJ-2026-000123",
    "item_code": "110105-GA-002",  # accept | approve | deliver
    "agency_code": "110105-GA",
    "region_code": "110105",
    "window_id": "110105-GA-W01",
    "stages": ["accept", "deliver"],
    "completed_at": (NOW - timedelta(days=1)).isoformat(),
    "applicant": {"phone": "13800138000"},
}
HOTLINE: dict[str, Any] = {
    "agency_code": "110105-GA",
    "region_code": "110105",
    "channel": "hotline",
    "level": 2,
    "reason_codes": ["slow"],
    "comment": "12345 热线转来的评价",
    "external_id": "12345-2026-0001",
}
SHENZHEN = {
    "item_code": "440305-SJ-001",
    "agency_code": "440305-SJ",
    "region_code": "440305",
    "channel": "web_module",
    "level": 5,
}


@dataclass(frozen=True)
class Platforms:
    secret: bytes
    secret_arn: str
    other_secret: bytes
    aws: AwsResources


@pytest.fixture
def platforms(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Platforms:
    """Two platforms: Beijing (110000) signing with KEY_ID, Zhejiang (330000) with OTHER_KEY_ID."""
    secrets_manager = boto3.client("secretsmanager")
    secret, other_secret = "k" * 64, "o" * 64
    registry = {
        KEY_ID: {
            "platform_id": "bj-platform",
            "regions": ["110000"],
            "secret_arn": secrets_manager.create_secret(Name="bj", SecretString=secret)["ARN"],
        },
        OTHER_KEY_ID: {
            "platform_id": "zj-platform",
            "regions": ["330000"],
            "secret_arn": secrets_manager.create_secret(Name="zj", SecretString=other_secret)["ARN"],
        },
    }
    monkeypatch.setenv("GOVRATE_PLATFORMS", json.dumps(registry))
    runtime.reset()
    return Platforms(secret.encode(), str(registry[KEY_ID]["secret_arn"]), other_secret.encode(), aws)


def signer(key: bytes, key_id: str = KEY_ID, covered: tuple[str, ...] = COVERED) -> HTTPSignatureAuth:
    return HTTPSignatureAuth(
        signature_algorithm=algorithms.HMAC_SHA256,
        key=key,
        key_id=key_id,
        covered_component_ids=covered,
        use_nonce=True,
    )


def signed(
    platforms: Platforms, path: str, body: Any, *, auth: HTTPSignatureAuth | None = None, prefix: str = f"/{STAGE}"
) -> requests.PreparedRequest:
    """A POST to `https://HOST<prefix><path>`, signed as an integrator signs it."""
    prepared = requests.Request("POST", f"https://{HOST}{prefix}{path}", json=body).prepare()
    signing = auth or signer(platforms.secret)
    signing(prepared)
    return prepared


def post(platforms: Platforms, path: str, body: Any, **kwargs: Any) -> Answer:
    return deliver(signed(platforms, path, body, **kwargs))


def fields(answer: Answer) -> set[str]:
    return {error["field"] for error in answer.body.get("errors", [])}


def register(platforms: Platforms, record: dict[str, Any] = RECORD) -> Answer:
    return post(platforms, "/v1/platform/service-records", record)


def stored_by(aws: AwsResources, platform_id: str) -> list[dict[str, Any]]:
    """The stored evaluations a platform submitted (a Scan: fine for a test table)."""
    table = boto3.resource("dynamodb").Table(aws.evaluations_table)
    items = table.scan()["Items"]
    return [item for item in items if item.get("entity") == "evaluation" and item.get("submitted_by") == platform_id]


# --- authentication ---------------------------------------------------------------------------------


def test_a_signed_record_registration_gets_a_ticket_url_under_the_stage(platforms: Platforms) -> None:
    answer = register(platforms)
    assert answer.status == 201, answer.body
    assert answer.body["replayed"] is False
    assert answer.body["ticket_url"].startswith(f"https://{HOST}/{STAGE}/t/110105.BJ-2026-000123.")


def test_the_target_uri_is_what_the_client_sent_with_the_stage_not_the_routed_path(platforms: Platforms) -> None:
    # Signed for https://HOST/v1/… while the client's path (the request context) is /api/v1/…
    request = signed(platforms, "/v1/platform/service-records", RECORD, prefix="")
    request.url = f"https://{HOST}/{STAGE}/v1/platform/service-records"
    answer = deliver(request)
    assert answer.status == 401
    assert answer.body["type"] == "/problems/unauthenticated"
    assert f"https://{HOST}/{STAGE}/v1/platform/service-records" in answer.body["detail"]


def test_a_tampered_body_fails_its_content_digest(platforms: Platforms) -> None:
    request = signed(platforms, "/v1/platform/service-records", RECORD)
    tampered = json.dumps({**RECORD, "record_id": "BJ-2026-999999"}).encode()
    answer = deliver(request, body=tampered)
    assert answer.status == 401
    assert "Content-Digest does not match" in answer.body["detail"]


def test_a_signature_with_another_key_is_refused(platforms: Platforms) -> None:
    answer = register_with(platforms, signer(b"not the platform's key" * 3))
    assert answer.status == 401
    assert "the signature does not verify (wrong key" in answer.body["detail"]


def test_an_unknown_key_id_is_refused(platforms: Platforms) -> None:
    answer = register_with(platforms, signer(platforms.secret, key_id="nobody-2026"))
    assert answer.status == 401
    assert "unknown key id 'nobody-2026'" in answer.body["detail"]


@pytest.mark.parametrize(
    ("covered", "missing"), [(("@method", "content-digest"), "@target-uri"), (("@target-uri",), "@method")]
)
def test_a_signature_must_cover_method_target_uri_and_digest(
    platforms: Platforms, covered: tuple[str, ...], missing: str
) -> None:
    answer = register_with(platforms, signer(platforms.secret, covered=covered))
    assert answer.status == 401
    assert f'Required component "{missing}"' in answer.body["detail"]


def test_an_unsigned_request_is_refused(platforms: Platforms) -> None:
    prepared = requests.Request("POST", f"https://{HOST}/{STAGE}/v1/platform/evaluations", json=HOTLINE).prepare()
    answer = deliver(prepared)
    assert answer.status == 401
    assert "not signed" in answer.body["detail"]
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_signature_older_than_300_seconds_is_refused(platforms: Platforms) -> None:
    with time_machine.travel(NOW, tick=False):
        request = signed(platforms, "/v1/platform/service-records", RECORD)
    with time_machine.travel(NOW + timedelta(seconds=301), tick=False):
        stale = deliver(request)
    assert stale.status == 401
    assert "at most 300 s" in stale.body["detail"]
    with time_machine.travel(NOW, tick=False):
        request = signed(platforms, "/v1/platform/service-records", RECORD)
    with time_machine.travel(NOW + timedelta(seconds=299), tick=False):
        assert deliver(request).status == 201


def test_a_signature_from_the_future_is_refused(platforms: Platforms) -> None:
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        request = signed(platforms, "/v1/platform/service-records", RECORD)
    with time_machine.travel(NOW, tick=False):
        answer = deliver(request)
    assert answer.status == 401
    assert "in the future" in answer.body["detail"]


def test_a_replayed_request_is_refused_by_its_nonce(platforms: Platforms) -> None:
    signed_at = int(datetime.now(zone()).timestamp())
    request = signed(platforms, "/v1/platform/service-records", RECORD)
    assert deliver(request).status == 201
    replay = deliver(request)
    assert replay.status == 401
    assert "nonce was used before" in replay.body["detail"]
    # The nonce is kept until the signature could no longer be accepted, then DynamoDB's TTL removes it.
    table = boto3.resource("dynamodb").Table(platforms.aws.reference_table)
    nonces = [item for item in table.scan()["Items"] if str(item["pk"]).startswith(f"NONCE#{KEY_ID}#")]
    assert len(nonces) == 1
    assert signed_at + 300 <= int(str(nonces[0]["expires_at"])) <= signed_at + 301


def test_a_signature_without_a_nonce_is_refused(platforms: Platforms) -> None:
    auth = signer(platforms.secret)
    auth.use_nonce = False
    answer = register_with(platforms, auth)
    assert answer.status == 401
    assert "nonce" in answer.body["detail"]


def register_with(platforms: Platforms, auth: HTTPSignatureAuth) -> Answer:
    return post(platforms, "/v1/platform/service-records", RECORD, auth=auth)


# --- service records ----------------------------------------------------------------------------------


def test_a_record_registration_is_idempotent_on_the_record_id(platforms: Platforms) -> None:
    first = register(platforms)
    again = register(platforms)
    assert (first.status, again.status) == (201, 200)
    assert again.body["replayed"] is True
    assert again.body["ticket_url"] == first.body["ticket_url"]
    different = register(platforms, {**RECORD, "stages": ["overall"]})
    assert different.status == 409
    assert different.body["type"] == "/problems/conflict"


def test_a_platform_registers_records_only_for_its_regions(platforms: Platforms) -> None:
    answer = register_with(platforms, signer(platforms.other_secret, key_id=OTHER_KEY_ID))
    assert answer.status == 403
    assert answer.body["type"] == "/problems/forbidden"
    assert fields(answer) == {"region_code"}


# --- evaluations ------------------------------------------------------------------------------------


def test_a_record_is_rated_by_its_platform_without_a_ticket_once_per_stage(platforms: Platforms) -> None:
    assert register(platforms).status == 201
    evaluation = {
        "item_code": "110105-GA-002",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "channel": "window_device",
        "stage": "accept",
        "level": 4,
        "record_id": "BJ-2026-000123",
    }
    first = post(platforms, "/v1/platform/evaluations", evaluation)
    assert first.status == 201, first.body
    assert first.headers["Location"] == first.body["status_url"]
    replay = post(platforms, "/v1/platform/evaluations", evaluation)
    assert (replay.status, replay.body["evaluation_id"], replay.body["replayed"]) == (
        200,
        first.body["evaluation_id"],
        True,
    )
    assert (
        post(platforms, "/v1/platform/evaluations", {**evaluation, "level": 1, "reason_codes": ["slow"]}).status == 409
    )
    (stored,) = stored_by(platforms.aws, "bj-platform")
    assert (stored["channel"], stored["record_id"], stored["stage"]) == ("window_device", "BJ-2026-000123", "accept")


def test_an_evaluation_without_a_record_needs_the_platforms_own_id(platforms: Platforms) -> None:
    anonymous = post(platforms, "/v1/platform/evaluations", {**HOTLINE, "external_id": None})
    assert anonymous.status == 422
    assert fields(anonymous) == {"external_id"}
    accepted = post(platforms, "/v1/platform/evaluations", HOTLINE)
    assert accepted.status == 201
    assert accepted.body["bad_review"] is True
    assert post(platforms, "/v1/platform/evaluations", HOTLINE).status == 200
    (stored,) = stored_by(platforms.aws, "bj-platform")
    assert stored["channel"] == "hotline"


def test_a_platform_posts_evaluations_only_for_its_regions(platforms: Platforms) -> None:
    answer = post(platforms, "/v1/platform/evaluations", {**SHENZHEN, "external_id": "sz-1"})
    assert answer.status == 403
    assert fields(answer) == {"region_code"}


# --- batches ----------------------------------------------------------------------------------------


def mixed_batch() -> list[dict[str, Any]]:
    return [
        HOTLINE,  # accepted
        {**HOTLINE, "external_id": "12345-2026-0002", "level": 5, "reason_codes": []},  # accepted
        {**HOTLINE, "external_id": "12345-2026-0003", "reason_codes": []},  # rejected: a bad review needs reasons
        {**SHENZHEN, "external_id": "sz-1"},  # rejected: not the platform's region
        HOTLINE,  # duplicate of the first
        {**HOTLINE, "level": 1},  # rejected: the first's external id with another evaluation
        {**HOTLINE, "external_id": "12345-2026-0004", "level": 7},  # rejected: no such level
    ]


def statuses(answer: Answer) -> list[tuple[str, int | None]]:
    return [
        (result["status"], result["problem"]["status"] if result["problem"] else None)
        for result in answer.body["results"]
    ]


def test_a_batch_answers_each_item_on_its_own(platforms: Platforms) -> None:
    answer = post(platforms, "/v1/platform/evaluations/batch", {"evaluations": mixed_batch()})
    assert answer.status == 200, answer.body
    assert statuses(answer) == [
        ("accepted", None),
        ("accepted", None),
        ("rejected", 422),
        ("rejected", 403),
        ("duplicate", None),
        ("rejected", 409),
        ("rejected", 422),
    ]
    assert (answer.body["accepted"], answer.body["duplicate"], answer.body["rejected"]) == (2, 1, 4)
    results = answer.body["results"]
    assert [result["index"] for result in results] == list(range(7))
    assert results[4]["evaluation"]["evaluation_id"] == results[0]["evaluation"]["evaluation_id"]
    assert results[2]["problem"]["errors"] == [
        {"field": "reason_codes", "message": "a bad review (level 1 or 2) needs a reason code"}
    ]
    assert results[3]["problem"]["type"] == "/problems/forbidden"
    assert {error["field"] for error in results[6]["problem"]["errors"]} == {"level"}


def test_a_retried_batch_neither_loses_nor_doubles_an_item(platforms: Platforms) -> None:
    first = post(platforms, "/v1/platform/evaluations/batch", {"evaluations": mixed_batch()})
    retried = post(platforms, "/v1/platform/evaluations/batch", {"evaluations": mixed_batch()})
    assert [status for status, _ in statuses(retried)] == [
        "duplicate",
        "duplicate",
        "rejected",
        "rejected",
        "duplicate",
        "rejected",
        "rejected",
    ]
    ids = [result["evaluation"]["evaluation_id"] for result in first.body["results"][:2]]
    assert [result["evaluation"]["evaluation_id"] for result in retried.body["results"][:2]] == ids
    assert sorted(item["evaluation_id"] for item in stored_by(platforms.aws, "bj-platform")) == sorted(ids)


def test_a_batch_of_101_is_refused_whole(platforms: Platforms) -> None:
    batch = [{**HOTLINE, "external_id": f"12345-2026-{n:04d}"} for n in range(101)]
    answer = post(platforms, "/v1/platform/evaluations/batch", {"evaluations": batch})
    assert answer.status == 422
    assert fields(answer) == {"evaluations"}
    assert stored_by(platforms.aws, "bj-platform") == []


@pytest.mark.parametrize("document", [{"evaluations": []}, {"items": [HOTLINE]}, [HOTLINE]])
def test_a_document_that_is_no_batch_is_refused_whole(platforms: Platforms, document: Any) -> None:
    assert post(platforms, "/v1/platform/evaluations/batch", document).status == 422


def test_a_batch_body_over_1_mib_is_413(platforms: Platforms) -> None:
    comment = "长" * 1000
    batch = [{**HOTLINE, "external_id": f"12345-2026-{n:04d}", "comment": comment} for n in range(100)]
    request = requests.Request(
        "POST",
        f"https://{HOST}/{STAGE}/v1/platform/evaluations/batch",
        data=json.dumps({"evaluations": batch, "padding": "x" * 800_000}).encode(),
        headers={"Content-Type": "application/json"},
    ).prepare()
    signer(platforms.secret)(request)
    answer = deliver(request)
    assert answer.status == 413
    assert answer.body["type"] == "/problems/body-too-large"


# --- keys ---------------------------------------------------------------------------------------------


def test_a_rotated_key_is_used_once_the_cached_one_expires(platforms: Platforms) -> None:
    clock: list[float] = [0.0]
    keys = PlatformKeyRepository(60, clock=lambda: clock[0])
    arn = platforms.secret_arn
    assert keys.key(arn) == platforms.secret
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString="n" * 64)
    clock[0] = 59
    assert keys.key(arn) == platforms.secret
    clock[0] = 61
    assert keys.key(arn) == b"n" * 64


# --- the same submission, by meaning ----------------------------------------------------------------

EVALUATION_WITH_INDICATORS: dict[str, Any] = {
    **HOTLINE,
    "item_code": "110105-GA-001",
    "external_id": "12345-2026-meaning",
    "reason_codes": ["slow", "attitude"],
    "mode": "onsite",
    "indicators": {"efficiency": 2, "attitude": 1},
}


@pytest.mark.parametrize(
    "rebuilt",
    [
        pytest.param(
            {
                **EVALUATION_WITH_INDICATORS,
                "indicators": {"attitude": 1, "efficiency": 2},
            },
            id="object keys in another order",
        ),
        pytest.param({**EVALUATION_WITH_INDICATORS, "reason_codes": ["attitude", "slow"]}, id="a set reordered"),
        pytest.param({**EVALUATION_WITH_INDICATORS, "stage": "overall"}, id="a default written out"),
        pytest.param(dict(reversed(EVALUATION_WITH_INDICATORS.items())), id="the document's keys reversed"),
    ],
)
def test_an_evaluation_rebuilt_with_the_same_meaning_is_a_replay(platforms: Platforms, rebuilt: dict[str, Any]) -> None:
    first = post(platforms, "/v1/platform/evaluations", EVALUATION_WITH_INDICATORS)
    assert first.status == 201, first.body
    again = post(platforms, "/v1/platform/evaluations", rebuilt)
    assert again.status == 200, again.body
    assert again.body["replayed"] is True
    assert again.body["evaluation_id"] == first.body["evaluation_id"]


def test_an_evaluation_with_another_meaning_under_the_same_id_is_a_conflict(platforms: Platforms) -> None:
    assert post(platforms, "/v1/platform/evaluations", EVALUATION_WITH_INDICATORS).status == 201
    changed = {**EVALUATION_WITH_INDICATORS, "indicators": {"efficiency": 3, "attitude": 1}}
    assert post(platforms, "/v1/platform/evaluations", changed).status == 409


@pytest.mark.parametrize(
    "rebuilt",
    [
        pytest.param(
            {**RECORD, "completed_at": datetime.fromisoformat(RECORD["completed_at"]).astimezone(UTC).isoformat()},
            id="the same instant in UTC",
        ),
        pytest.param(
            {
                **RECORD,
                "completed_at": datetime.fromisoformat(RECORD["completed_at"])
                .astimezone(UTC)
                .isoformat()
                .replace("+00:00", "Z"),
            },
            id="the same instant with Z",
        ),
        pytest.param({**RECORD, "stages": list(reversed(RECORD["stages"]))}, id="stages reordered"),
        pytest.param({**RECORD, "applicant": {"phone": "13800138000"}, "item_version": None}, id="a default written"),
    ],
)
def test_a_registration_rebuilt_with_the_same_meaning_gets_the_same_ticket(
    platforms: Platforms, rebuilt: dict[str, Any]
) -> None:
    first = register(platforms)
    assert first.status == 201, first.body
    again = register(platforms, rebuilt)
    assert again.status == 200, again.body
    assert again.body["replayed"] is True
    assert again.body["ticket_url"] == first.body["ticket_url"]


# --- outcomes and the change feed -------------------------------------------------------------------

LI = Actor(role=Role.STAFF, subject="li.ming", agency_code="110105-GA", region_code="110105")
# Applied for in Hangzhou (Zhejiang), handled by a Beijing agency (跨省通办): Zhejiang's platform posts it.
TRANS_REGIONAL = {**HOTLINE, "external_id": "ZJ-2026-0001", "applied_region_code": "330106"}


def get(platforms: Platforms, path: str, *, key: bytes | None = None, key_id: str = KEY_ID, **query: Any) -> Answer:
    """A signed GET of `https://HOST/api<path>?<query>`, signed by the same client as the posts."""
    prepared = requests.Request("GET", f"https://{HOST}/{STAGE}{path}", params=query).prepare()
    signer(key or platforms.secret, key_id)(prepared)
    evaluation_id = path.removeprefix("/v1/platform/evaluations/")
    route = (
        ("/v1/platform/evaluations/{evaluation_id}", {"evaluation_id": evaluation_id})
        if "/" not in evaluation_id
        else None
    )
    return deliver(prepared, route=route)


def open_and_answer(evaluation_id: str, *, answered: bool = True) -> None:
    """The case opened as the queue consumer opens it, and answered by the handling agency's staff."""
    stores = runtime.case_stores()
    stored = stores.evaluations.get(evaluation_id)
    message = NegativeReviewMessage(
        evaluation_id=evaluation_id,
        item_code=stored.item_code,
        agency_code=stored.agency_code,
        region_code=stored.region_code,
        level=stored.level,
        created_at=stored.created_at,
    )
    assert open_case(message, stores=stores, now=NOW)
    if not answered:
        return
    for command in (
        ContactRecord(reached=False, channel="phone"),
        VerificationRecord(substantiated=True, finding="内部核实记录"),
        TriageDecision(outcome="explain", note="内部备注"),
        AnswerRecord(message="已核实并说明，感谢监督。"),
    ):
        act_on_case(evaluation_id, command, actor=LI, stores=stores, now=NOW)


def test_a_platform_gets_the_outcome_of_an_evaluation_in_its_regions_and_404_elsewhere(platforms: Platforms) -> None:
    evaluation_id = post(platforms, "/v1/platform/evaluations", HOTLINE).body["evaluation_id"]
    open_and_answer(evaluation_id)

    answer = get(platforms, f"/v1/platform/evaluations/{evaluation_id}")

    assert answer.status == 200, answer.body
    assert answer.headers["Cache-Control"] == "no-store"
    case = answer.body["case"]
    assert (case["state"], case["answer"], case["awaiting_rating"]) == ("answered", "已核实并说明，感谢监督。", True)
    assert case["verify_due_at"] and case["answer_due_at"] and case["changed_at"]
    assert "内部" not in json.dumps(answer.body, ensure_ascii=False)
    elsewhere = get(
        platforms, f"/v1/platform/evaluations/{evaluation_id}", key=platforms.other_secret, key_id=OTHER_KEY_ID
    )
    unknown = get(platforms, "/v1/platform/evaluations/01K0000000000000000000000X")
    for refused in (elsewhere, unknown):
        assert (refused.status, refused.body["type"]) == (404, "/problems/not-found")


def test_a_relayed_bad_reviews_outcome_shows_the_newest_relayed_state_of_its_case(platforms: Platforms) -> None:
    created = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    evaluation_id = new_id(created)
    runtime.evaluation_repository().add(  # as the relay stores it
        StoredEvaluation(
            evaluation_id=evaluation_id,
            item_code=None,
            agency_code="110105-GA",
            region_code="110105",
            channel=Channel.HOTLINE,
            stage=Stage.OVERALL,
            level=Level(1),
            comment=None,
            created_at=created,
            receipt_hash="",
            submitted_by="chaoyang-stage",
            relayed_by="chaoyang-stage",
        )
    )
    assert get(platforms, f"/v1/platform/evaluations/{evaluation_id}").body["case"] is None
    answered = {
        "case_id": evaluation_id,
        "agency_code": "110105-RS",
        "region_code": "110105",
        "state": "answered",
        "version": 8,
        "opened_at": created + timedelta(seconds=3),
        "evaluated_at": created,
        "answered_at": created + timedelta(days=2),
        "answered_within_deadline": True,
    }
    case_states = runtime.relayed_case_states()
    for state in (answered, {**answered, "state": "verified", "version": 4, "answered_at": None}):
        case_states.apply(RelayedCaseState.model_validate(state), "chaoyang-stage")

    case = get(platforms, f"/v1/platform/evaluations/{evaluation_id}").body["case"]

    assert (case["state"], case["agency_code"], case["relayed_by"]) == ("answered", "110105-RS", "chaoyang-stage")
    assert datetime.fromisoformat(case["answered_at"]) == created + timedelta(days=2)
    assert (case["answered_within_deadline"], case["awaiting_rating"], case["reopen_count"]) == (True, True, 0)
    assert [case[field] for field in ("answer", "verify_due_at", "answer_due_at", "changed_at", "due_at")] == [None] * 5


def test_a_get_signed_without_a_digest_verifies_and_a_changed_query_does_not(platforms: Platforms) -> None:
    bare = requests.Request("GET", f"https://{HOST}/{STAGE}/v1/platform/evaluations", params={"limit": 5}).prepare()
    signer(platforms.secret, covered=("@method", "@target-uri"))(bare)
    assert "Content-Digest" not in bare.headers or bare.headers["Content-Digest"]
    assert deliver(bare).status == 200
    tampered = requests.Request("GET", f"https://{HOST}/{STAGE}/v1/platform/evaluations", params={"limit": 5}).prepare()
    signer(platforms.secret)(tampered)
    tampered.url = f"https://{HOST}/{STAGE}/v1/platform/evaluations?limit=6"
    answer = deliver(tampered)
    assert answer.status == 401
    assert "does not verify" in answer.body["detail"]


def test_the_change_feed_pages_exactly_through_the_changes_of_the_platforms_regions(platforms: Platforms) -> None:
    first = post(platforms, "/v1/platform/evaluations", HOTLINE).body["evaluation_id"]
    second = post(platforms, "/v1/platform/evaluations", {**HOTLINE, "external_id": "12345-2026-0002"}).body[
        "evaluation_id"
    ]
    open_and_answer(first)
    open_and_answer(second)
    seen: list[tuple[str, str]] = []
    since: dict[str, Any] = {}
    for _ in range(10):
        page = get(platforms, "/v1/platform/evaluations", limit=3, **since)
        assert page.status == 200, page.body
        seen += [(change["evaluation_id"], change["case"]["state"]) for change in page.body["changes"]]
        since = {"since": page.body["next_cursor"]}
        if not page.body["more"]:
            break
    states = ["received", "contacted", "verified", "triaged", "answered"]
    assert [state for evaluation_id, state in seen if evaluation_id == first] == states
    assert [state for evaluation_id, state in seen if evaluation_id == second] == states
    assert len(seen) == 10
    assert get(platforms, "/v1/platform/evaluations", **since).body["changes"] == []
    zhejiang = get(platforms, "/v1/platform/evaluations", key=platforms.other_secret, key_id=OTHER_KEY_ID)
    assert zhejiang.body["changes"] == []
    borrowed = get(platforms, "/v1/platform/evaluations", key=platforms.other_secret, key_id=OTHER_KEY_ID, **since)
    assert (borrowed.status, fields(borrowed)) == (422, {"since"})  # Beijing's cursor is not Zhejiang's


def test_a_cursor_of_no_feed_is_a_problem_naming_since(platforms: Platforms) -> None:
    answer = get(platforms, "/v1/platform/evaluations", since="bm90LWEtY3Vyc29y")
    assert (answer.status, answer.body["type"], fields(answer)) == (422, "/problems/validation-error", {"since"})
    too_many = get(platforms, "/v1/platform/evaluations", limit=501)
    assert (too_many.status, fields(too_many)) == (422, {"limit"})


def beijing_feed(aws: AwsResources) -> list[tuple[int, str]]:
    """The Beijing feed's changes as stored: number and evaluation id."""
    table = boto3.resource("dynamodb").Table(aws.cases_table)
    feed = table.query(KeyConditionExpression=Key("pk").eq("FEED#110000") & Key("sk").begins_with("CHANGE#"))
    return [(int(str(item["seq"])), str(item["evaluation_id"])) for item in feed["Items"]]


def test_changes_written_at_once_are_each_in_the_feed_once_numbered_without_a_gap(platforms: Platforms) -> None:
    ids = [
        post(platforms, "/v1/platform/evaluations", {**HOTLINE, "external_id": f"12345-2026-{n:04d}"}).body[
            "evaluation_id"
        ]
        for n in range(6)
    ]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda evaluation_id: open_and_answer(evaluation_id, answered=False), ids))
    feed = beijing_feed(platforms.aws)
    assert [seq for seq, _ in feed] == [1, 2, 3, 4, 5, 6]
    assert sorted(evaluation_id for _, evaluation_id in feed) == sorted(ids)


def test_a_change_that_lost_the_feeds_head_is_written_after_the_winner_not_refused(
    platforms: Platforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (
        post(platforms, "/v1/platform/evaluations", {**HOTLINE, "external_id": f"12345-2026-{n:04d}"}).body[
            "evaluation_id"
        ]
        for n in (1, 2)
    )
    open_and_answer(first, answered=False)
    repository = runtime.case_repository()
    read_head = repository.feed_head
    stale = [0]  # the second change read the head before the first one committed
    monkeypatch.setattr(repository, "feed_head", lambda province: stale.pop() if stale else read_head(province))

    open_and_answer(second)

    feed = beijing_feed(platforms.aws)
    assert feed[:2] == [(1, first), (2, second)]
    assert [seq for seq, _ in feed] == list(range(1, 7))


def test_a_trans_regional_review_is_handled_by_the_handling_agency_and_followed_by_both_platforms(
    platforms: Platforms,
) -> None:
    # Beijing's platform may post neither for Shenzhen nor for Hangzhou.
    refused = post(
        platforms, "/v1/platform/evaluations", {**TRANS_REGIONAL, "region_code": "440305", "agency_code": "440305-SJ"}
    )
    assert (refused.status, fields(refused)) == (403, {"region_code"})
    posted = post(
        platforms, "/v1/platform/evaluations", TRANS_REGIONAL, auth=signer(platforms.other_secret, OTHER_KEY_ID)
    )
    assert posted.status == 201, posted.body
    evaluation_id = posted.body["evaluation_id"]
    open_and_answer(evaluation_id)  # by the Beijing agency's staff: the case is theirs

    assert runtime.case_repository().get(evaluation_id).agency_code == "110105-GA"
    for key, key_id in ((platforms.secret, KEY_ID), (platforms.other_secret, OTHER_KEY_ID)):
        outcome = get(platforms, f"/v1/platform/evaluations/{evaluation_id}", key=key, key_id=key_id)
        assert (outcome.status, outcome.body["applied_region_code"]) == (200, "330106")
        assert outcome.body["case"]["state"] == "answered"
        feed = get(platforms, "/v1/platform/evaluations", key=key, key_id=key_id).body["changes"]
        assert [change["case"]["state"] for change in feed] == [
            "received",
            "contacted",
            "verified",
            "triaged",
            "answered",
        ]
        assert {change["applied_region_code"] for change in feed} == {"330106"}
