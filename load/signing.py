"""How the load runs and the benchmarks sign a regional platform's requests (docs/integration.md), in a
module of its own: load.traffic imports locust, which patches the standard library as it loads."""

from __future__ import annotations

from typing import Any

from requests_http_signature import HTTPSignatureAuth, algorithms


def platform_signer(platform: dict[str, Any]) -> HTTPSignatureAuth:
    """A signer for one request of `platform` (a stack's ready line's entry): a new nonce each time."""
    return HTTPSignatureAuth(
        signature_algorithm=algorithms.HMAC_SHA256,
        key=platform["key"].encode(),
        key_id=platform["key_id"],
        covered_component_ids=("@method", "@target-uri", "content-digest"),
        use_nonce=True,
    )
