"""Who a staff request comes from, and which agencies and divisions they may act for. The one place for both.

Staff sign in to the Cognito user pool. What a person may do comes from the pool's groups, which only
administrators change (`govrate.identity.staff_admin`): `role:staff` or `role:supervisor`, `agency:<code>`
(staff), `division:<code>` (supervisors; staff optionally). Cognito writes the groups into every token
it issues as `cognito:groups`; user attributes, which a user may be able to change with their own
access token, are never read.

The staff API takes Cognito access tokens (`Authorization: Bearer`). In the cloud an API Gateway
Cognito authorizer refuses bad tokens before the function runs; the function verifies the same token
again here (signature against the pool's JWKS, issuer, app client, expiry, `token_use`, a lifetime of
at most an hour), which is also how the local stack checks tokens that moto's Cognito issued, and asks
Cognito every few minutes whether the token still stands (`GetUser`: refused once the account is
disabled or signed out everywhere).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from govrate.identity.model import Actor, Role
from govrate.kernel import divisions
from govrate.kernel.errors import Forbidden, InvalidInput, NotFound, StorageUnavailable, Unauthenticated

if TYPE_CHECKING:
    import jwt
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# jwt (with cryptography) and requests are imported where a token is checked, not at import: the
# functions that serve citizens' pages import this module too, and their cold start would pay for
# them (about 0.24 s) on every request path that never sees a staff token.

# Cognito signs with RS256 only; never accept what the token header asks for.
_ALGORITHMS = ["RS256"]
_JWKS_MAX_AGE_S = 3600
_JWKS_MIN_REFETCH_S = 60
# Cognito's access tokens live an hour at most as the stack configures them; a token that claims to
# live longer was not issued for this client, whatever its signature.
MAX_TOKEN_LIFETIME_S = 3600
CLOCK_SKEW_S = 60
# How long a token's standing with Cognito (account enabled, not signed out) is taken as known.
REVOCATION_CHECK_S = 120

ROLE_GROUP = "role:"
AGENCY_GROUP = "agency:"
DIVISION_GROUP = "division:"


class NotSignedIn(Unauthenticated):
    """No valid staff credentials came with the request. The reason is for the log; the caller is told
    only that they are not signed in."""

    public_detail = "not signed in, or the sign-in has ended: sign in again"


def actor_from_groups(subject: str, username: str, groups: Iterable[str]) -> Actor:
    """The staff member or supervisor that an account's groups describe; NotSignedIn for an account
    without exactly one role, or without the agency (staff) or division (supervisors) it needs."""
    by_kind: dict[str, list[str]] = {ROLE_GROUP: [], AGENCY_GROUP: [], DIVISION_GROUP: []}
    for group in groups:
        for prefix, values in by_kind.items():
            if group.startswith(prefix):
                values.append(group.removeprefix(prefix))
    roles, agencies, regions = by_kind[ROLE_GROUP], by_kind[AGENCY_GROUP], by_kind[DIVISION_GROUP]
    if len(roles) != 1 or roles[0] not in (Role.STAFF, Role.SUPERVISOR) or len(agencies) > 1 or len(regions) > 1:
        raise NotSignedIn(f"account {username} has no single role, agency and division: {sorted(groups)}")
    role = Role(roles[0])
    region_code = regions[0] if regions else None
    if region_code is not None and not re.fullmatch(r"[1-8]\d{5}", region_code):
        raise NotSignedIn(f"account {username} has a malformed division group {region_code}")
    if role is Role.STAFF and not agencies:
        raise NotSignedIn(f"staff account {username} has no agency group")
    if role is Role.SUPERVISOR and region_code is None:
        raise NotSignedIn(f"supervisor account {username} has no division group")
    return Actor(
        role=role,
        subject=subject,
        name=username,
        agency_code=agencies[0] if role is Role.STAFF else None,
        region_code=region_code,
    )


class JwksCache:
    """The signing keys of the issuer, fetched over HTTPS and kept for an hour; an unknown key id
    refetches at most once a minute (key rotation without a flood of fetches)."""

    def __init__(self, url: str, fetch: Callable[[str], Mapping[str, Any]] | None = None) -> None:
        self._url = url
        self._fetch = fetch or _fetch_json
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            now = time.monotonic()
            stale = now - self._fetched_at > _JWKS_MAX_AGE_S
            unknown = kid not in self._keys and now - self._fetched_at > _JWKS_MIN_REFETCH_S
            if stale or unknown:
                self._refresh(now)
            found = self._keys.get(kid)
        if found is None:
            raise NotSignedIn("the token is signed with an unknown key")
        return found

    def _refresh(self, now: float) -> None:
        import jwt
        import requests

        try:
            key_set = jwt.PyJWKSet.from_dict(dict(self._fetch(self._url)))
        except (requests.RequestException, ValueError, jwt.PyJWKSetError) as exc:
            raise StorageUnavailable("the sign-in keys could not be fetched") from exc
        self._keys = {key.key_id: key for key in key_set.keys if key.key_id}
        self._fetched_at = now


def _fetch_json(url: str) -> Mapping[str, Any]:
    import requests

    response = requests.get(url, timeout=5)
    response.raise_for_status()
    document: Mapping[str, Any] = response.json()
    return document


class TokenVerifier:
    """Checks a Cognito access token of the staff app client offline, and names its staff member."""

    def __init__(self, *, issuer: str, client_id: str, keys: JwksCache) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._keys = keys

    def actor(self, token: str) -> Actor:
        """The staff member or supervisor a Cognito access token names; NotSignedIn for anything else."""
        claims = self.claims(token)
        groups = claims.get("cognito:groups") or []
        if not isinstance(groups, list):
            raise NotSignedIn("cognito:groups is not a list")
        return actor_from_groups(str(claims["sub"]), str(claims.get("username", claims["sub"])), map(str, groups))

    def claims(self, token: str) -> dict[str, Any]:
        if not self._client_id:
            raise NotSignedIn("staff sign-in is not configured")
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.key(str(header.get("kid", "")))
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iat", "iss", "sub", "token_use", "client_id", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise NotSignedIn(f"the token is not valid: {exc}") from exc
        if claims.get("token_use") != "access":
            raise NotSignedIn("an access token is required")
        if claims.get("client_id") != self._client_id:
            raise NotSignedIn("the token is of another app client")
        issued, expires = int(claims["iat"]), int(claims["exp"])
        if expires - issued > MAX_TOKEN_LIFETIME_S or expires > time.time() + MAX_TOKEN_LIFETIME_S + CLOCK_SKEW_S:
            raise NotSignedIn(f"the token claims to live longer than {MAX_TOKEN_LIFETIME_S} s")
        return claims


@dataclass(frozen=True)
class CognitoTokens:
    access_token: str
    refresh_token: str


class StaffAccounts(Protocol):
    """What the console and the API ask the user pool (Cognito in the cloud and on moto; a fake in unit tests)."""

    def sign_in(self, username: str, password: str) -> CognitoTokens: ...

    def refresh(self, refresh_token: str) -> str: ...

    def check(self, access_token: str) -> None: ...

    def sign_out(self, refresh_token: str) -> None: ...


# What Cognito answers for a sign-in that cannot succeed as asked; anything else is an outage.
_SIGN_IN_REFUSALS = {
    "NotAuthorizedException": "wrong user name or password",
    "UserNotFoundException": "wrong user name or password",
    "InvalidParameterException": "wrong user name or password",
    "PasswordResetRequiredException": "the password must be reset: ask an administrator",
    "UserNotConfirmedException": "the account is not confirmed yet: ask an administrator",
}


class CognitoAccounts:
    """The staff user pool's public API (no IAM permission involved): password sign-in with the app
    client (USER_PASSWORD_AUTH), refresh, `GetUser` as the standing check of an access token, and the
    revocation of a session's refresh token at sign-out."""

    def __init__(self, client_id: str, region: str, client: CognitoIdentityProviderClient | None = None) -> None:
        self._client_id = client_id
        self._region = region
        self._client = client

    def sign_in(self, username: str, password: str) -> CognitoTokens:
        result = self._call(
            "InitiateAuth",
            lambda cognito: cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            ),
        ).get("AuthenticationResult")
        if result is None or "AccessToken" not in result or "RefreshToken" not in result:
            raise NotSignedIn("the account must finish setting up its password first")
        return CognitoTokens(result["AccessToken"], result["RefreshToken"])

    def refresh(self, refresh_token: str) -> str:
        """A new access token; NotSignedIn once the refresh token is revoked (sign-out, global sign-out,
        a disabled account)."""
        result = self._call(
            "Refresh",
            lambda cognito: cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            ),
        ).get("AuthenticationResult")
        if result is None or "AccessToken" not in result:
            raise NotSignedIn("the session's refresh gave no token")
        return str(result["AccessToken"])

    def check(self, access_token: str) -> None:
        """NotSignedIn unless Cognito still honours the token: the account exists, is enabled and has
        not been signed out everywhere since the token was issued."""
        self._call("GetUser", lambda cognito: cognito.get_user(AccessToken=access_token))

    def sign_out(self, refresh_token: str) -> None:
        """Revoke the refresh token and the access tokens issued from it."""
        self._call("RevokeToken", lambda cognito: cognito.revoke_token(Token=refresh_token, ClientId=self._client_id))

    def _call(self, what: str, call: Callable[[CognitoIdentityProviderClient], Any]) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        from govrate.storage.clients import aws_client  # boto3: the console's and the staff API's routes only
        from govrate.storage.errors import storage_error

        if not self._client_id:
            raise NotSignedIn("staff sign-in is not configured")
        if self._client is None:
            self._client = aws_client("cognito-idp", self._region)
        try:
            return call(self._client)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            refusal = _SIGN_IN_REFUSALS.get(code)
            if refusal is not None:
                raise NotSignedIn(f"{what}: {refusal} ({exc.response['Error'].get('Message', '')})") from exc
            raise storage_error(exc, f"staff sign-in ({what})") from exc
        except BotoCoreError as exc:
            raise storage_error(exc, f"staff sign-in ({what})") from exc


class StaffAuthenticator:
    """Bearer tokens of the staff API: verified offline on every request, and their standing asked of
    Cognito at most every REVOCATION_CHECK_S per token (one container's memory; a refused token stays
    refused)."""

    def __init__(
        self, verifier: TokenVerifier, accounts: StaffAccounts, clock: Callable[[], float] = time.time
    ) -> None:
        self._verifier = verifier
        self._accounts = accounts
        self._clock = clock
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()

    def actor(self, token: str) -> Actor:
        actor = self._verifier.actor(token)
        fingerprint = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        with self._lock:
            checked_at = self._checked.get(fingerprint)
            if checked_at is not None and now - checked_at < REVOCATION_CHECK_S:
                return actor
            # Forget what is older than the check interval (a container serves many tokens).
            self._checked = {key: at for key, at in self._checked.items() if now - at < REVOCATION_CHECK_S}
        self._accounts.check(token)
        with self._lock:
            self._checked[fingerprint] = now
        return actor


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an `Authorization: Bearer …` header (the header API Gateway's authorizer reads)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("an Authorization: Bearer token is required")
    return token.strip()


def authorize_for(actor: Actor, agency_code: str, region_code: str) -> None:
    """Staff act for their own agency; supervisors for the agencies of their division. Forbidden
    otherwise, naming the field that puts it out of reach. `region_code` must be the agency's region as
    the catalogue or a stored record has it, never one the caller claims (see `authorize_agency`)."""
    if actor.role is Role.STAFF and actor.agency_code == agency_code:
        return
    if actor.role is Role.SUPERVISOR and actor.region_code and divisions.holds(actor.region_code, region_code):
        return
    if actor.role is Role.STAFF:
        raise Forbidden(
            f"staff act for their own agency ({actor.agency_code}) only",
            [{"field": "agency_code", "message": f"{agency_code} is not your agency"}],
        )
    if actor.role is Role.SUPERVISOR:
        raise Forbidden(
            f"supervisors act for the agencies of their division ({actor.region_code}) only",
            [{"field": "region_code", "message": f"{region_code} is outside {actor.region_code}"}],
        )
    raise Forbidden("only staff and supervisors act for an agency")


class ListedAgency(Protocol):
    """An agency as the catalogue lists it (`govrate.catalogue.store.Agency`)."""

    @property
    def agency_code(self) -> str: ...

    @property
    def region_code(self) -> str: ...


ListedAgencyT_co = TypeVar("ListedAgencyT_co", bound=ListedAgency, covariant=True)
ListedAgencyT = TypeVar("ListedAgencyT", bound=ListedAgency)


class AgencyDirectory(Protocol[ListedAgencyT_co]):
    """Where agencies are looked up: the catalogue (`govrate.catalogue.store.CatalogueRepository`)."""

    def agency(self, agency_code: str) -> ListedAgencyT_co: ...


def authorize_agency(
    actor: Actor, agency_code: str, directory: AgencyDirectory[ListedAgencyT], field: str = "agency_code"
) -> ListedAgencyT:
    """The agency as the catalogue has it, when the actor may act for it: InvalidInput (naming `field`)
    for an agency the catalogue does not know, Forbidden for one out of the actor's reach. Its region
    is the catalogue's, whatever a request says."""
    try:
        agency = directory.agency(agency_code)
    except NotFound as exc:
        raise InvalidInput(
            "the agency is not in the catalogue", [{"field": field, "message": f"unknown agency {agency_code}"}]
        ) from exc
    authorize_for(actor, agency.agency_code, agency.region_code)
    return agency
