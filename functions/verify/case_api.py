"""Case handling over HTTP. Lambda handler: `case_api.app`.

- `/v1/cases…`: the staff and supervisor API, JSON, `Authorization: Bearer <Cognito ID token>`.
- `/console/…`: the same for people, as server-rendered pages; the token rides in an HttpOnly,
  SameSite=Strict cookie set by the console's sign-in form.
- `/v1/evaluations/{id}/handling`: the evaluator follows and rates the handling with the receipt.

Every staff route resolves the caller through `govrate.identity.auth` (one verifier for the API and the
console) and each case service checks that the caller may act on that case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar, get_origin
from urllib.parse import parse_qsl

import case_console
from chalice.app import Chalice, Request, Response
from govrate import runtime
from govrate.cases.model import (
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
from govrate.evaluations.models import CaseSummary, ReceiptQuery
from govrate.identity.auth import NotSignedIn
from govrate.identity.model import Actor
from govrate.kernel.errors import BodyTooLarge, MalformedBody
from govrate.web import console
from govrate.web.chalice_edge import (
    MAX_BODY_BYTES,
    ApiBlueprint,
    json_response,
    observed,
    parse_json_body,
    parse_query,
)
from govrate.web.operations import Auth, Operation
from govrate.web.problems import problem_for
from pydantic import BaseModel, StringConstraints

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


# --- the console ---------------------------------------------------------------------------------


class ConsoleSignIn(BaseModel):
    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


def _back_to_case(path_parameters: dict[str, str]) -> str:
    evaluation_id = path_parameters.get("evaluation_id")
    return console.case_path(evaluation_id) if evaluation_id else console.CASES_PATH


@console.console_route(
    blueprint,
    console.LOGIN_PATH,
    "GET",
    Operation(
        summary="Console: the sign-in page", tag="console", responses={200: console.PAGE}, description=console.SESSION
    ),
)
def console_login_form() -> Response:
    return console.html_response(case_console.login_page(_base()))


@console.console_route(
    blueprint,
    console.LOGIN_PATH,
    "POST",
    Operation(
        summary="Console: sign in",
        tag="console",
        body=ConsoleSignIn,
        body_media_type=console.FORM,
        responses={303: console.TO_PAGE, 401: console.PAGE},
        description=console.SESSION,
    ),
    name="console_login",
)
def console_login() -> Response:
    form = _parse_form(blueprint.current_request, ConsoleSignIn)
    try:
        token, lifetime = runtime.staff_sign_in().id_token(form.username, form.password)
        runtime.token_verifier().actor(token)
    except NotSignedIn as exc:
        return console.html_response(case_console.login_page(_base(), str(exc)), problem_for(exc).status)
    return console.redirect(blueprint.current_request, console.CASES_PATH, console.session_cookie(token, lifetime))


@console.console_route(
    blueprint,
    "/console/logout",
    "POST",
    Operation(
        summary="Console: sign out",
        tag="console",
        responses={303: console.TO_PAGE},
        description=console.SESSION + " The sign-out button posts an empty form.",
        errors=(415,),
    ),
)
def console_logout() -> Response:
    return console.redirect(blueprint.current_request, console.LOGIN_PATH, console.ended_session_cookie())


@console.console_route(
    blueprint,
    console.CASES_PATH,
    "GET",
    Operation(
        summary="Console: open cases by deadline",
        tag="console",
        query=CaseListQuery,
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION,
    ),
)
def console_cases() -> Response:
    actor = console.session_actor(blueprint.current_request)
    query = parse_query(blueprint.current_request, CaseListQuery)
    page = list_cases(actor, stores=runtime.case_stores(), now=runtime.now(), limit=query.limit, cursor=query.cursor)
    return console.html_response(case_console.list_page(actor, page, _base()))


@console.console_route(
    blueprint,
    f"{console.CASES_PATH}/{{evaluation_id}}",
    "GET",
    Operation(
        summary="Console: one case, with the evaluator's contact (audited)",
        tag="console",
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION,
    ),
    back=_back_to_case,
)
def console_case(evaluation_id: str) -> Response:
    actor = console.session_actor(blueprint.current_request)
    view = view_case(evaluation_id, actor=actor, stores=runtime.case_stores(), now=runtime.now())
    return console.html_response(case_console.case_page(actor, view, _base()))


def _console_step(command_type: type[StaffCommand]) -> console.ConsoleView:
    def console_step(evaluation_id: str) -> Response:
        actor = console.session_actor(blueprint.current_request)
        command = _parse_form(blueprint.current_request, command_type)
        act_on_case(evaluation_id, command, actor=actor, stores=runtime.case_stores(), now=runtime.now())
        return console.redirect(blueprint.current_request, console.case_path(evaluation_id))

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
            responses={303: console.TO_PAGE},
            description=console.SESSION,
            errors=(409,),
        ),
        name=f"console_{_step.replace('-', '_')}",
        back=_back_to_case,
    )(_console_step(_command))


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
    return console.stage_base(blueprint.current_request)


app = observed(Chalice(app_name="govrate-cases"))
app.register_blueprint(blueprint)
