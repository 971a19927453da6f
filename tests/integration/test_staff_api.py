"""The staff API and console with tokens from moto's Cognito: who may see and do what."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
import time_machine

from tests.integration.conftest import AwsResources
from tests.integration.staff_support import COGNITO_REGION, PASSWORD, ConsoleBrowser, Staff
from tests.integration.test_case_support import World, build_world

CST = timezone(timedelta(hours=8))


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from build_world(aws, monkeypatch)


@pytest.fixture
def case_id(world: World) -> str:
    review = world.review()
    world.deliver()
    return str(review["evaluation_id"])


def problem(response: Any) -> str:
    assert response.headers["Content-Type"] == "application/problem+json"
    return str(json.loads(response.body)["type"])


def test_no_token_or_a_bad_one_is_refused(world: World, case_id: str) -> None:
    assert problem(world.cases.http.get("/v1/cases")) == "/problems/unauthenticated"
    assert world.cases.http.get(f"/v1/cases/{case_id}").status_code == 401
    assert world.get(Staff("nobody", "not.a.token"), "/v1/cases").status_code == 401
    # A token of the same pool but of another app client has the wrong audience.
    cognito = boto3.client("cognito-idp", region_name=COGNITO_REGION)
    other = cognito.create_user_pool_client(
        UserPoolId=world.pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    world.account("li.ming", "staff", "110105", "110105-GA")
    foreign = cognito.initiate_auth(
        ClientId=other, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "li.ming", "PASSWORD": PASSWORD}
    )["AuthenticationResult"]["AccessToken"]
    assert world.get(Staff("li.ming", foreign), "/v1/cases").status_code == 401
    li = world.sign_in("li.ming")
    assert world.get(li, "/v1/cases").status_code == 200
    with time_machine.travel(datetime.now(CST) + timedelta(hours=2)):  # access tokens live an hour
        assert world.get(li, f"/v1/cases/{case_id}").status_code == 401


def test_staff_see_their_agency_and_supervisors_their_region(world: World, case_id: str) -> None:
    chen = world.staff("chen.jing", agency="110105-SJ")
    assert problem(world.get(chen, f"/v1/cases/{case_id}")) == "/problems/forbidden"
    assert world.step(chen, case_id, "contact", {"reached": True, "channel": "phone"}).status_code == 403
    assert json.loads(world.get(chen, "/v1/cases").body)["items"] == []
    # Nothing was recorded for the refused attempts: only the opening.
    assert [item["sk"]["S"] for item in world.case_items(case_id)] == ["AUDIT#000001", "CASE"]

    li = world.staff("li.ming")
    assert (
        world.step(li, case_id, "reassignment", {"agency_code": "110105-SJ", "reason": "不归我们"}).status_code == 403
    )

    beijing = world.supervisor("wang.fang", region="110000")
    shenzhen = world.supervisor("liu.yang", region="440305")
    assert world.view(beijing, case_id)["contact"]["phone"] == "13800138000"
    assert world.get(shenzhen, f"/v1/cases/{case_id}").status_code == 403
    chaoyang = world.supervisor("zhao.lei", region="110105")
    # Supervisors list the open cases of their division and of every division it holds.
    for supervisor in (chaoyang, world.supervisor("sun.li", region="110100"), beijing):
        assert [item["evaluation_id"] for item in json.loads(world.get(supervisor, "/v1/cases").body)["items"]] == [
            case_id
        ]
    for elsewhere in (shenzhen, world.supervisor("zhou.min", region="110106"), world.supervisor("wu.gang", "120000")):
        assert json.loads(world.get(elsewhere, "/v1/cases").body)["items"] == []

    # A supervisor hands the case to the right agency: it starts again there, with fresh deadlines.
    same = world.step(chaoyang, case_id, "reassignment", {"agency_code": "110105-GA", "reason": "x"})
    assert same.status_code == 422
    moved = world.ok_step(chaoyang, case_id, "reassignment", {"agency_code": "110105-SJ", "reason": "属市场监管"})
    assert (moved["agency_code"], moved["state"]) == ("110105-SJ", "received")
    assert world.get(li, f"/v1/cases/{case_id}").status_code == 403
    assert [item["evaluation_id"] for item in json.loads(world.get(chen, "/v1/cases").body)["items"]] == [case_id]
    moved_view = world.view(chen, case_id)
    assert moved_view["contact"]["name"] == "张三"
    # The history names both agencies of the reassignment by their catalogue names.
    named = moved_view["history_agency_names"]
    assert set(named) == {"110105-GA", "110105-SJ"} and all(named.values())


def test_steps_out_of_order_conflict_and_bad_input_names_its_field(world: World, case_id: str) -> None:
    li = world.staff("li.ming")
    out_of_order = world.step(li, case_id, "answer", {"message": "已处理"})
    assert (out_of_order.status_code, problem(out_of_order)) == (409, "/problems/conflict")
    invalid = world.step(li, case_id, "contact", {"reached": "perhaps", "channel": "pigeon"})
    assert invalid.status_code == 422
    assert {error["field"] for error in json.loads(invalid.body)["errors"]} == {"reached", "channel"}
    assert (
        world.step(li, "01K00000000000000000000000", "contact", {"reached": True, "channel": "sms"}).status_code == 404
    )


def test_the_list_pages_by_deadline(world: World) -> None:
    ids = []
    for day in (1, 2, 3):  # reviews on three days, so three different deadlines
        with time_machine.travel(datetime(2025, 11, day + 2, 10, tzinfo=CST), tick=False):
            review = world.review(contact=False)
            world.deliver()
            ids.append(review["evaluation_id"])
    li = world.staff("li.ming")
    first = json.loads(world.get(li, "/v1/cases?limit=2").body)
    assert [item["evaluation_id"] for item in first["items"]] == ids[:2]
    assert all(item["overdue"] for item in first["items"])  # it is later than November 2025 now
    second = json.loads(world.get(li, f"/v1/cases?limit=2&cursor={first['next_cursor']}").body)
    assert ([item["evaluation_id"] for item in second["items"]], second["next_cursor"]) == (ids[2:], None)
    assert world.get(li, "/v1/cases?cursor=bm90LWEtY3Vyc29y").status_code == 422
    chen = world.staff("chen.jing", agency="110105-SJ")
    assert world.get(chen, f"/v1/cases?cursor={first['next_cursor']}").status_code == 422  # not their list
    assert world.get(li, "/v1/cases?limit=1000").status_code == 422


# --- the console ---------------------------------------------------------------------------------


def test_the_console_signs_in_lists_shows_and_records(world: World, case_id: str) -> None:
    browser = ConsoleBrowser(world.cases)
    anonymous = browser.get("/console/cases")
    assert (anonymous.status_code, anonymous.headers["Location"]) == (303, "/console/login")
    assert "Sign in" in browser.get("/console/login").body.decode()

    world.account("li.ming", "staff", "110105", "110105-GA")
    wrong = browser.sign_in("li.ming", "wrong-password")
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.body.decode()
    signed_in = browser.sign_in("li.ming")
    assert (signed_in.status_code, signed_in.headers["Location"]) == (303, "/console/cases")
    [session_cookie] = [line for line in signed_in.headers["Set-Cookie"] if line.startswith("__Host-govrate_session=")]
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} <= {flag.strip() for flag in session_cookie.split(";")}
    assert "Domain" not in session_cookie
    # The cookie is an opaque id, not a token: nothing in it names the account.
    assert browser.cookies["__Host-govrate_session"].count(".") == 0

    listing = browser.get("/console/cases")
    assert listing.headers["Content-Type"].startswith("text/html")
    assert case_id in listing.body.decode()
    assert "1 非常不满意 Very dissatisfied" in listing.body.decode()
    filtered = browser.get("/console/cases?state=escalated&level=&item=&q=&sort=").body.decode()
    assert case_id not in filtered and "No open cases match" in filtered
    page = browser.get(f"/console/cases/{case_id}").body.decode()
    complaint = page.split('<section class="card complaint"', 1)[1].split("</section>", 1)[0]
    for shown in (
        "办事要求讲不清 Unclear requirements",
        "来回跑、多次跑 Had to come back again",
        "材料清单不清楚，跑了两趟",
    ):
        assert shown in complaint
    assert "13800138000" not in page  # the contact is shown by a POST, audited
    assert f'action="/console/cases/{case_id}/contact"' in page
    assert "/appeal-decision" not in page  # a supervisor's step
    contact_path = f"/console/cases/{case_id}/evaluator-contact"
    revealed = browser.submit(f"/console/cases/{case_id}", contact_path, {})
    # POST, redirect, GET: the reveal is audited once; reloading the page shows it with no second view.
    assert (revealed.status_code, revealed.headers["Location"]) == (303, contact_path)
    for _ in range(2):
        contact = browser.get(contact_path)
        assert contact.status_code == 200
        assert "13800138000" in contact.body.decode() and "张三" in contact.body.decode()
    assert "13800138000" not in browser.get(f"/console/cases/{case_id}").body.decode()

    step = f"/console/cases/{case_id}"
    # No answer is chosen for the user: sent as shown, the return visit is refused beside the field.
    assert '<select name="reached" required><option value="" selected>请选择 Please choose</option>' in page
    unchosen = browser.submit(step, f"{step}/contact", {"reached": "", "channel": "", "note": ""})
    assert unchosen.status_code == 422
    assert '<p class="field-error" id="contact-reached-error">' in unchosen.body.decode()
    assert '<p class="field-error" id="contact-channel-error">' in unchosen.body.decode()
    recorded = browser.submit(
        step, f"{step}/contact", {"reached": "true", "channel": "phone", "note": "<script>alert(1)</script>"}
    )
    assert (recorded.status_code, recorded.headers["Location"]) == (303, f"/console/cases/{case_id}")
    page = browser.get(step).body.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "审计链完整，共 3 条记录 Audit chain intact (3 entries)." in page

    browser.submit(step, f"{step}/verification", {"substantiated": "false", "finding": "不属实"})
    refused = browser.submit(step, f"{step}/triage", {"outcome": "appeal", "note": "恶意"})
    assert refused.status_code == 422
    assert '<p class="field-error" id="triage-evidence-error">申诉须至少提供一项证据' in refused.body.decode()
    # A required field of blanks: the case page again, what was typed kept, the message beside the field.
    blank = browser.submit(step, f"{step}/triage", {"outcome": "explain", "note": "  ", "evidence": "录像"})
    form_again = blank.body.decode().split('id="step-triage"', 1)[1].split("</form>", 1)[0]
    assert blank.status_code == 422 and "已核实 verified" in blank.body.decode()
    assert 'aria-invalid="true" aria-describedby="triage-note-error"' in form_again
    assert '<p class="field-error" id="triage-note-error">请填写此项 Please fill this in.</p>' in form_again
    assert '<option value="explain" selected>' in form_again and ">录像</textarea>" in form_again
    browser.submit(step, f"{step}/triage", {"outcome": "appeal", "note": "恶意", "evidence": "录像\n\n叫号记录\n"})
    view = world.view(world.sign_in("li.ming"), case_id)
    assert view["history"][-2]["detail"]["evidence"] == ["录像", "叫号记录"]
    assert [entry["action"] for entry in view["history"]].count("view_contact") == 2  # the console's and this one

    signed_out = browser.submit("/console/cases", "/console/logout", {})
    assert signed_out.headers["Location"] == "/console/login"
    assert "__Host-govrate_session" not in browser.cookies

    chen = ConsoleBrowser(world.cases)
    world.account("chen.jing", "staff", "110105", "110105-SJ")
    chen.sign_in("chen.jing")
    refused = chen.get(f"/console/cases/{case_id}")
    assert refused.status_code == 403
    assert "This is not one you handle" in refused.body.decode()  # opened, not a form sent: no "reload"
    forged = world.cases.http.get("/console/cases", headers={"cookie": "__Host-govrate_session=forged"})
    assert forged.status_code == 303
