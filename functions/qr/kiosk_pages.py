"""The evaluation device (kiosk) of a window. Registered into `qr_api.app`; see docs/kiosk.md.

The kiosk opens `/k/<token>` (from POST /v1/windows/{window_id}/kiosk) full-screen, asks every few
seconds for the transaction the window system last pushed, and rates it by its sequence number.
"""

from __future__ import annotations

import citizen_pages
from chalice.app import Response
from govrate import runtime
from govrate.rating.models import KioskEvaluation, KioskRated, KioskTransaction
from govrate.web.chalice_edge import ApiBlueprint, json_response, parse_json_body
from govrate.web.operations import Media, Operation
from govrate.web.page_edge import html, html_page
from govrate.web.pages import kiosk_page
from govrate.web.urls import public_base_url
from govrate.windows.kiosks import current_transaction, open_kiosk, rate_at_kiosk

HTML = "text/html"
TAG = "kiosks"
NO_STORE = {"Cache-Control": "no-store"}

blueprint = ApiBlueprint(__name__)


@blueprint.route(
    "/k/{token}",
    methods=["GET"],
    doc=Operation(
        summary="The full-screen page of a window's evaluation device",
        tag=TAG,
        responses={
            200: Media(HTML, "Waits for the window's next transaction, offers it for rating, then resets."),
            **citizen_pages.PAGE_REFUSALS,
        },
        description="Timing comes from the settings `kiosk_poll_seconds`, `kiosk_idle_seconds`, `kiosk_debounce_ms` "
        "and `kiosk_thanks_seconds`.",
    ),
)
@html_page(blueprint)
def get_kiosk_page(token: str) -> Response:
    request = blueprint.current_request
    window = open_kiosk(token, stores=runtime.rating_stores(), signer=runtime.kiosk_token_signer())
    settings = runtime.settings()
    here = f"{public_base_url(request)}/k/{token}"
    page = kiosk_page(
        window,
        transaction_url=f"{here}/transaction",
        submit_url=f"{here}/evaluations",
        poll_ms=round(settings.kiosk_poll_seconds * 1000),
        idle_ms=settings.kiosk_idle_seconds * 1000,
        debounce_ms=settings.kiosk_debounce_ms,
        thanks_ms=settings.kiosk_thanks_seconds * 1000,
    )
    return html(page)


@blueprint.route(
    "/k/{token}/transaction",
    methods=["GET"],
    doc=Operation(
        summary="The transaction a kiosk offers now",
        tag=TAG,
        responses={200: KioskTransaction},
        description="`seq` is null when there is nothing to rate: none pushed, rated, or no longer offered.",
        errors=(410,),
    ),
)
def get_kiosk_transaction(token: str) -> Response:
    offered = current_transaction(
        token,
        stores=runtime.rating_stores(),
        signer=runtime.kiosk_token_signer(),
        kiosks=runtime.kiosk_repository(),
        now=runtime.now(),
        base_url=public_base_url(blueprint.current_request),
    )
    return json_response(offered, headers=NO_STORE)


@blueprint.route(
    "/k/{token}/evaluations",
    methods=["POST"],
    doc=Operation(
        summary="Rate the transaction a kiosk was offered",
        tag=TAG,
        body=KioskEvaluation,
        responses={201: KioskRated, 200: KioskRated},
        description="Channel `window_device`. 409 when the window has moved on to another transaction or the stage "
        "was rated meanwhile; the same rating again is a replay (200).",
        errors=(409, 410),
    ),
)
def post_kiosk_evaluation(token: str) -> Response:
    request = blueprint.current_request
    evaluation = parse_json_body(request, KioskEvaluation)
    accepted = rate_at_kiosk(
        token,
        evaluation,
        stores=runtime.rating_stores(),
        signer=runtime.kiosk_token_signer(),
        kiosks=runtime.kiosk_repository(),
        now=runtime.now(),
    )
    rated = KioskRated(evaluation_id=accepted.evaluation_id, bad_review=accepted.bad_review, replayed=accepted.replayed)
    return json_response(rated, 200 if accepted.replayed else 201, NO_STORE)
