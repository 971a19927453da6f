"""The rating pages' one-tap report "someone pressed me to rate", on moto: a plain form post with the
page's token, a supervision case against the window for the region's supervisors (not the agency's
staff), a plain confirmation; refused without a token served for the page; one report per form; the
same abuse limits as a rating."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
import qr_api
from chalice.test import Client
from govrate import runtime
from govrate.cases.kinds import CaseKind
from govrate.windows.models import ServiceWindow

from tests.integration.conftest import AwsResources
from tests.integration.rating_support import (
    FORM,
    WINDOW,
    WINDOW_ID,
    register_service_record,
    register_window,
    served_form_token,
    window_token,
)


@pytest.fixture
def client(client: Any) -> Any:
    register_window(client)
    return client


def report(client: Any, page: str, fields: dict[str, str]) -> Any:
    return client.http.post(f"{page}/report", headers=FORM, body=urlencode(fields).encode())


def supervision_cases() -> list[Any]:
    listed, _ = runtime.case_repository().open_of_region("110000", 100, None)
    return [case for case in listed if case.kind is CaseKind.PRESSURE_REPORT]


def test_the_page_offers_the_report_as_a_plain_form_with_its_token(client: Any) -> None:
    page_path = f"/q/{window_token(client)}"
    page = client.http.get(f"{page_path}?lang=en").body.decode()
    token = page_path.rsplit("/", 1)[1]
    form = re.search(r'<form id="report" method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form is not None
    assert form[1] == f"{token}/report?lang=en"  # relative: it holds behind any stage prefix
    assert re.search(r'name="nonce" value="[\w.-]+"', form[2])
    assert "Someone pressed me to rate" in form[2]
    assert "Rating is voluntary and may be anonymous" in page


def test_a_report_reaches_the_supervisors_as_a_case_against_the_window(client: Any) -> None:
    page = f"/q/{window_token(client)}"
    nonce = served_form_token(client, page)
    answer = report(client, page, {"nonce": nonce, "comment": "工作人员说必须点非常满意"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "举报已收到" in answer.body.decode()
    assert f'href="{page}"' in answer.body.decode()
    (case,) = supervision_cases()
    assert (case.window_id, case.agency_code, case.region_code, case.level) == (WINDOW_ID, "110105-GA", "110105", None)
    assert (case.state, case.note) == ("received", "工作人员说必须点非常满意")
    # Not the agency's to see: the staff's list leaves it out.
    staff_list, _ = runtime.case_repository().open_of_agency("110105-GA", 100, None)
    assert case.evaluation_id not in {listed.evaluation_id for listed in staff_list}
    opening = runtime.case_repository().history(case.evaluation_id)[0]
    assert (opening.actor.role, opening.detail["channel"], opening.detail["page"]) == (
        "evaluator",
        "supervision_platform",
        "window_qr",
    )
    # The same form posted again (a reload) is the same report.
    assert report(client, page, {"nonce": nonce}).status_code == 200
    assert len(supervision_cases()) == 1


@pytest.mark.parametrize("nonce", ["", "forged.1700000000.AAAAAAAAAAAAAAAAAAAAAA"])
def test_a_report_without_the_pages_token_is_refused_and_stores_nothing(client: Any, nonce: str) -> None:
    page = f"/q/{window_token(client)}"
    answer = report(client, page, {"nonce": nonce})
    assert answer.status_code == 422
    assert "举报未能提交" in answer.body.decode()
    assert supervision_cases() == []


def test_a_report_from_a_ticket_page_names_the_record_window_and_item(client: Any) -> None:
    ticket = register_service_record("BJ-PRESSED-1")
    page = f"/t/{ticket}"
    assert report(client, page, {"nonce": served_form_token(client, page)}).status_code == 200
    (case,) = supervision_cases()
    assert (case.window_id, case.item_code) == (WINDOW_ID, "110105-GA-002")
    assert runtime.case_repository().history(case.evaluation_id)[0].detail["page"] == "ticket"


def test_reports_count_against_the_same_abuse_limits(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVRATE_LIMIT_PER_CLIENT_PER_HOUR", "2")
    runtime.reset()
    runtime.window_repository().add(ServiceWindow.model_validate({**WINDOW, "rotation": 1, "revoked": False}))
    page = "/q/" + runtime.window_token_signer().sign(WINDOW["window_id"], 1)
    with Client(qr_api.app) as client:
        answers = [report(client, page, {"nonce": served_form_token(client, page)}) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert len(supervision_cases()) == 2
