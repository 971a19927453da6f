"""Intake HTTP function: evaluations from every channel. Lambda handler: `intake_api.app`."""

from __future__ import annotations

from chalice.app import Chalice, Response

from govrate import clock, runtime
from govrate.errors import InvalidInput
from govrate.models import EvaluationSubmission
from govrate.services.evaluations import evaluation_status, submit_evaluation
from govrate.settings import get_settings
from govrate.web.chalice_edge import ApiBlueprint, json_response, parse_json_body

blueprint = ApiBlueprint(__name__)


@blueprint.route("/v1/evaluations", methods=["POST"], cors=True)
def post_evaluation() -> Response:
    submission = parse_json_body(blueprint.current_request, EvaluationSubmission)
    accepted = submit_evaluation(
        submission,
        evaluations=runtime.evaluation_repository(),
        catalogue=runtime.catalogue_repository(),
        now=clock.now(get_settings().utc_offset_hours),
    )
    return json_response(accepted, 201, {"Location": accepted.status_url})


@blueprint.route("/v1/evaluations/{evaluation_id}", methods=["GET"], cors=True)
def get_evaluation(evaluation_id: str) -> Response:
    query = blueprint.current_request.query_params or {}
    receipt = query.get("receipt", "")
    if not receipt:
        raise InvalidInput("the receipt is required", [{"field": "receipt", "message": "missing"}])
    status = evaluation_status(
        evaluation_id,
        receipt,
        evaluations=runtime.evaluation_repository(),
        cases=runtime.case_repository(),
    )
    return json_response(status, headers={"Cache-Control": "no-store"})


app = Chalice(app_name="govrate-intake")
app.register_blueprint(blueprint)
