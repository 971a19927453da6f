"""Staff tokens and who may touch which case: no network, keys made here."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from govrate.cases.model import Case
from govrate.cases.service import authorize
from govrate.evaluations.models import CaseState
from govrate.identity.auth import (
    REVOCATION_CHECK_S,
    JwksCache,
    NotSignedIn,
    StaffAuthenticator,
    TokenVerifier,
    bearer_token,
)
from govrate.identity.model import Actor, Role
from govrate.kernel import divisions
from govrate.kernel.divisions import DivisionLevel, enclosing, level_of
from govrate.kernel.errors import Forbidden
from govrate.kernel.scale import Level

ISSUER = "https://cognito-idp.ap-east-1.amazonaws.com/ap-east-1_Test"
CLIENT_ID = "console-client"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HMAC_SECRET = "an HMAC secret of thirty-two bytes"
NOW = datetime(2025, 9, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))
STAFF_GROUPS = ["role:staff", "agency:110105-GA", "division:110105"]
STAFF_CLAIMS = {"sub": "sub-li", "username": "li.ming", "jti": "jti-1", "cognito:groups": STAFF_GROUPS}


def jwks() -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}


class CountingFetch:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, url: str) -> Mapping[str, Any]:
        self.calls += 1
        return jwks()


def token(claims: Mapping[str, Any] | None = None, *, key: Any = KEY, kid: str = "k1", **overrides: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "iat": now,
        "exp": now + 3600,
        **(STAFF_CLAIMS if claims is None else claims),
        **overrides,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, keys=JwksCache("https://keys.test", CountingFetch()))


def test_a_staff_token_names_the_staff_member(verifier: TokenVerifier) -> None:
    actor = verifier.actor(token())
    assert actor == Actor(
        role=Role.STAFF, subject="sub-li", name="li.ming", agency_code="110105-GA", region_code="110105"
    )


def test_a_supervisor_token_names_a_region(verifier: TokenVerifier) -> None:
    claims = {**STAFF_CLAIMS, "cognito:groups": ["role:supervisor", "division:110000"]}
    actor = verifier.actor(token(claims))
    assert (actor.role, actor.region_code, actor.agency_code) == (Role.SUPERVISOR, "110000", None)


@pytest.mark.parametrize(
    ("forged", "reason"),
    [
        (lambda: token(key=OTHER_KEY), "Signature verification failed"),
        (lambda: token(client_id="another-client"), "another app client"),
        (lambda: token(iss="https://cognito-idp.ap-east-1.amazonaws.com/ap-east-1_Other"), "issuer"),
        (lambda: token(exp=int(time.time()) - 120), "expired"),
        (lambda: token(token_use="id"), "access token"),
        (lambda: token(exp=int(time.time()) + 30 * 24 * 3600), "longer than"),
        (lambda: token(iat=int(time.time()) - 7000, exp=int(time.time()) + 600), "longer than"),
        (lambda: token(kid="unknown"), "unknown key"),
        (lambda: token({**STAFF_CLAIMS, "cognito:groups": ["role:admin", "division:110000"]}), "no single role"),
        (lambda: token({**STAFF_CLAIMS, "cognito:groups": ["role:supervisor"]}), "no division"),
        (lambda: token({**STAFF_CLAIMS, "cognito:groups": ["role:staff", "division:110105"]}), "no agency"),
        (lambda: token({**STAFF_CLAIMS, "cognito:groups": [*STAFF_GROUPS, "role:supervisor"]}), "no single role"),
        (lambda: token({**STAFF_CLAIMS, "cognito:groups": "role:supervisor"}), "not a list"),
        # What a user could once write themselves carries no authority at all.
        (
            lambda: token(
                {**STAFF_CLAIMS, "cognito:groups": [], "custom:role": "supervisor", "custom:region_code": "110000"}
            ),
            "no single role",
        ),
        (lambda: jwt.encode({**STAFF_CLAIMS, "client_id": CLIENT_ID}, HMAC_SECRET, algorithm="HS256"), "unknown key"),
        (
            lambda: jwt.encode({**STAFF_CLAIMS}, HMAC_SECRET, algorithm="HS256", headers={"kid": "k1"}),
            "alg value is not allowed",
        ),
        (lambda: "not-a-token", "not valid"),
    ],
)
def test_anything_else_is_refused(verifier: TokenVerifier, forged: Any, reason: str) -> None:
    with pytest.raises(NotSignedIn, match=reason):
        verifier.actor(forged())


def test_unconfigured_sign_in_refuses_everyone() -> None:
    unconfigured = TokenVerifier(issuer=ISSUER, client_id="", keys=JwksCache("https://keys.test", CountingFetch()))
    with pytest.raises(NotSignedIn, match="not configured"):
        unconfigured.actor(token())


def test_keys_are_fetched_once_and_an_unknown_key_does_not_flood_the_issuer() -> None:
    fetch = CountingFetch()
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, keys=JwksCache("https://keys.test", fetch))
    for _ in range(3):
        verifier.actor(token())
    for _ in range(3):
        with pytest.raises(NotSignedIn):
            verifier.actor(token(kid="rotated"))
    assert fetch.calls == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [({"authorization": "Bearer abc.def"}, "abc.def"), ({"authorization": "bearer  abc "}, "abc")],
)
def test_bearer_tokens_are_read(header: dict[str, str], expected: str) -> None:
    assert bearer_token(header) == expected


@pytest.mark.parametrize("header", [{}, {"authorization": "Basic abc"}, {"authorization": "Bearer "}])
def test_other_authorization_headers_are_refused(header: dict[str, str]) -> None:
    with pytest.raises(NotSignedIn):
        bearer_token(header)


@pytest.mark.parametrize(
    ("region", "supervised", "inside"),
    [
        ("110105", "110105", True),
        ("110105", "110100", True),
        ("110105", "110000", True),
        ("110106", "110105", False),
        ("120105", "110000", False),
        ("513221", "513200", True),
        ("513121", "513200", False),
    ],
)
def test_regions_nest_by_division_code(region: str, supervised: str, inside: bool) -> None:
    assert divisions.holds(supervised, region) is inside


def case_of(agency: str, region: str) -> Case:
    return Case(
        evaluation_id="01K6B3S8Z0000000000000000A",
        item_code=None,
        agency_code=agency,
        region_code=region,
        level=Level.VERY_DISSATISFIED,
        state=CaseState.RECEIVED,
        opened_at=NOW,
        evaluated_at=NOW,
        real_name=False,
        verify_due_at=NOW,
        answer_due_at=NOW,
    )


def test_staff_touch_only_their_agencys_cases_and_supervisors_their_regions() -> None:
    staff_a = Actor(role=Role.STAFF, subject="a", agency_code="110105-GA", region_code="110105")
    supervisor = Actor(role=Role.SUPERVISOR, subject="s", region_code="110000")
    authorize(staff_a, case_of("110105-GA", "110105"))
    authorize(supervisor, case_of("110105-SJ", "110105"))
    with pytest.raises(Forbidden):
        authorize(staff_a, case_of("110105-SJ", "110105"))
    with pytest.raises(Forbidden):
        authorize(supervisor, case_of("440305-SJ", "440305"))
    for outsider in (Actor.evaluator(), Actor.system("sweep")):
        with pytest.raises(Forbidden):
            authorize(outsider, case_of("110105-GA", "110105"))


@pytest.mark.parametrize(
    ("code", "level", "city", "province"),
    [
        ("110105", DivisionLevel.COUNTY, "110100", "110000"),
        ("513200", DivisionLevel.CITY, "513200", "510000"),
        ("440000", DivisionLevel.PROVINCE, "440000", "440000"),
    ],
)
def test_a_division_knows_its_level_and_the_divisions_that_hold_it(
    code: str, level: DivisionLevel, city: str, province: str
) -> None:
    assert level_of(code) is level
    assert (enclosing(code, DivisionLevel.CITY), enclosing(code, DivisionLevel.PROVINCE)) == (city, province)
    assert enclosing(code, level) == code


class FakeAccounts:
    """Cognito's standing check: a token stands until its account is revoked."""

    def __init__(self) -> None:
        self.revoked = False
        self.checks = 0

    def check(self, access_token: str) -> None:
        self.checks += 1
        if self.revoked:
            raise NotSignedIn("revoked")


def test_a_bearer_tokens_standing_is_asked_of_cognito_every_few_minutes(verifier: TokenVerifier) -> None:
    accounts = FakeAccounts()
    now = [1000.0]
    authenticator = StaffAuthenticator(verifier, accounts, clock=lambda: now[0])  # type: ignore[arg-type]
    bearer = token()
    for _ in range(3):
        authenticator.actor(bearer)
    assert accounts.checks == 1
    accounts.revoked = True  # disabled, or signed out everywhere
    now[0] += REVOCATION_CHECK_S - 1
    authenticator.actor(bearer)
    now[0] += 2
    with pytest.raises(NotSignedIn, match="revoked"):
        authenticator.actor(bearer)
