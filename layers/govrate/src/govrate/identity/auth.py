"""Who a staff request comes from, and which agencies and divisions they may act for. The one place for both.

Staff sign in to the Cognito user pool; the ID token carries `custom:agency_code`,
`custom:region_code` and `custom:role` (`staff` | `supervisor`), attributes only administrators can
write. In the cloud an API Gateway Cognito authorizer refuses bad tokens before the function runs;
the function verifies the same token again here (signature against the pool's JWKS, issuer, audience,
expiry, `token_use`), which is also how the local stack checks tokens that moto's Cognito issued.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from govrate.identity.model import Actor, Role
from govrate.kernel import divisions
from govrate.kernel.contracts import AgencyCode, RegionCode
from govrate.kernel.errors import Forbidden, StorageUnavailable, Unauthenticated

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


class NotSignedIn(Unauthenticated):
    """No valid staff token came with the request."""


class StaffClaims(BaseModel):
    """The claims of a staff ID token that authorisation uses."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    sub: str
    username: str = Field(alias="cognito:username")
    role: Annotated[str, StringConstraints(pattern="^(staff|supervisor)$")] = Field(alias="custom:role")
    agency_code: AgencyCode | None = Field(default=None, alias="custom:agency_code")
    region_code: RegionCode = Field(alias="custom:region_code")

    def actor(self) -> Actor:
        role = Role(self.role)
        if role is Role.STAFF and self.agency_code is None:
            raise NotSignedIn("a staff account needs an agency")
        return Actor(
            role=role,
            subject=self.sub,
            name=self.username,
            agency_code=self.agency_code if role is Role.STAFF else None,
            region_code=self.region_code,
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
    def __init__(self, *, issuer: str, client_id: str, keys: JwksCache) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._keys = keys

    def actor(self, token: str) -> Actor:
        """The staff member or supervisor a Cognito ID token names; NotSignedIn for anything else."""
        if not self._client_id:
            raise NotSignedIn("staff sign-in is not configured")
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.key(str(header.get("kid", "")))
            claims = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                audience=self._client_id,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
        except jwt.PyJWTError as exc:
            raise NotSignedIn(f"the token is not valid: {exc}") from exc
        if claims.get("token_use") != "id":
            raise NotSignedIn("an ID token is required")
        try:
            return StaffClaims.model_validate(claims).actor()
        except ValidationError as exc:
            raise NotSignedIn("the account lacks its role, agency or region") from exc


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an `Authorization: Bearer …` header (the header API Gateway's authorizer reads)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("an Authorization: Bearer token is required")
    return token.strip()


def authorize_for(actor: Actor, agency_code: str, region_code: str) -> None:
    """Staff act for their own agency; supervisors for the agencies of their division. Forbidden
    otherwise, naming the field that puts it out of reach."""
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


# What Cognito answers for a sign-in that cannot succeed as asked; anything else is an outage.
_SIGN_IN_REFUSALS = {
    "NotAuthorizedException": "wrong user name or password",
    "UserNotFoundException": "wrong user name or password",
    "InvalidParameterException": "wrong user name or password",
    "PasswordResetRequiredException": "the password must be reset: ask an administrator",
    "UserNotConfirmedException": "the account is not confirmed yet: ask an administrator",
}


class CognitoSignIn:
    """Password sign-in for the console (the app client allows USER_PASSWORD_AUTH)."""

    def __init__(self, client_id: str, region: str, client: CognitoIdentityProviderClient | None = None) -> None:
        self._client_id = client_id
        self._region = region
        self._client = client

    def id_token(self, username: str, password: str) -> tuple[str, int]:
        """The ID token and its lifetime in seconds; NotSignedIn for a wrong name or password."""
        import boto3  # the sign-in form's route only
        from botocore.exceptions import BotoCoreError, ClientError

        from govrate.storage.errors import storage_error

        if not self._client_id:
            raise NotSignedIn("staff sign-in is not configured")
        if self._client is None:
            self._client = boto3.client("cognito-idp", region_name=self._region)
        try:
            response = self._client.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as exc:
            refusal = _SIGN_IN_REFUSALS.get(exc.response["Error"]["Code"])
            if refusal is not None:
                raise NotSignedIn(refusal) from exc
            raise storage_error(exc, "sign-in") from exc
        except BotoCoreError as exc:
            raise storage_error(exc, "sign-in") from exc
        result = response.get("AuthenticationResult")
        if result is None or "IdToken" not in result:
            raise NotSignedIn("the account must finish setting up its password first")
        return result["IdToken"], int(result.get("ExpiresIn", 3600))
