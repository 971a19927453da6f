"""RFC 9421 HTTP Message Signatures as regional platforms send them, checked with `http-message-signatures`.

A request carries one signature, HMAC-SHA256 (`alg="hmac-sha256"` or no `alg`), with `keyid`,
`created` and `nonce`, covering at least `@method`, `@target-uri` and `content-digest`; the
Content-Digest (RFC 9530, sha-256 and/or sha-512) must match the body received. A `GET` has no body:
it covers at least `@method` and `@target-uri` (the query with it); a Content-Digest it sends anyway
(of the empty body, as signing libraries add) must be covered and match. A signature is
accepted for `MAX_AGE` after it was created, and up to `CLOCK_SKEW` before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import http_sf
from cryptography.exceptions import InvalidSignature as HmacMismatch
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from govrate.kernel.errors import Unauthenticated

REQUIRED_COMPONENTS = ("@method", "@target-uri", "content-digest")
BODILESS_REQUIRED_COMPONENTS = ("@method", "@target-uri")
MAX_AGE = timedelta(seconds=300)
CLOCK_SKEW = timedelta(seconds=30)
MAX_NONCE_LENGTH = 128


@dataclass(frozen=True)
class SignedRequest:
    """A request as the client sent it: `url` is the target URI it signed, `body` the bytes it sent."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    created: datetime
    nonce: str


class _Verifier(HTTPMessageVerifier):
    max_clock_skew = CLOCK_SKEW


def required_components(method: str) -> tuple[str, ...]:
    """What a request's signature must cover: a GET has no body to digest."""
    return BODILESS_REQUIRED_COMPONENTS if method.upper() == "GET" else REQUIRED_COMPONENTS


def signature_key_id(headers: Mapping[str, str]) -> str:
    """The `keyid` of the request's one signature (not yet verified)."""
    fields = {name.lower(): value for name, value in headers.items()}
    if "signature-input" not in fields or "signature" not in fields:
        raise Unauthenticated("the request is not signed: send Signature-Input and Signature (RFC 9421)")
    try:
        members = http_sf.parse(fields["signature-input"].encode(), tltype="dictionary")
    except (ValueError, UnicodeError) as exc:
        raise Unauthenticated("Signature-Input is not a structured dictionary (RFC 9421)") from exc
    if not isinstance(members, dict) or len(members) != 1:
        raise Unauthenticated("send exactly one signature")
    (member,) = members.values()
    params = member[1] if isinstance(member, tuple) and len(member) == 2 else None
    key_id = params.get("keyid") if isinstance(params, dict) else None
    if not isinstance(key_id, str) or not key_id:
        raise Unauthenticated("the signature names no keyid")
    return key_id


def verify_signature(request: SignedRequest, key_id: str, key: bytes, *, now: datetime) -> VerifiedSignature:
    """The verified signature made with `key`; Unauthenticated, saying why, for anything else."""
    resolver = MappingKeyResolver(public_keys={key_id: key}, private_keys={})
    try:
        (result,) = _Verifier(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=resolver).verify(
            request, max_age=None, require_components=required_components(request.method), body=request.body
        )
    except HTTPMessageSignaturesException as exc:
        # The HMAC itself did not match: the library only passes on cryptography's terse message.
        mismatch = isinstance(exc.__cause__, HmacMismatch) or not str(exc)
        reason = "wrong key, or the signed method, target URI or fields differ from those received" if mismatch else exc
        raise Unauthenticated(f"the signature does not verify ({reason}); target URI received: {request.url}") from exc
    created = datetime.fromtimestamp(int(result.parameters["created"]), UTC)
    age = now - created
    if age > MAX_AGE:
        raise Unauthenticated(
            f"the signature was created {int(age.total_seconds())} s ago; at most {int(MAX_AGE.total_seconds())} s "
            "are accepted: sign every request when it is sent"
        )
    nonce = result.nonce
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise Unauthenticated(f"the signature needs a nonce of 1 to {MAX_NONCE_LENGTH} characters")
    return VerifiedSignature(key_id, created, nonce)
