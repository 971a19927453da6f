"""Intake HTTP function: evaluations from every channel. Lambda handler: `intake_api.app`."""

from __future__ import annotations

from chalice.app import Chalice, Response
from govrate import clock, runtime
from govrate.errors import InvalidInput
from govrate.models import EvaluationSubmission, FollowUpSubmission
from govrate.services.evaluations import add_follow_up, evaluation_status, submit_evaluation
from govrate.settings import get_settings
from govrate.web.chalice_edge import ApiBlueprint, json_response, parse_json_body, query_int, query_params

blueprint = ApiBlueprint(__name__)


@blueprint.route("/v1/evaluations", methods=["POST"], cors=True)
def post_evaluation() -> Response:
    """One evaluation from a citizen's page, a kiosk or a web module. An `Idempotency-Key` header
    makes a retried post a replay (200) instead of a second evaluation."""
    request = blueprint.current_request
    submission = parse_json_body(request, EvaluationSubmission)
    accepted = submit_evaluation(
        submission,
        stores=runtime.intake_stores(),
        now=clock.now(get_settings().utc_offset_hours),
        idempotency_key=request.headers.get("idempotency-key"),
    )
    if accepted.replayed:
        return json_response(accepted, 200)
    return json_response(accepted, 201, {"Location": accepted.status_url or ""})


@blueprint.route("/v1/evaluations/{evaluation_id}", methods=["GET"], cors=True)
def get_evaluation(evaluation_id: str) -> Response:
    receipt = query_params(blueprint.current_request).get("receipt", "")
    if not receipt:
        raise InvalidInput("the receipt is required", [{"field": "receipt", "message": "missing"}])
    status = evaluation_status(
        evaluation_id,
        receipt,
        evaluations=runtime.evaluation_repository(),
        cases=runtime.case_repository(),
        follow_ups=runtime.follow_up_repository(),
    )
    return json_response(status, headers={"Cache-Control": "no-store"})


@blueprint.route("/v1/evaluations/{evaluation_id}/follow-up", methods=["POST"], cors=True)
def post_follow_up(evaluation_id: str) -> Response:
    submission = parse_json_body(blueprint.current_request, FollowUpSubmission)
    follow_up = add_follow_up(
        evaluation_id,
        submission,
        stores=runtime.intake_stores(),
        follow_ups=runtime.follow_up_repository(),
        now=clock.now(get_settings().utc_offset_hours),
    )
    return json_response(follow_up, 201)


@blueprint.route("/v1/service-items", methods=["GET"], cors=True)
def list_service_items() -> Response:
    """The catalogue, by region or agency, narrowed by a keyword; paginated with `cursor`."""
    query = query_params(blueprint.current_request)
    page = runtime.catalogue_repository().list(
        region_code=query.get("region"),
        agency_code=query.get("agency"),
        keyword=query.get("q"),
        limit=query_int(query, "limit", default=20, low=1, high=100),
        cursor=query.get("cursor"),
    )
    return json_response(page)


app = Chalice(app_name="govrate-intake")
app.register_blueprint(blueprint)
