"""The upstream's platform API, as this stage's relay calls it: one signed POST per batch."""

from __future__ import annotations

from collections.abc import Callable

import requests
from pydantic import ValidationError

from govrate.kernel.contracts import Contract
from govrate.platforms.signing import platform_signer
from govrate.upstream.models import RelayBatch, RelayBatchResult
from govrate.upstream.service import UpstreamFailed

RELAY_PATH = "/v1/platform/relay/batch"
# Connect, then read: a batch of ten is stored upstream in well under a second.
TIMEOUT_S = (3.05, 20)


class UpstreamCredentials(Contract):
    """The upstream secret's JSON: the HMAC key and the API key the upstream's operator handed over."""

    key: str
    api_key: str = ""


class UpstreamClient:
    def __init__(
        self,
        base_url: str,
        key_id: str,
        credentials: Callable[[], UpstreamCredentials],
        session: requests.Session | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + RELAY_PATH
        self._key_id = key_id
        self._credentials = credentials
        self._session = session or requests.Session()

    def post(self, batch: RelayBatch) -> RelayBatchResult:
        try:
            credentials = self._credentials()
        except ValidationError as exc:
            raise UpstreamFailed('the upstream secret is not {"key": …, "api_key": …} (docs/relay.md)') from exc
        if not credentials.key:
            raise UpstreamFailed("the upstream secret holds no key yet (docs/relay.md#onboarding)")
        try:
            response = self._session.post(
                self._url,
                data=batch.model_dump_json().encode(),
                headers={"content-type": "application/json", "x-api-key": credentials.api_key},
                auth=platform_signer(self._key_id, credentials.key.encode()),
                timeout=TIMEOUT_S,
            )
        except requests.RequestException as exc:
            raise UpstreamFailed(f"the upstream at {self._url} did not answer: {exc}") from exc
        if response.status_code != 200:
            raise UpstreamFailed(f"the upstream answered {response.status_code}: {response.text[:300]}")
        try:
            return RelayBatchResult.model_validate_json(response.content)
        except ValidationError as exc:
            raise UpstreamFailed(f"the upstream's answer is not a relay batch result: {exc}") from exc
