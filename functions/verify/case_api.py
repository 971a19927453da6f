"""Case handling over HTTP. Lambda handler: `case_api.app`.

- `/v1/cases…`: the staff and supervisor API, JSON, `Authorization: Bearer <Cognito ID token>`.
- `/console/…`: the same for people, as server-rendered pages; the token rides in an HttpOnly,
  SameSite=Strict cookie set by the console's sign-in form.
- `/v1/evaluations/{id}/handling`: the evaluator follows and rates the handling with the receipt.

Every staff route resolves the caller through `govrate.cases.auth` (one verifier for the API and the
console) and each case service checks that the caller may act on that case.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from html import escape
from http.cookies import CookieError, SimpleCookie
from typing import Annotated, TypeVar, get_origin
from urllib.parse import parse_qsl, quote

import case_console
from chalice.app import Chalice, Request, Response
from govrate import clock
from govrate.cases import runtime
from govrate.cases.auth import NotSignedIn, bearer_token
from govrate.cases.model import (
    Actor,
    AnswerRecord,
    AppealDecision,
    Case,
    CaseListQuery,
    CasePage,
    CaseView,
    ContactRecord,
    HandlingRatingInput,
    Reassignment,
    RectificationRecord,
    Resumption,
    StaffCommand,
    TriageDecision,
    VerificationRecord,
)
from govrate.cases.service import act_on_case, handling_of, list_cases, rate_handling, view_case
from govrate.errors import GovrateError
from govrate.models import CaseSummary, ReceiptQuery
from govrate.settings import get_settings
from govrate.web.chalice_edge import (
    MAX_BODY_BYTES,
    ApiBlueprint,
    json_response,
    parse_json_body,
    parse_query,
)
from govrate.web.operations import Auth, Media, Operation
from govrate.web.problems import BodyTooLarge, MalformedBody, problem_for
from pydantic import BaseModel, StringConstraints, ValidationError

blueprint = ApiBlueprint(__name__)
ModelT = TypeVar("ModelT", bound=BaseModel)

SESSION_COOKIE = "govrate_staff"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html; charset=utf-8"
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
}


def _now() -> datetime:
    return clock.now(get_settings().utc_offset_hours)


def _api_actor() -> Actor:
    return runtime.token_verifier().actor(bearer_token(blueprint.current_request.headers))


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
    page = list_cases(actor, stores=runtime.case_stores(), now=_now(), limit=query.limit, cursor=query.cursor)
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
    view = view_case(evaluation_id, actor=_api_actor(), stores=runtime.case_stores(), now=_now())
    return json_response(view, headers={"Cache-Control": "no-store"})


def _api_step(command_type: type[StaffCommand]) -> Callable[[str], Response]:
    def post_step(evaluation_id: str) -> Response:
        actor = _api_actor()
        command = parse_json_body(blueprint.current_request, command_type)
        case = act_on_case(evaluation_id, command, actor=actor, stores=runtime.case_stores(), now=_now())
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
    summary = rate_handling(evaluation_id, rating, stores=runtime.case_stores(), now=_now())
    return json_response(summary)


# --- the console ---------------------------------------------------------------------------------

ConsoleView = Callable[..., Response]
_PAGE = Media("text/html", "A console page")
_TO_PAGE = Media("text/html", "See Other: the next console page (Location)")
_SESSION = (
    "For people, in a browser. The session is the staff ID token in an HttpOnly, SameSite=Strict cookie set "
    "by the sign-in form and verified by the function; without it the answer is a redirect to the sign-in."
)


class ConsoleSignIn(BaseModel):
    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


def console_route(
    path: str, method: str, doc: Operation, name: str | None = None
) -> Callable[[ConsoleView], ConsoleView]:
    """A console page: refusals come back as a page with the message, not as problem+json, and a
    request without a valid session goes to the sign-in page."""

    def decorator(view: ConsoleView) -> ConsoleView:
        @functools.wraps(view)
        def page(*args: str, **kwargs: str) -> Response:
            try:
                return view(*args, **kwargs)
            except NotSignedIn:
                return _redirect("/console/login")
            except (GovrateError, ValidationError) as exc:
                case_id = kwargs.get("evaluation_id")
                back = f"/console/cases/{quote(case_id)}" if case_id else "/console/cases"
                return _html(case_console.message_page(_error_text(exc), _base(), back), problem_for(exc).status)

        content_types = [FORM] if method == "POST" else ["application/json"]
        blueprint.route(path, methods=[method], name=name or view.__name__, content_types=content_types, doc=doc)(page)
        return view

    return decorator


@console_route(
    "/console/login",
    "GET",
    Operation(summary="Console: the sign-in page", tag="console", responses={200: _PAGE}, description=_SESSION),
)
def console_login_form() -> Response:
    return _html(case_console.login_page(_base()))


@console_route(
    "/console/login",
    "POST",
    Operation(
        summary="Console: sign in",
        tag="console",
        body=ConsoleSignIn,
        body_media_type=FORM,
        responses={303: _TO_PAGE, 401: _PAGE},
        description=_SESSION,
    ),
    name="console_login",
)
def console_login() -> Response:
    form = _parse_form(blueprint.current_request, ConsoleSignIn)
    try:
        token, lifetime = runtime.staff_sign_in().id_token(form.username, form.password)
        runtime.token_verifier().actor(token)
    except NotSignedIn as exc:
        return _html(case_console.login_page(_base(), str(exc)), problem_for(exc).status)
    cookie = f"{SESSION_COOKIE}={token}; Max-Age={lifetime}; Path=/; HttpOnly; Secure; SameSite=Strict"
    return _redirect("/console/cases", cookie)


@console_route(
    "/console/logout",
    "POST",
    Operation(
        summary="Console: sign out",
        tag="console",
        responses={303: _TO_PAGE},
        description=_SESSION + " The sign-out button posts an empty form.",
        errors=(415,),
    ),
)
def console_logout() -> Response:
    return _redirect("/console/login", f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict")


@console_route(
    "/console/cases",
    "GET",
    Operation(
        summary="Console: open cases by deadline",
        tag="console",
        query=CaseListQuery,
        responses={200: _PAGE, 303: _TO_PAGE},
        description=_SESSION,
    ),
)
def console_cases() -> Response:
    actor = _console_actor()
    query = parse_query(blueprint.current_request, CaseListQuery)
    page = list_cases(actor, stores=runtime.case_stores(), now=_now(), limit=query.limit, cursor=query.cursor)
    return _html(case_console.list_page(actor, page, _base()))


@console_route(
    "/console/cases/{evaluation_id}",
    "GET",
    Operation(
        summary="Console: one case, with the evaluator's contact (audited)",
        tag="console",
        responses={200: _PAGE, 303: _TO_PAGE},
        description=_SESSION,
    ),
)
def console_case(evaluation_id: str) -> Response:
    actor = _console_actor()
    view = view_case(evaluation_id, actor=actor, stores=runtime.case_stores(), now=_now())
    return _html(case_console.case_page(actor, view, _base()))


def _console_step(command_type: type[StaffCommand]) -> ConsoleView:
    def console_step(evaluation_id: str) -> Response:
        actor = _console_actor()
        command = _parse_form(blueprint.current_request, command_type)
        act_on_case(evaluation_id, command, actor=actor, stores=runtime.case_stores(), now=_now())
        return _redirect(f"/console/cases/{quote(evaluation_id)}")

    return console_step


for _step, (_command, _summary) in STEPS.items():
    console_route(
        f"/console/cases/{{evaluation_id}}/{_step}",
        "POST",
        Operation(
            summary=f"Console: {_summary[0].lower()}{_summary[1:]}",
            tag="console",
            body=_command,
            body_media_type=FORM,
            responses={303: _TO_PAGE},
            description=_SESSION,
            errors=(409,),
        ),
        name=f"console_{_step.replace('-', '_')}",
    )(_console_step(_command))


def _console_actor() -> Actor:
    raw = blueprint.current_request.headers.get("cookie", "")
    try:
        morsel = SimpleCookie(raw).get(SESSION_COOKIE)
    except CookieError as exc:
        raise NotSignedIn("unreadable cookie") from exc
    if morsel is None or not morsel.value:
        raise NotSignedIn("not signed in")
    return runtime.token_verifier().actor(morsel.value)


def _parse_form(request: Request, model: type[ModelT]) -> ModelT:
    """An HTML form's fields validated as `model`; a list field comes from a textarea, one item a line."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"at most {MAX_BODY_BYTES} bytes")
    try:
        fields = parse_qsl(raw.decode() if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody("the form could not be read") from exc
    document: dict[str, object] = {}
    for name, value in fields:
        field = model.model_fields.get(name)
        listed = field is not None and get_origin(field.annotation) is list
        document[name] = [line.strip() for line in value.splitlines() if line.strip()] if listed else value
    return model.model_validate(document)


def _base() -> str:
    """The stage prefix the browser sees (`/prod` on an execute-api URL; empty on a custom domain)."""
    context = blueprint.current_request.context
    stage = context.get("stage")
    return f"/{stage}" if stage and str(context.get("path", "")).startswith(f"/{stage}/") else ""


def _html(body: str, status: int = 200) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": HTML,
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        },
    )


def _redirect(path: str, cookie: str | None = None) -> Response:
    location = f"{_base()}{path}"
    headers: dict[str, str | list[str]] = {"Location": location, "Cache-Control": "no-store", "Content-Type": HTML}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body=f'<a href="{escape(location)}">{escape(location)}</a>', status_code=303, headers=headers)


def _error_text(exc: Exception) -> str:
    problem = problem_for(exc)
    fields = "; ".join(f"{error['field']}: {error['message']}" for error in problem.errors)
    return f"{problem.title}: {problem.detail}" + (f" ({fields})" if fields else "")


app = Chalice(app_name="govrate-cases")
app.register_blueprint(blueprint)
