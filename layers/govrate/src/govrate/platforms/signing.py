"""Signing a request as a platform does: RFC 9421 with HMAC-SHA256 over `@method`, `@target-uri` and
`content-digest`, with `created` and a fresh `nonce` (the `requests-http-signature` package).

The same signer serves a regional platform's client (docs/integration.md) and a Govrate stage that
relays upstream: the upstream checks both with `govrate.platforms.signatures`.
"""

from __future__ import annotations

from requests_http_signature import HTTPSignatureAuth, algorithms

from govrate.platforms.signatures import REQUIRED_COMPONENTS


def platform_signer(key_id: str, key: bytes) -> HTTPSignatureAuth:
    """A `requests` auth that signs each request anew with the platform's key."""
    return HTTPSignatureAuth(
        signature_algorithm=algorithms.HMAC_SHA256,
        key=key,
        key_id=key_id,
        covered_component_ids=REQUIRED_COMPONENTS,
        use_nonce=True,
    )
