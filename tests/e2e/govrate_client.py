"""The local stack's API as the systems around a window use it: an administrator (windows, kiosks, site
keys) and a window system that registers service records over the signed platform API."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import boto3
import requests
from govrate.kernel.clock import zone
from govrate.platforms.registry import PlatformKey
from govrate.platforms.signing import platform_signer
from requests_http_signature import HTTPSignatureAuth

BEIJING = "110105"
TIMEOUT_S = 10


def demo_window(stack: dict[str, Any]) -> dict[str, str]:
    """The demo window in Beijing (the demo platform posts for Beijing): window_id, name, url."""
    return next(page for page in stack["qr_pages"] if page["window_id"].startswith(BEIJING))


def record_id(prefix: str) -> str:
    """A record number no other test of the session uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12].upper()}"


def _platform_signer(stack: dict[str, Any], region_code: str) -> HTTPSignatureAuth:
    """Signs as the demo platform that covers the region (a downstream stage posts no evaluations), with its
    key from the stack's Secrets Manager."""
    platforms = {
        key_id: PlatformKey.model_validate(platform)
        for key_id, platform in json.loads(stack["environment"]["GOVRATE_PLATFORMS"]).items()
    }
    key_id, platform = next(
        (key_id, platform)
        for key_id, platform in platforms.items()
        if platform.covers(region_code) and not platform.downstream
    )
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=stack["aws_endpoint"],
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    secret = secrets.get_secret_value(SecretId=platform.secret_arn)["SecretString"]
    return platform_signer(key_id, secret.encode())


def register_record(
    stack: dict[str, Any],
    number: str,
    *,
    item_code: str = "110105-GA-002",
    stages: tuple[str, ...] = ("accept", "deliver"),
    window_id: str | None = None,
    completed_at: datetime | None = None,
) -> str:
    """Register a finished transaction over the signed platform API; its ticket URL."""
    body = {
        "record_id": number,
        "item_code": item_code,
        "agency_code": item_code.rsplit("-", 1)[0],
        "region_code": item_code[:6],
        "window_id": window_id,
        "stages": list(stages),
        "completed_at": (completed_at or datetime.now(zone()) - timedelta(minutes=5)).isoformat(),
    }
    response = requests.post(
        f"{stack['api_url']}/v1/platform/service-records",
        json=body,
        auth=_platform_signer(stack, item_code[:6]),
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["ticket_url"])


def post_platform_batch(stack: dict[str, Any], evaluations: list[dict[str, Any]]) -> requests.Response:
    """Post a batch of evaluations for the demo region as its platform does, signed."""
    return requests.post(
        f"{stack['api_url']}/v1/platform/evaluations/batch",
        json={"evaluations": evaluations},
        auth=_platform_signer(stack, BEIJING),
        timeout=60,
    )


def evaluation_outcome(stack: dict[str, Any], evaluation_id: str, *, region_code: str = BEIJING) -> requests.Response:
    """What became of an evaluation, as the platform of `region_code` fetches it (signed GET)."""
    return requests.get(
        f"{stack['api_url']}/v1/platform/evaluations/{evaluation_id}",
        auth=_platform_signer(stack, region_code),
        timeout=TIMEOUT_S,
    )


def changes(
    stack: dict[str, Any], since: str | None = None, *, limit: int = 100, region_code: str = BEIJING
) -> requests.Response:
    """A page of the change feed of the platform of `region_code`, after the cursor `since` (signed GET)."""
    params: dict[str, str | int] = {"limit": limit, **({"since": since} if since else {})}
    return requests.get(
        f"{stack['api_url']}/v1/platform/evaluations",
        params=params,
        auth=_platform_signer(stack, region_code),
        timeout=TIMEOUT_S,
    )


def push_transaction(stack: dict[str, Any], window_id: str, ticket_url: str) -> dict[str, Any]:
    """What a window system does when it has finished a transaction: offer it on the window's kiosk."""
    response = requests.post(
        f"{stack['api_url']}/v1/windows/{window_id}/transaction", json={"ticket_url": ticket_url}, timeout=TIMEOUT_S
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def access_token(stack: dict[str, Any], staff: dict[str, Any]) -> str:
    """A demo account's access token from the stack's Cognito (moto), the bearer token of the staff API."""
    cognito = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=stack["region"])
    result = cognito.client("cognito-idp", endpoint_url=stack["aws_endpoint"]).initiate_auth(
        ClientId=stack["environment"]["GOVRATE_STAFF_CLIENT_ID"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": staff["username"], "PASSWORD": staff["password"]},
    )["AuthenticationResult"]
    return str(result["AccessToken"])


def administrator(stack: dict[str, Any]) -> dict[str, str]:
    """The headers of the demo supervisor of Beijing, who manages the Beijing windows and site keys."""
    supervisor = next(staff for staff in stack["staff"] if staff["role"] == "supervisor")
    return {"authorization": f"Bearer {access_token(stack, supervisor)}"}


def kiosk_url(stack: dict[str, Any], window_id: str) -> str:
    response = requests.post(
        f"{stack['api_url']}/v1/windows/{window_id}/kiosk", headers=administrator(stack), timeout=TIMEOUT_S
    )
    assert response.status_code == 200, response.text
    return str(response.json()["url"])


def create_site_key(stack: dict[str, Any], origins: list[str], item_codes: list[str]) -> str:
    response = requests.post(
        f"{stack['api_url']}/v1/site-keys",
        json={"name": "测试政务服务网", "allowed_origins": origins, "item_codes": item_codes},
        headers=administrator(stack),
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["site_key"])
