"""The regional platforms' signed API: service records and evaluations, one at a time or in batches,
and what became of them (an evaluation's outcome, the change feed of the cases of their regions), and
what a downstream Govrate stage relays (docs/relay.md).

Registered into the intake function's app (`intake_api.app`). Every request carries an RFC 9421
signature made with the platform's key (see docs/integration.md) and, in the cloud, the platform's
API key (`x-api-key`) for its usage plan.
"""

from __future__ import annotations

from chalice.app import Request, Response
from govrate import runtime
from govrate.evaluations.models import (
    EvaluationAccepted,
    EvaluationOutcome,
    EvaluationSubmission,
    ServiceRecordRegistered,
    ServiceRecordRegistration,
)
from govrate.platforms.models import BatchItemResult, BatchResult, ChangesQuery, EvaluationBatch, OutcomeChanges
from govrate.platforms.outcomes import outcome_changes, platform_outcome
from govrate.platforms.registry import PlatformKey
from govrate.platforms.service import (
    authenticate_platform,
    register_platform_record,
    submit_platform_batch,
    submit_platform_evaluation,
)
from govrate.records.service import SignedTicketLinks
from govrate.upstream.models import RelayBatch, RelayBatchResult
from govrate.upstream.service import accept_relay_batch
from govrate.web.chalice_edge import ApiBlueprint, json_response, parse_json, parse_json_body, parse_query, raw_body
from govrate.web.operations import Auth, Operation
from govrate.web.problems import item_problem
from govrate.web.urls import public_base_url, target_uri

# A batch of 100 evaluations with long comments is far beyond the single-post limit.
BATCH_MAX_BYTES = 1024 * 1024
RETRY_SAFE = (
    "A retry is safe: the same evaluation again is a replay (200, `replayed: true`), a different one under "
    "the same record and stage, or the same external_id, is 409."
)

blueprint = ApiBlueprint(__name__)


def _platform(request: Request) -> PlatformKey:
    """The platform that signed the request, or Unauthenticated."""
    from govrate.platforms.signatures import SignedRequest  # loads the RFC 9421 library: platform routes only

    return authenticate_platform(
        SignedRequest(request.method, target_uri(request), dict(request.headers), raw_body(request)),
        platforms=runtime.settings().platforms,
        keys=runtime.platform_keys(),
        nonces=runtime.nonce_repository(),
        now=runtime.now(),
    )


@blueprint.route(
    "/v1/platform/service-records",
    methods=["POST"],
    api_key_required=True,
    doc=Operation(
        summary="Register a completed service record (办件) and get its evaluation ticket",
        tag="platforms",
        body=ServiceRecordRegistration,
        responses={201: ServiceRecordRegistered, 200: ServiceRecordRegistered},
        auth=Auth.PLATFORM_SIGNATURE,
        description="For the platform's own regions (403 otherwise). The ticket URL goes into the SMS, onto the "
        "receipt or to the kiosk. Idempotent on the record id: the same registration again answers 200 with the "
        "same ticket, different details under a taken record id 409.",
        errors=(409,),
    ),
)
def post_service_record() -> Response:
    request = blueprint.current_request
    platform = _platform(request)
    registration = parse_json_body(request, ServiceRecordRegistration)
    registered = register_platform_record(
        registration,
        platform=platform,
        stores=runtime.intake_stores(),
        tickets=SignedTicketLinks(runtime.ticket_signer(), public_base_url(request)),
    )
    return json_response(registered, 200 if registered.replayed else 201)


@blueprint.route(
    "/v1/platform/evaluations",
    methods=["POST"],
    api_key_required=True,
    doc=Operation(
        summary="Post one evaluation from a regional platform",
        tag="platforms",
        body=EvaluationSubmission,
        responses={201: EvaluationAccepted, 200: EvaluationAccepted},
        auth=Auth.PLATFORM_SIGNATURE,
        description="In the channel the evaluation was given (window device, hotline, survey, …), for the "
        "platform's own regions (403 otherwise). Give `record_id` (no ticket needed) or, for an evaluation "
        f"without a service record, your own `external_id`. {RETRY_SAFE}",
        errors=(409,),
    ),
)
def post_platform_evaluation() -> Response:
    request = blueprint.current_request
    platform = _platform(request)
    submission = parse_json_body(request, EvaluationSubmission)
    accepted = submit_platform_evaluation(
        submission,
        platform=platform,
        stores=runtime.intake_stores(),
        now=runtime.now(),
    )
    if accepted.replayed:
        return json_response(accepted, 200)
    return json_response(accepted, 201, {"Location": accepted.status_url or ""})


@blueprint.route(
    "/v1/platform/evaluations/batch",
    methods=["POST"],
    api_key_required=True,
    doc=Operation(
        summary="Post up to 100 evaluations; one result per item",
        tag="platforms",
        body=EvaluationBatch,
        responses={200: BatchResult},
        auth=Auth.PLATFORM_SIGNATURE,
        description="Each item is taken or refused on its own, with the rules of the single post: `accepted`, "
        "`duplicate` (stored before: a retry) or `rejected` with the problem a single post would have answered "
        "and the offending fields. Retry a whole batch after a failure or a 503: nothing is lost or doubled. "
        f"Bodies up to {BATCH_MAX_BYTES // 1024} KiB; more than 100 items is 422.",
    ),
)
def post_evaluation_batch() -> Response:
    request = blueprint.current_request
    platform = _platform(request)
    items = EvaluationBatch.items_of(parse_json(request, BATCH_MAX_BYTES))
    outcomes = submit_platform_batch(
        items,
        platform=platform,
        stores=runtime.intake_stores(),
        now=runtime.now(),
    )
    return json_response(
        BatchResult.of([BatchItemResult.of(index, outcome, item_problem) for index, outcome in enumerate(outcomes)])
    )


@blueprint.route(
    "/v1/platform/evaluations/{evaluation_id}",
    methods=["GET"],
    api_key_required=True,
    doc=Operation(
        summary="The outcome of an evaluation: its status and its case's progress",
        tag="platforms",
        responses={200: EvaluationOutcome},
        auth=Auth.PLATFORM_SIGNATURE,
        description="For an evaluation handled or applied for in the platform's regions, whoever posted it: what "
        "the evaluator's status page shows (the case's state, the answer, the handling rating) with the case's "
        "deadlines. Never the evaluator's contact or the staff's notes. Any other id is 404, like an unknown one. "
        "An evaluation a downstream stage relayed shows its case's newest relayed state (`case.relayed_by`).",
    ),
)
def get_platform_evaluation(evaluation_id: str) -> Response:
    platform = _platform(blueprint.current_request)
    outcome = platform_outcome(
        evaluation_id,
        platform=platform,
        evaluations=runtime.evaluation_repository(),
        cases=runtime.case_repository(),
        follow_ups=runtime.follow_up_repository(),
        relayed_cases=runtime.relayed_case_states(),
    )
    return json_response(outcome, headers={"Cache-Control": "no-store"})


@blueprint.route(
    "/v1/platform/evaluations",
    methods=["GET"],
    api_key_required=True,
    doc=Operation(
        summary="The change feed: every change of the cases of bad reviews in the platform's regions",
        tag="platforms",
        query=ChangesQuery,
        responses={200: OutcomeChanges},
        auth=Auth.PLATFORM_SIGNATURE,
        description="Oldest first; pass `next_cursor` as `since` to resume exactly after the last change returned "
        "(no gap, no repeat). Each change carries the case's progress as the outcome shows it. The cursor is "
        "signed for the platform: an altered one, or another platform's, is 422 naming `since`. Changes are kept "
        "30 days: a cursor whose next change is gone is 410 (fetch the outcomes you follow, then start again "
        "without `since`).",
        errors=(410,),
    ),
)
def get_outcome_changes() -> Response:
    request = blueprint.current_request
    platform = _platform(request)
    query = parse_query(request, ChangesQuery)
    changes = outcome_changes(query, platform=platform, feed=runtime.case_repository(), cursors=runtime.feed_cursors())
    return json_response(changes, headers={"Cache-Control": "no-store"})


@blueprint.route(
    "/v1/platform/relay/batch",
    methods=["POST"],
    api_key_required=True,
    doc=Operation(
        summary="Relay evaluations and case states from a downstream Govrate stage; one result per item",
        tag="platforms",
        body=RelayBatch,
        responses={200: RelayBatchResult},
        auth=Auth.PLATFORM_SIGNATURE,
        description="For Govrate stages only: a downstream stage (city → province → national) is registered here "
        "as a platform marked `downstream` for its regions (any other platform is 403) and relays the facts of "
        "every evaluation it accepted and every change of its cases, never personal data (docs/relay.md). An "
        "evaluation is stored once by its id (`duplicate` after that) and opens no case here; a case state is "
        "kept when its `version` is newer than the one kept (`stale` otherwise). An item neither handled nor "
        "applied for in the stage's regions is `rejected`. Retrying a whole batch is safe.",
    ),
)
def post_relay_batch() -> Response:
    request = blueprint.current_request
    platform = _platform(request)
    batch = parse_json_body(request, RelayBatch, BATCH_MAX_BYTES)
    return json_response(
        accept_relay_batch(batch, platform=platform, stores=runtime.relay_stores(), problem_of=item_problem)
    )
