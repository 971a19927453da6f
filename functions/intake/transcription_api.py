"""Staff enter the evaluations of paper forms, the 12345 hotline, suggestion boxes, e-mail and the
supervision platform by uploading a CSV file. Registered into the intake function's app
(`intake_api.app`):

- `POST /v1/transcribed-evaluations`: the file as the body, `Authorization: Bearer <Cognito access token>`
  of a staff member or supervisor;
- `/console/paper-forms`: the same in the staff console (its session and form token), as a file upload form.

The columns, limits and results: docs/paper-forms.md.
"""

from __future__ import annotations

import transcription_console
from chalice.app import Response
from govrate import runtime
from govrate.identity.model import Actor
from govrate.kernel.errors import BodyTooLarge, InvalidInput, MalformedBody
from govrate.transcriptions.service import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    TranscribedRowResult,
    TranscriptionResult,
    enter_transcriptions,
)
from govrate.web import console
from govrate.web.chalice_edge import ApiBlueprint, json_response, raw_body
from govrate.web.operations import Auth, Operation
from govrate.web.problems import item_problem, problem_for
from pydantic import BaseModel, ConfigDict, Field

CSV = "text/csv"
MULTIPART = "multipart/form-data"
# The form's boundaries and part headers around the file.
MULTIPART_OVERHEAD_BYTES = 4096

blueprint = ApiBlueprint(__name__)


@blueprint.route(
    "/v1/transcribed-evaluations",
    methods=["POST"],
    content_types=[CSV],
    doc=Operation(
        summary="Upload evaluations transcribed from paper forms and offline channels (CSV); one result per row",
        tag="paper-forms",
        body_media_type=CSV,
        responses={200: TranscriptionResult},
        auth=Auth.STAFF,
        description="A CSV file (UTF-8 with or without BOM, or GB18030/GBK) whose header row names its columns: "
        "`form_id`, `channel` (paper, hotline, suggestion_box, email, supervision_platform), `agency_code`, "
        "`region_code` and `level` are required; `item_code`, `item_version`, `record_id` (paper only), `stage`, "
        "`window_id`, `mode`, `indicators.<name>`, `reason_codes` (`|` between codes), `comment` and "
        "`evaluator.name`, `evaluator.phone`, `evaluator.email`, `evaluator.consent` (yes) are optional; blank "
        "cells are absent. An unknown, repeated or missing column refuses the whole upload (422). Each row is "
        "taken or refused on its own: `accepted`, `duplicate` (entered before: uploading a file again is safe) "
        "or `rejected` with the problem and the offending columns, with its spreadsheet `row` and `form_id`. "
        "Staff enter their own agency's rows, supervisors those of their division (403 for that row otherwise). "
        "The person entering is recorded as the submitter, never as the evaluator; no receipt is given. "
        f"At most {MAX_ROWS} rows and {MAX_UPLOAD_BYTES // 1024} KiB (413).",
    ),
)
def post_transcribed_evaluations() -> Response:
    request = blueprint.current_request
    actor = runtime.staff_actor(request.headers)
    return json_response(_enter(raw_body(request), actor))


class PaperFormUpload(BaseModel):
    """The console's upload form."""

    model_config = ConfigDict(defer_build=True)

    form_token: str = Field(description="The session's form token, as the page gives it.")
    file: str = Field(description="The CSV file (the columns of `POST /v1/transcribed-evaluations`).")


@console.console_route(
    blueprint,
    console.PAPER_FORMS_PATH,
    "GET",
    Operation(
        summary="Console: the upload form for paper forms",
        tag="console",
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION,
    ),
    back=lambda _: console.PAPER_FORMS_PATH,
)
def console_paper_forms() -> Response:
    signed_in = console.session(blueprint.current_request)
    return console.html_response(transcription_console.upload_page(signed_in, _base()))


@console.console_route(
    blueprint,
    console.PAPER_FORMS_PATH,
    "POST",
    Operation(
        summary="Console: enter paper forms from a CSV file; the result of every row",
        tag="console",
        body=PaperFormUpload,
        body_media_type=MULTIPART,
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION + " A refused file comes back as the form with the reason.",
    ),
    name="console_enter_paper_forms",
    content_types=[MULTIPART],
    back=lambda _: console.PAPER_FORMS_PATH,
)
def console_enter_paper_forms() -> Response:
    request = blueprint.current_request
    signed_in = console.session(request)
    parts = console.uploaded_form(request, MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES)
    console.check_change(request, signed_in, parts.get(console.FORM_TOKEN, b"").decode(errors="replace"))
    try:
        result = _enter(console.uploaded_file(parts, "file"), signed_in.actor)
    except (InvalidInput, MalformedBody, BodyTooLarge) as refused:
        page = transcription_console.upload_page(signed_in, _base(), console.error_text(refused))
        return console.html_response(page, problem_for(refused).status)
    return console.html_response(transcription_console.results_page(signed_in, result, _base()))


def _enter(body: bytes, actor: Actor) -> TranscriptionResult:
    entered = enter_transcriptions(body, actor=actor, stores=runtime.intake_stores(), now=runtime.now())
    return TranscriptionResult.of(
        [
            TranscribedRowResult.of(index, outcome, item_problem, row=row.number, form_id=row.form_id)
            for index, (row, outcome) in enumerate(entered)
        ]
    )


def _base() -> str:
    return console.stage_base(blueprint.current_request)
