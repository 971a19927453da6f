"""The staff side attacked as docs/security.md describes it: targets out of scope, forged authority,
sessions that should have ended, forms from other pages, guessed passwords and leaky responses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from govrate.identity.sessions import ACCOUNT_POLICY, CLIENT_POLICY, IDLE_TIMEOUT, RECHECK_AFTER

from tests.integration.conftest import AwsResources
from tests.integration.staff_support import PASSWORD, ConsoleBrowser, create_staff_pool
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


def audit_actions(world: World, case_id: str) -> list[str]:
    return [item["sk"]["S"] for item in world.case_items(case_id) if item["sk"]["S"].startswith("AUDIT#")]


# --- 1. every staff action authorizes its target -------------------------------------------------


def test_a_case_is_reassigned_only_to_a_catalogue_agency_of_the_supervisors_division(
    world: World, case_id: str
) -> None:
    chaoyang = world.supervisor("zhao.lei", region="110105")
    elsewhere = world.step(chaoyang, case_id, "reassignment", {"agency_code": "440305-GA", "reason": "转深圳"})
    assert elsewhere.status_code == 403
    assert json.loads(elsewhere.body)["errors"] == [{"field": "region_code", "message": "440305 is outside 110105"}]
    unknown = world.step(chaoyang, case_id, "reassignment", {"agency_code": "110105-XX", "reason": "不存在的部门"})
    assert unknown.status_code == 422
    assert json.loads(unknown.body)["errors"][0]["field"] == "agency_code"
    assert audit_actions(world, case_id) == ["AUDIT#000001"]  # nothing recorded for either

    moved = world.ok_step(chaoyang, case_id, "reassignment", {"agency_code": "110105-SJ", "reason": "属市场监管"})
    assert (moved["agency_code"], moved["region_code"]) == ("110105-SJ", "110105")  # the catalogue's region


def test_a_supervisor_of_another_division_decides_no_appeal_and_resumes_nothing(world: World, case_id: str) -> None:
    shenzhen = world.supervisor("liu.yang", region="440300")
    for step, body in (
        ("appeal-decision", {"upheld": True, "reason": "恶意差评"}),
        ("resumption", {"reason": "重新处理", "working_days": 5}),
        ("reassignment", {"agency_code": "440305-GA", "reason": "转深圳"}),
    ):
        assert world.step(shenzhen, case_id, step, body).status_code == 403, step
    assert audit_actions(world, case_id) == ["AUDIT#000001"]


def test_windows_and_paper_forms_are_authorized_against_the_catalogue(world: World) -> None:
    import qr_api
    from chalice.test import Client

    li = world.staff("li.ming")
    registration = {
        "window_id": "440305-GA-W09",
        "name_zh": "冒名窗口",
        "agency_code": "440305-GA",
        "region_code": "110105",  # claims li's division for another city's agency
        "item_codes": ["440305-GA-001"],
    }
    with Client(qr_api.app) as qr:
        response = qr.http.post("/v1/windows", headers=li.headers, body=json.dumps(registration).encode())
        assert response.status_code == 403
        unknown = {**registration, "agency_code": "110105-XX", "region_code": "110105"}
        response = qr.http.post("/v1/windows", headers=li.headers, body=json.dumps(unknown).encode())
        assert response.status_code in (403, 422)
    header = "form_id,channel,agency_code,region_code,level"
    upload = f"{header}\nX-1,paper,440305-GA,110105,5\n".encode()
    result = world.intake.http.post(
        "/v1/transcribed-evaluations", headers={**li.headers, "content-type": "text/csv"}, body=upload
    )
    assert json.loads(result.body)["results"][0]["problem"]["status"] == 403


# --- 2. authority no user can change ---------------------------------------------------------------


def test_attributes_a_user_writes_with_their_own_token_confer_nothing(world: World, case_id: str) -> None:
    # The pool of an older stack, with the attributes that once carried authority.
    world.use_pool(*create_staff_pool(custom_attributes=("agency_code", "region_code", "role")))
    world.account("chen.jing", "staff", "110105", "110105-SJ")
    chen = world.sign_in("chen.jing")
    world.cognito.update_user_attributes(
        AccessToken=chen.token,
        UserAttributes=[
            {"Name": "custom:role", "Value": "supervisor"},
            {"Name": "custom:region_code", "Value": "110000"},
            {"Name": "custom:agency_code", "Value": "110105-GA"},
        ],
    )
    again = world.sign_in("chen.jing")
    assert world.get(again, f"/v1/cases/{case_id}").status_code == 403
    assert json.loads(world.get(again, "/v1/cases").body)["items"] == []
    browser = ConsoleBrowser(world.cases)
    browser.sign_in("chen.jing")
    assert browser.get(f"/console/cases/{case_id}").status_code == 403


def test_an_id_token_or_a_token_claiming_a_long_life_is_refused(world: World) -> None:
    world.account("li.ming", "staff", "110105", "110105-GA")
    id_token = world.cognito.initiate_auth(
        ClientId=world.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "li.ming", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    refused = world.cases.http.get("/v1/cases", headers={"authorization": f"Bearer {id_token}"})
    assert refused.status_code == 401
    # The body does not say which check failed (the log does).
    assert json.loads(refused.body)["detail"] == "not signed in, or the sign-in has ended: sign in again"


# --- 3. sessions that end ----------------------------------------------------------------------------


def test_api_tokens_stop_working_after_a_global_sign_out_or_when_the_account_is_disabled(world: World) -> None:
    li = world.staff("li.ming")
    world.cognito.admin_user_global_sign_out(UserPoolId=world.pool_id, Username="li.ming")
    assert world.get(li, "/v1/cases").status_code == 401
    fresh = world.sign_in("li.ming")
    assert world.get(fresh, "/v1/cases").status_code == 200
    world.cognito.admin_disable_user(UserPoolId=world.pool_id, Username="li.ming")
    with time_machine.travel(datetime.now(CST) + timedelta(minutes=3)):  # past the standing check's interval
        assert world.get(fresh, "/v1/cases").status_code == 401


@pytest.mark.parametrize("how", ["sign-out", "global-sign-out", "disabled", "idle"])
def test_a_console_session_ends(world: World, case_id: str, how: str) -> None:
    world.account("li.ming", "staff", "110105", "110105-GA")
    browser = ConsoleBrowser(world.cases)
    browser.sign_in("li.ming")
    session = dict(browser.cookies)
    assert browser.get("/console/cases").status_code == 200
    later = RECHECK_AFTER + timedelta(seconds=5)
    if how == "sign-out":
        browser.submit("/console/cases", "/console/logout", {})
        later = timedelta(0)
    elif how == "global-sign-out":
        world.cognito.admin_user_global_sign_out(UserPoolId=world.pool_id, Username="li.ming")
    elif how == "disabled":
        world.cognito.admin_disable_user(UserPoolId=world.pool_id, Username="li.ming")
    else:
        later = IDLE_TIMEOUT + timedelta(minutes=1)
    replay = ConsoleBrowser(world.cases)
    replay.cookies = session  # the old cookie, kept by someone
    with time_machine.travel(datetime.now(CST) + later):
        response = replay.get(f"/console/cases/{case_id}")
    assert (response.status_code, response.headers["Location"]) == (303, "/console/login")


# --- 4. forms only from the console's own pages --------------------------------------------------


def test_a_same_site_page_cannot_drive_a_step_reveal_a_contact_or_sign_out(world: World, case_id: str) -> None:
    world.account("li.ming", "staff", "110105", "110105-GA")
    browser = ConsoleBrowser(world.cases)
    browser.sign_in("li.ming")
    token = browser.token(browser.get(f"/console/cases/{case_id}"))
    step = f"/console/cases/{case_id}"
    hostile = {"site": "same-site", "origin": "http://console.test:8081"}
    contact = {"reached": "true", "channel": "phone"}
    assert browser.post(f"{step}/contact", {"form_token": token, **contact}, **hostile).status_code == 403
    assert browser.post(f"{step}/contact", contact).status_code == 403  # no token
    assert browser.post(f"{step}/contact", {"form_token": "guessed", **contact}).status_code == 403
    assert browser.post(f"{step}/evaluator-contact", {"form_token": token}, **hostile).status_code == 403
    assert browser.post("/console/logout", {"form_token": token}, **hostile).status_code == 403
    # An <img> or a link: a GET shows the case without the contact and records nothing.
    assert "13800138000" not in browser.get(step).body.decode()
    assert audit_actions(world, case_id) == ["AUDIT#000001"]
    assert browser.get("/console/cases").status_code == 200  # still signed in
    assert browser.post(f"{step}/contact", {"form_token": token, **contact}).status_code == 303


def test_login_csrf_is_refused(world: World) -> None:
    world.account("attacker", "staff", "110105", "110105-SJ")
    browser = ConsoleBrowser(world.cases)
    # A hostile page posts its own account's password into the victim's browser: no sign-in token.
    forced = browser.post("/console/login", {"username": "attacker", "password": PASSWORD}, site="cross-site")
    assert forced.status_code == 403
    assert browser.post("/console/login", {"username": "attacker", "password": PASSWORD}).status_code == 403
    assert "__Host-govrate_session" not in browser.cookies


# --- 5. guessing passwords -------------------------------------------------------------------------


def test_wrong_passwords_back_off_then_lock_and_the_owner_is_told(world: World) -> None:
    world.account("li.ming", "staff", "110105", "110105-GA")
    owner = ConsoleBrowser(world.cases)
    assert owner.sign_in("li.ming").status_code == 303  # the owner's browser becomes a trusted device
    start = datetime.now(CST)
    attacker = ConsoleBrowser(world.cases)
    statuses = [attacker.sign_in("li.ming", "guess").status_code for _ in range(ACCOUNT_POLICY.free)]
    assert statuses == [401] * ACCOUNT_POLICY.free
    throttled = attacker.sign_in("li.ming", "guess")  # at once: must wait
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert attacker.sign_in("li.ming", PASSWORD).status_code == 429  # even the right password
    moment = start
    for _ in range(ACCOUNT_POLICY.lock_after - ACCOUNT_POLICY.free):
        moment += ACCOUNT_POLICY.max_delay + timedelta(seconds=1)
        with time_machine.travel(moment):
            assert attacker.sign_in("li.ming", "guess").status_code == 401
    with time_machine.travel(moment + ACCOUNT_POLICY.max_delay * 2):
        locked = attacker.sign_in("li.ming", PASSWORD)
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
        # The owner's own browser is counted on its own: a known user name does not lock them out.
        owner_again = ConsoleBrowser(world.cases)
        owner_again.cookies = {"__Host-govrate_device": owner.cookies["__Host-govrate_device"]}
        assert owner_again.sign_in("li.ming").status_code == 303
        page = owner_again.get("/console/cases").body.decode()
    assert f"{ACCOUNT_POLICY.lock_after} failed sign-in attempts" in page
    assert "the account was locked until" in page


def test_attempts_refused_for_waiting_are_not_counted(world: World) -> None:
    world.account("wang.fang", "staff", "110105", "110105-GA")
    world.account("zhao.lei", "staff", "110105", "110105-GA")
    guesser = ConsoleBrowser(world.cases)
    with time_machine.travel(datetime.now(CST), tick=False):
        statuses = [guesser.sign_in("wang.fang", "guess").status_code for _ in range(CLIENT_POLICY.free + 5)]
        assert statuses.count(401) == ACCOUNT_POLICY.free and statuses.count(429) == CLIENT_POLICY.free + 5 - 3
        # Only the failures counted against the address the whole hall shares: a colleague signs in.
        assert ConsoleBrowser(world.cases).sign_in("zhao.lei").status_code == 303


def test_a_trusted_browser_signs_in_while_its_address_is_locked(world: World) -> None:
    world.account("li.ming", "staff", "110105", "110105-GA")
    owner = ConsoleBrowser(world.cases)
    assert owner.sign_in("li.ming").status_code == 303
    moment = datetime.now(CST)
    stranger = ConsoleBrowser(world.cases)
    for n in range(CLIENT_POLICY.lock_after):  # a new user name each time: only the address is counted
        moment += CLIENT_POLICY.max_delay + timedelta(seconds=1)
        with time_machine.travel(moment, tick=False):
            assert stranger.sign_in(f"nobody-{n}", "guess").status_code == 401
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert ConsoleBrowser(world.cases).sign_in("li.ming").status_code == 429  # the address is locked
        trusted = ConsoleBrowser(world.cases)
        trusted.cookies = {"__Host-govrate_device": owner.cookies["__Host-govrate_device"]}
        assert trusted.sign_in("li.ming").status_code == 303


# --- 6. headers on every kind of response -------------------------------------------------------


def assert_secure_headers(response: Any) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors" in csp
    assert headers["X-Frame-Options"] == "DENY"  # none of these may be framed


def test_every_kind_of_response_carries_the_security_headers(world: World, case_id: str) -> None:
    li = world.staff("li.ming")
    browser = ConsoleBrowser(world.cases)
    world.account("wang.fang", "staff", "110105", "110105-GA")
    browser.sign_in("wang.fang")
    responses = [
        world.get(li, "/v1/cases"),  # API JSON
        world.cases.http.get("/v1/cases"),  # problem+json 401
        world.cases.http.get("/console/cases"),  # redirect
        browser.get("/console/cases"),  # console page
        browser.get("/console/login"),
        world.intake.http.get("/docs"),
        world.intake.http.get("/openapi.json"),
        world.intake.http.request("DELETE", "/v1/evaluations", headers={}, body=b""),  # Chalice's own 405
    ]
    for response in responses:
        assert_secure_headers(response)
    docs = world.intake.http.get("/docs").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in docs
