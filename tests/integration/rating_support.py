"""What the tests of the rating pages, kiosks and web module share: windows, records and form posts."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from govrate import runtime
from govrate.evaluations.models import ServiceRecordRegistration, Stage
from govrate.evaluations.store import StoredEvaluation
from govrate.kernel.clock import zone
from govrate.records.service import SignedTicketLinks, register_record

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
FORM_FOR_SCRIPT = {**FORM, "accept": "application/json"}
BASE = "http://localhost"
WINDOW_ID = "110105-GA-W01"
WINDOW: dict[str, Any] = {
    "window_id": WINDOW_ID,
    "name_zh": "朝阳区政务服务中心 公安综合窗口1号",
    "name_en": "Chaoyang service centre, police counter 1",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "item_codes": ["110105-GA-001", "110105-GA-002"],
}


def now() -> datetime:
    return datetime.now(zone()).replace(microsecond=0)


def register_window(client: Any, window: dict[str, Any] = WINDOW) -> None:
    response = client.http.post("/v1/windows", headers=JSON, body=json.dumps(window).encode())
    assert response.status_code == 201, response.body


def window_token(client: Any, window_id: str = WINDOW_ID) -> str:
    response = client.http.post(f"/v1/windows/{window_id}/qr")
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["url"]).rsplit("/q/", 1)[1]


def register_service_record(
    record_id: str,
    *,
    item_code: str = "110105-GA-002",  # accept | approve | deliver
    stages: tuple[Stage, ...] = (Stage.ACCEPT, Stage.DELIVER),
    window_id: str | None = WINDOW_ID,
    completed_at: datetime | None = None,
) -> str:
    """Register a record as a window system would, and return its ticket (the token of its ticket URL)."""
    registration = ServiceRecordRegistration(
        record_id=record_id,
        item_code=item_code,
        agency_code=item_code.rsplit("-", 1)[0],
        region_code=item_code[:6],
        window_id=window_id,
        stages=list(stages),
        completed_at=completed_at or now() - timedelta(hours=1),
    )
    registered = register_record(
        registration,
        stores=runtime.intake_stores(),
        tickets=SignedTicketLinks(runtime.ticket_signer(), BASE),
        registered_by="test-window-system",
    )
    return registered.ticket_url.rsplit("/t/", 1)[1]


def post_form(client: Any, path: str, fields: dict[str, Any], headers: dict[str, str] = FORM) -> Any:
    """Post a rating form as a browser does: with the token of the page just served, unless `fields`
    name their own `nonce` (or the page cannot be served)."""
    if "nonce" not in fields:
        fields = {**fields, "nonce": served_form_token(client, path)}
    return client.http.post(path, headers=headers, body=urlencode(fields, doseq=True).encode())


def served_form_token(client: Any, path: str) -> str:
    page = client.http.get(path)
    served = re.search(r'name="nonce" value="([\w.-]+)"', page.body.decode()) if page.status_code == 200 else None
    return served[1] if served else ""


def receipt_location(response: Any) -> tuple[str, str]:
    """The evaluation id and receipt of the receipt page a form post redirected to (303)."""
    assert response.status_code == 303, response.body
    location = urlsplit(response.headers["Location"])
    match = re.fullmatch(r"/(?:e|w/[^/]+)/([0-9A-Z]{26})/receipt", location.path)
    assert match, location
    return match[1], parse_qs(location.query)["receipt"][0]


def page_path(url: str) -> str:
    """The path and query of an absolute URL, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def stored(evaluation_id: str) -> StoredEvaluation:
    return runtime.evaluation_repository().get(evaluation_id)


def evaluation_count() -> int:
    """Evaluations stored today, across every shard of the day index."""
    return sum(1 for _ in runtime.evaluation_repository().on_day(now().date()))
