"""Case handling over HTTP. Lambda handler: `case_api.app`.

- `/v1/cases…`: the staff and supervisor API, JSON, `Authorization: Bearer <Cognito access token>`.
- `/console/…`: the same for people, as server-rendered pages with a server-side session
  (`govrate.identity.sessions`, `govrate.web.console`).
- `/v1/evaluations/{id}/handling`: the evaluator follows and rates the handling with the receipt;
  `/e/{id}/handling` takes the same rating from the status page's form.

Every staff route resolves the caller through `govrate.identity.auth` (one verifier for the API and the
console) and each case service checks that the caller may act on that case.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, TypeVar, get_origin

import case_console
import dashboard_console
import integrity_console
from chalice.app import Chalice, Response
from govrate import runtime
from govrate.cases.model import (
    AnswerRecord,
    AppealDecision,
    BurstDecision,
    Case,
    CaseBoardQuery,
    CaseListQuery,
    CasePage,
    CaseView,
    Conclusion,
    ContactRecord,
    HandlingRatingInput,
    Reassignment,
    RectificationRecord,
    Resumption,
    StaffCommand,
    TriageDecision,
    VerificationRecord,
)
from govrate.cases.service import (
    ContactView,
    act_on_case,
    case_board,
    handling_of,
    list_cases,
    rate_handling,
    reassignable_agencies,
    view_case,
)
from govrate.evaluations.models import CaseSummary, HandlingRating, ReceiptQuery
from govrate.identity.auth import NotSignedIn
from govrate.identity.model import Actor
from govrate.identity.sessions import StaffSession, sign_in, sign_out
from govrate.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts
from govrate.kernel.observability import logger
from govrate.rating.models import PageQuery
from govrate.web import console
from govrate.web.chalice_edge import (
    ApiBlueprint,
    cookie,
    json_response,
    observed,
    parse_json_body,
    parse_query,
)
from govrate.web.operations import Auth, Media, Operation
from govrate.web.page_edge import FORM_MEDIA_TYPE, html, html_page, page_context, parse_form, see_other
from govrate.web.pages import refusal_page
from govrate.web.urls import status_url
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

blueprint = ApiBlueprint(__name__)
ModelT = TypeVar("ModelT", bound=BaseModel)

# The steps of the handling, by the last segment of their path (API and console alike).
STEPS: dict[str, tuple[type[StaffCommand], str]] = {
    "contact": (ContactRecord, "Record the return visit to the evaluator"),
    "verification": (VerificationRecord, "Record the verification of the bad review"),
    "triage": (TriageDecision, "Triage: fix at once, rectify by deadline, explain, or appeal with evidence"),
    "rectification": (RectificationRecord, "Record the rectification"),
    "answer": (AnswerRecord, "Answer the evaluator"),
    "appeal-decision": (AppealDecision, "Supervisor: uphold or reject the agency's appeal"),
    "reassignment": (Reassignment, "Supervisor: reassign the case to another agency"),
    "resumption": (Resumption, "Supervisor: resume an escalated case with a new deadline"),
    "burst-decision": (
        BurstDecision,
        "Supervisor: decide a burst of bad reviews: genuine (a case for each) or a flood (kept as flagged evaluations)",
    ),
    "conclusion": (Conclusion, "Supervisor: conclude a citizen's report of being pressed to rate"),
}


def _api_actor() -> Actor:
    return runtime.staff_actor(blueprint.current_request.headers)


# --- the staff API -------------------------------------------------------------------------------


@blueprint.route(
    "/v1/cases",
    methods=["GET"],
    doc=Operation(
        summary="Open cases by deadline",
        tag="cases",
        query=CaseListQuery,
        responses={200: CasePage},
        auth=Auth.STAFF,
        description="Staff: their agency's open cases; supervisors: their region's. Nearest deadline first.",
    ),
)
def get_cases() -> Response:
    actor = _api_actor()
    query = parse_query(blueprint.current_request, CaseListQuery)
    page = list_cases(actor, stores=runtime.case_stores(), now=runtime.now(), limit=query.limit, cursor=query.cursor)
    return json_response(page, headers={"Cache-Control": "no-store"})


@blueprint.route(
    "/v1/cases/{evaluation_id}",
    methods=["GET"],
    doc=Operation(
        summary="One case, with the evaluator's contact and the audit trail",
        tag="cases",
        responses={200: CaseView},
        auth=Auth.STAFF,
        description="The contact is decrypted only here, and each such view is written to the case's audit "
        "chain first. `chain` reports whether the trail is intact.",
    ),
)
def get_case(evaluation_id: str) -> Response:
    view = view_case(evaluation_id, actor=_api_actor(), stores=runtime.case_stores(), now=runtime.now())
    return json_response(view, headers={"Cache-Control": "no-store"})


def _api_step(command_type: type[StaffCommand]) -> Callable[[str], Response]:
    def post_step(evaluation_id: str) -> Response:
        actor = _api_actor()
        command = parse_json_body(blueprint.current_request, command_type)
        case = act_on_case(evaluation_id, command, actor=actor, stores=runtime.case_stores(), now=runtime.now())
        return json_response(case)

    return post_step


for _step, (_command, _summary) in STEPS.items():
    blueprint.route(
        f"/v1/cases/{{evaluation_id}}/{_step}",
        methods=["POST"],
        name=f"post_case_{_step.replace('-', '_')}",
        doc=Operation(
            summary=_summary,
            tag="cases",
            body=_command,
            responses={200: Case},
            auth=Auth.STAFF,
            description="409 when the case's state does not allow this step, or it changed meanwhile.",
            errors=(409,),
        ),
    )(_api_step(_command))


# --- the evaluator -------------------------------------------------------------------------------


@blueprint.route(
    "/v1/evaluations/{evaluation_id}/handling",
    methods=["GET"],
    cors=True,
    doc=Operation(
        summary="Follow the handling of a bad review",
        tag="evaluations",
        query=ReceiptQuery,
        responses={200: CaseSummary},
        auth=Auth.RECEIPT,
    ),
)
def get_handling(evaluation_id: str) -> Response:
    query = parse_query(blueprint.current_request, ReceiptQuery)
    summary = handling_of(evaluation_id, query.receipt, stores=runtime.case_stores())
    return json_response(summary, headers={"Cache-Control": "no-store"})


@blueprint.route(
    "/v1/evaluations/{evaluation_id}/handling",
    methods=["POST"],
    cors=True,
    doc=Operation(
        summary="Rate the handling of a bad review",
        tag="evaluations",
        body=HandlingRatingInput,
        responses={200: CaseSummary},
        auth=Auth.RECEIPT,
        description="Once the agency has answered. Satisfied or basically satisfied closes the case; "
        "dissatisfied reopens it, or escalates it to the supervisors when `escalate` is true or the "
        "region's reopen limit is reached.",
        errors=(409,),
    ),
)
def post_handling(evaluation_id: str) -> Response:
    rating = parse_json_body(blueprint.current_request, HandlingRatingInput)
    summary = rate_handling(evaluation_id, rating, stores=runtime.case_stores(), now=runtime.now())
    return json_response(summary)


class HandlingForm(BaseModel):
    """The status page's form rating the handling, as the browser sends it (no rating chosen: None)."""

    model_config = ConfigDict(defer_build=True)

    receipt: str = ""
    rating: HandlingRating | None = None
    comment: str = ""
    escalate: bool = False


@blueprint.route(
    "/e/{evaluation_id}/handling",
    methods=["POST"],
    content_types=[FORM_MEDIA_TYPE],
    doc=Operation(
        summary="Rate the handling of a bad review: the form of the evaluator's status page",
        tag="pages",
        body=HandlingForm,
        body_media_type=FORM_MEDIA_TYPE,
        query=PageQuery,
        auth=Auth.RECEIPT,
        responses={
            303: None,
            400: Media("text/html", "A page saying the form could not be read."),
            404: Media("text/html", "A page saying the link is incomplete or wrong."),
            413: Media("text/html", "A page saying the form is too large."),
            422: Media("text/html", "A page saying the form cannot be taken."),
            503: Media("text/html", "A page asking to retry later."),
        },
        description="As POST /v1/evaluations/{evaluation_id}/handling, from a page without script: the answer is "
        "a 303 to the status page, which shows the outcome (closed, reopened with the new deadline, or escalated). "
        "Without a rating the status page comes back with the problem beside the choices (`problem=rating`); the "
        "same form posted again (a second tap) lands on the status page as it stands.",
    ),
)
@html_page(blueprint)
def post_handling_form(evaluation_id: str) -> Response:
    request = blueprint.current_request
    ctx = page_context(request)
    form = parse_form(request, HandlingForm)
    stores = runtime.case_stores()
    status = status_url(request, evaluation_id, form.receipt, ctx.lang)
    try:
        if form.rating is None:
            handling_of(evaluation_id, form.receipt, stores=stores)  # a wrong receipt learns nothing more
            return see_other(f"{status}&problem=rating#handling")
        rating = HandlingRatingInput(
            receipt=form.receipt, rating=form.rating, comment=form.comment.strip() or None, escalate=form.escalate
        )
        try:
            rate_handling(evaluation_id, rating, stores=stores, now=runtime.now())
        except Conflict:
            handling_of(evaluation_id, form.receipt, stores=stores)  # rated already: the page shows how it stands
    except (NotFound, ValidationError):
        return html(refusal_page("unknown-link", 404, ctx))
    return see_other(f"{status}#case")


# --- the console ---------------------------------------------------------------------------------


class ConsoleSignIn(BaseModel):
    model_config = ConfigDict(defer_build=True)

    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ConsoleForm(BaseModel):
    """What every state-changing console form carries besides its own fields."""

    model_config = ConfigDict(defer_build=True)

    form_token: str


def _back_to_case(path_parameters: dict[str, str]) -> str:
    evaluation_id = path_parameters.get("evaluation_id")
    return console.case_path(evaluation_id) if evaluation_id else console.CASES_PATH


# Whatever went wrong, the sign-in page says only this (the reason is logged).
SIGN_IN_REFUSED = "用户名或密码错误，或账户不能登录 Wrong user name or password, or the account cannot sign in."


def _login_page(error: str | None = None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The sign-in form with a fresh sign-in token, doubled in a cookie (login CSRF)."""
    login_token = secrets.token_urlsafe(32)
    response = console.html_response(case_console.login_page(_base(), login_token, error), status)
    response.headers.update(headers or {})
    response.headers["Set-Cookie"] = console.login_cookie(login_token)
    return response


@console.console_route(
    blueprint,
    console.LOGIN_PATH,
    "GET",
    Operation(
        summary="Console: the sign-in page", tag="console", responses={200: console.PAGE}, description=console.SESSION
    ),
)
def console_login_form() -> Response:
    return _login_page()


@console.console_route(
    blueprint,
    console.LOGIN_PATH,
    "POST",
    Operation(
        summary="Console: sign in",
        tag="console",
        body=ConsoleSignIn,
        body_media_type=console.FORM,
        responses={303: console.TO_PAGE, 401: console.PAGE, 403: console.PAGE, 429: console.PAGE},
        description=console.SESSION + " The form carries the sign-in token of its page (doubled in a cookie). "
        "Failed attempts are limited per account and per client; 429 with Retry-After while they must wait.",
    ),
    name="console_login",
)
def console_login() -> Response:
    request = blueprint.current_request
    console.same_origin(request)
    fields, login_token = _form(ConsoleSignIn)
    expected = cookie(request, console.LOGIN_COOKIE)
    if expected is None or not secrets.compare_digest(login_token.encode(), expected.encode()):
        raise Forbidden("the sign-in form is not from this browser's sign-in page: reload it and try again")
    try:
        signed_in = sign_in(
            fields.username,
            fields.password,
            client=console.client_address(request),
            device_token=cookie(request, console.DEVICE_COOKIE),
            ports=runtime.session_ports(),
            now=runtime.now(),
        )
    except NotSignedIn as exc:
        logger.info("console sign-in refused", extra={"reason": str(exc), "username": fields.username[:128]})
        return _login_page(SIGN_IN_REFUSED, 401)
    except TooManyAttempts as exc:
        logger.info("console sign-in throttled", extra={"reason": str(exc), "username": fields.username[:128]})
        wait = f"登录尝试过多，请 {exc.retry_after_s} 秒后再试 Too many attempts: try again in {exc.retry_after_s} s."
        return _login_page(wait, 429, {"Retry-After": str(exc.retry_after_s)})
    cookies = [
        console.session_cookie(signed_in.session_id),
        console.device_cookie(signed_in.device_token),
        f"{console.LOGIN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict",
    ]
    return console.redirect(request, console.CASES_PATH, cookies)


@console.console_route(
    blueprint,
    "/console/logout",
    "POST",
    Operation(
        summary="Console: sign out",
        tag="console",
        body=ConsoleForm,
        body_media_type=console.FORM,
        responses={303: console.TO_PAGE},
        description=console.SESSION + " Ends the session and revokes its Cognito refresh token.",
        errors=(415,),
    ),
)
def console_logout() -> Response:
    request = blueprint.current_request
    console.check_change(request, console.session(request), _token_only())
    session_id = cookie(request, console.SESSION_COOKIE)
    if session_id is not None:
        sign_out(session_id, ports=runtime.session_ports(), now=runtime.now())
    return console.redirect(request, console.LOGIN_PATH, [console.ended_session_cookie()])


@console.console_route(
    blueprint,
    console.CASES_PATH,
    "GET",
    Operation(
        summary="Console: open cases, most urgent first, filtered and searched, a page at a time",
        tag="console",
        query=CaseBoardQuery,
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION,
    ),
)
def console_cases() -> Response:
    signed_in = console.session(blueprint.current_request)
    query = parse_query(blueprint.current_request, CaseBoardQuery)
    board = case_board(signed_in.actor, query, stores=runtime.case_stores(), now=runtime.now())
    return console.html_response(case_console.list_page(signed_in, board, query, _base()))


@console.console_route(
    blueprint,
    f"{console.CASES_PATH}/{{evaluation_id}}",
    "GET",
    Operation(
        summary="Console: one case (the evaluator's contact is shown by a POST, audited)",
        tag="console",
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION,
    ),
    back=_back_to_case,
)
def console_case(evaluation_id: str) -> Response:
    signed_in = console.session(blueprint.current_request)
    return console.html_response(_case_page(signed_in, evaluation_id))


def _case_page(
    signed_in: StaffSession,
    evaluation_id: str,
    contact_view: ContactView = ContactView.HIDDEN,
    again: case_console.FormAgain | None = None,
) -> str:
    stores = runtime.case_stores()
    view = view_case(evaluation_id, actor=signed_in.actor, stores=stores, now=runtime.now(), contact_view=contact_view)
    agencies = [
        (agency.agency_code, agency.agency_name_zh) for agency in reassignable_agencies(signed_in.actor, stores=stores)
    ]
    return case_console.case_page(signed_in, view, _base(), agencies=agencies, again=again)


def _contact_path(evaluation_id: str) -> str:
    return f"{console.case_path(evaluation_id)}/evaluator-contact"


@console.console_route(
    blueprint,
    f"{console.CASES_PATH}/{{evaluation_id}}/evaluator-contact",
    "POST",
    Operation(
        summary="Console: reveal the evaluator's contact (the view is written to the audit chain)",
        tag="console",
        body=ConsoleForm,
        body_media_type=console.FORM,
        responses={303: console.TO_PAGE},
        description=console.SESSION + " Answers with a redirect to the case shown with the contact (GET), so that "
        "reloading it does not reveal the contact again.",
    ),
    name="console_evaluator_contact",
    back=_back_to_case,
)
def console_evaluator_contact(evaluation_id: str) -> Response:
    request = blueprint.current_request
    signed_in = console.session(request)
    console.check_change(request, signed_in, _token_only())
    view_case(evaluation_id, actor=signed_in.actor, stores=runtime.case_stores(), now=runtime.now())
    return console.redirect(request, _contact_path(evaluation_id))


@console.console_route(
    blueprint,
    f"{console.CASES_PATH}/{{evaluation_id}}/evaluator-contact",
    "GET",
    Operation(
        summary="Console: the case with the evaluator's contact just revealed",
        tag="console",
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION + " Shows the contact for a few minutes after this person's audited reveal, "
        "with no new audit entry; after that the case without it.",
    ),
    name="console_evaluator_contact_shown",
    back=_back_to_case,
)
def console_evaluator_contact_shown(evaluation_id: str) -> Response:
    signed_in = console.session(blueprint.current_request)
    return console.html_response(_case_page(signed_in, evaluation_id, ContactView.SHOWN_AGAIN))


def _console_step(step: str, command_type: type[StaffCommand]) -> console.ConsoleView:
    def console_step(evaluation_id: str) -> Response:
        request = blueprint.current_request
        signed_in = console.session(request)
        console.check_change(request, signed_in, _token_only())
        try:
            command, _ = _form(command_type)
            act_on_case(evaluation_id, command, actor=signed_in.actor, stores=runtime.case_stores(), now=runtime.now())
        except (InvalidInput, ValidationError) as refused:
            # The same page again, with what was typed and a plain message beside each refused field.
            again = case_console.FormAgain(step, dict(console.form_fields(request)), console.field_messages(refused))
            return console.html_response(_case_page(signed_in, evaluation_id, again=again), 422)
        return console.redirect(request, console.case_path(evaluation_id))

    return console_step


for _step, (_command, _summary) in STEPS.items():
    console.console_route(
        blueprint,
        f"{console.CASES_PATH}/{{evaluation_id}}/{_step}",
        "POST",
        Operation(
            summary=f"Console: {_summary[0].lower()}{_summary[1:]}",
            tag="console",
            body=_command,
            body_media_type=console.FORM,
            responses={
                303: console.TO_PAGE,
                422: Media(
                    "text/html",
                    "The case page again, the form filled in as sent, a plain message beside each refused field",
                ),
            },
            description=console.SESSION,
            errors=(409,),
        ),
        name=f"console_{_step.replace('-', '_')}",
        back=_back_to_case,
    )(_console_step(_step, _command))


def _form(model: type[ModelT]) -> tuple[ModelT, str]:
    """An HTML form's fields validated as `model`, and its form token (`form_token`, or the sign-in
    token); a list field comes from a textarea, one item a line; an optional field left empty is absent."""
    token = ""
    document: dict[str, object] = {}
    for name, value in console.form_fields(blueprint.current_request):
        if name == console.FORM_TOKEN:
            token = value
            continue
        field = model.model_fields.get(name)
        if field is not None and not field.is_required() and not value.strip():
            continue  # an optional field left empty is not given
        listed = field is not None and get_origin(field.annotation) is list
        document[name] = [line.strip() for line in value.splitlines() if line.strip()] if listed else value
    return model.model_validate(document), token


def _token_only() -> str:
    """The form token of a form that has no other fields."""
    return dict(console.form_fields(blueprint.current_request)).get(console.FORM_TOKEN, "")


def _base() -> str:
    return console.stage_base(blueprint.current_request)


app = observed(Chalice(app_name="govrate-cases"))
app.register_blueprint(blueprint)
app.register_blueprint(dashboard_console.blueprint)
app.register_blueprint(integrity_console.blueprint)
