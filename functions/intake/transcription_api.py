"""Staff enter the evaluations of paper forms, the 12345 hotline, suggestion boxes, e-mail and the
supervision platform by uploading a CSV file. Registered into the intake function's app
(`intake_api.app`); `Authorization: Bearer <Cognito ID token>` of a staff member or supervisor.
The columns, limits and results: docs/paper-forms.md.
"""

from __future__ import annotations

from chalice.app import Response
from govrate import clock, runtime
from govrate.cases import runtime as case_runtime
from govrate.cases.auth import bearer_token
from govrate.services.transcriptions import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    TranscribedRowResult,
    TranscriptionResult,
    enter_transcriptions,
)
from govrate.settings import get_settings
from govrate.web.chalice_edge import ApiBlueprint, json_response, raw_body
from govrate.web.operations import Auth, Operation

CSV = "text/csv"

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
    actor = case_runtime.token_verifier().actor(bearer_token(request.headers))
    entered = enter_transcriptions(
        raw_body(request),
        actor=actor,
        stores=runtime.intake_stores(),
        now=clock.now(get_settings().utc_offset_hours),
    )
    return json_response(
        TranscriptionResult.of(
            [
                TranscribedRowResult.of(index, outcome, row=row.number, form_id=row.form_id)
                for index, (row, outcome) in enumerate(entered)
            ]
        )
    )
