"""QR HTTP function: service windows, their QR codes, posters and kiosks, and the pages people rate on.

Lambda handler: `qr_api.app`. Registering and managing windows and site keys takes the Cognito access
token of a staff member of the agency or a supervisor of its division (`Authorization: Bearer`); a window
system's transaction push is checked by the ticket it carries; the QR images, posters and pages are
public. The routes live in four
blueprints: this module (windows), `citizen_pages` (rating, receipt and status pages), `kiosk_pages`
(the windows' evaluation devices) and `web_module` (the module that online platforms embed).
"""

from __future__ import annotations

import citizen_pages
import kiosk_pages
import web_module
from chalice.app import Chalice, Request, Response
from govrate import runtime
from govrate.kernel.qr_codes import MAX_QR_VERSION
from govrate.rating.models import KioskIssued, KioskTransaction, PosterQuery, PosterSize, TransactionPush
from govrate.web.chalice_edge import ApiBlueprint, json_response, observed, parse_json_body, parse_query
from govrate.web.operations import Auth, Media, Operation
from govrate.web.page_edge import html
from govrate.web.pages import poster_page
from govrate.web.qr_images import PNG, SVG, accepts_png, not_acceptable, png_response, svg_response
from govrate.web.urls import public_base_url
from govrate.windows.kiosks import issue_kiosk, push_transaction
from govrate.windows.models import QrCodeIssued, ServiceWindow, WindowRegistration
from govrate.windows.service import (
    administered_window,
    authorize_registration,
    issue_qr_code,
    register_window,
    revoke_qr_codes,
    rotate_qr_code,
    window_poster,
)

HTML = "text/html"
ADMIN_ONLY = "For the staff of the window's agency and the supervisors of its division."
WINDOW_SYSTEMS = (
    "For window systems; no sign-in, but only a ticket of a record served at the window is taken, so a push "
    "can offer nothing but that record's own evaluation."
)

blueprint = ApiBlueprint(__name__)


def _administered_window(window_id: str) -> ServiceWindow:
    actor = runtime.staff_actor(blueprint.current_request.headers)
    return administered_window(window_id, actor=actor, windows=runtime.window_repository())


def current_qr_code(window_id: str, request: Request) -> QrCodeIssued:
    return issue_qr_code(
        window_id,
        windows=runtime.window_repository(),
        signer=runtime.window_token_signer(),
        base_url=public_base_url(request),
    )


@blueprint.route(
    "/v1/windows",
    methods=["POST"],
    doc=Operation(
        summary="Register a service window and the service items handled there",
        tag="windows",
        body=WindowRegistration,
        responses={201: ServiceWindow},
        description=f"{ADMIN_ONLY} The items must be window-channel items of the window's agency and region. "
        "Registering the same window again is a replay; a different window under a taken id is a 409.",
        auth=Auth.STAFF,
        errors=(409,),
    ),
)
def post_window() -> Response:
    actor = runtime.staff_actor(blueprint.current_request.headers)
    registration = parse_json_body(blueprint.current_request, WindowRegistration)
    authorize_registration(actor, registration, runtime.catalogue_repository())
    window = register_window(
        registration, windows=runtime.window_repository(), catalogue=runtime.catalogue_repository()
    )
    return json_response(window, 201, {"Location": f"/v1/windows/{window.window_id}"})


@blueprint.route(
    "/v1/windows/{window_id}",
    methods=["GET"],
    doc=Operation(
        summary="A window and the state of its QR codes",
        tag="windows",
        responses={200: ServiceWindow},
        description=ADMIN_ONLY,
        auth=Auth.STAFF,
    ),
)
def get_window_state(window_id: str) -> Response:
    return json_response(_administered_window(window_id))


@blueprint.route(
    "/v1/windows/{window_id}/qr",
    methods=["POST"],
    doc=Operation(
        summary="Issue the window's current QR code",
        tag="windows",
        responses={200: QrCodeIssued},
        description=f"{ADMIN_ONLY} The same code every time until the window is rotated; 410 while revoked.",
        auth=Auth.STAFF,
        errors=(410,),
    ),
)
def post_qr_code(window_id: str) -> Response:
    _administered_window(window_id)
    issued = current_qr_code(window_id, blueprint.current_request)
    return json_response(issued)


@blueprint.route(
    "/v1/windows/{window_id}/qr.svg",
    methods=["GET"],
    doc=Operation(
        summary="The window's current QR code as SVG",
        tag="windows",
        responses={200: Media(SVG, "The QR code, for printing.")},
        description=ADMIN_ONLY,
        errors=(410,),
    ),
)
def get_qr_svg(window_id: str) -> Response:
    return svg_response(current_qr_code(window_id, blueprint.current_request).url, MAX_QR_VERSION)


@blueprint.route(
    "/v1/windows/{window_id}/qr.png",
    methods=["GET"],
    doc=Operation(
        summary="The window's current QR code as PNG",
        tag="windows",
        responses={200: Media(PNG, "The QR code, 10 pixels per module.")},
        headers={"Accept": "Must name image/png or */*; otherwise 406."},
        description=ADMIN_ONLY,
        errors=(406, 410),
    ),
)
def get_qr_png(window_id: str) -> Response:
    request = blueprint.current_request
    if not accepts_png(request):
        return not_acceptable(request)
    return png_response(current_qr_code(window_id, request).url, MAX_QR_VERSION)


@blueprint.route(
    "/v1/windows/{window_id}/poster",
    methods=["GET"],
    doc=Operation(
        summary="A printable poster of the window's current QR code",
        tag="windows",
        query=PosterQuery,
        responses={
            200: Media(
                HTML,
                "An A4 or A5 page: the window's name, the code and how to rate, in Chinese "
                "and English; print it from the browser.",
            )
        },
        description=f"{ADMIN_ONLY} 410 while the window is revoked.",
        errors=(410,),
    ),
)
def get_poster(window_id: str) -> Response:
    request = blueprint.current_request
    size = parse_query(request, PosterQuery).size
    poster = window_poster(
        window_id,
        windows=runtime.window_repository(),
        catalogue=runtime.catalogue_repository(),
        signer=runtime.window_token_signer(),
        base_url=public_base_url(request),
    )
    other = PosterSize.A5 if size is PosterSize.A4 else PosterSize.A4
    return html(poster_page(poster, size, other_size_url=f"?size={other.value}"))


@blueprint.route(
    "/v1/windows/{window_id}/rotate",
    methods=["POST"],
    doc=Operation(
        summary="Replace the window's QR code",
        tag="windows",
        responses={200: QrCodeIssued},
        description=f"{ADMIN_ONLY} Every code printed before, and the kiosk's address, is refused (410) from now "
        "on; lifts a revocation.",
        auth=Auth.STAFF,
    ),
)
def post_rotate(window_id: str) -> Response:
    issued = rotate_qr_code(
        window_id,
        actor=runtime.staff_actor(blueprint.current_request.headers),
        windows=runtime.window_repository(),
        signer=runtime.window_token_signer(),
        base_url=public_base_url(blueprint.current_request),
    )
    return json_response(issued)


@blueprint.route(
    "/v1/windows/{window_id}/revoke",
    methods=["POST"],
    doc=Operation(
        summary="Withdraw every QR code of the window",
        tag="windows",
        responses={200: ServiceWindow},
        description=f"{ADMIN_ONLY} Codes and the kiosk are refused (410) and none is issued until the window is "
        "rotated.",
        auth=Auth.STAFF,
    ),
)
def post_revoke(window_id: str) -> Response:
    actor = runtime.staff_actor(blueprint.current_request.headers)
    return json_response(revoke_qr_codes(window_id, actor=actor, windows=runtime.window_repository()))


@blueprint.route(
    "/v1/windows/{window_id}/kiosk",
    methods=["POST"],
    doc=Operation(
        summary="The address of the window's evaluation device (kiosk)",
        tag="kiosks",
        responses={200: KioskIssued},
        description=f"{ADMIN_ONLY} Open it full-screen on the device at the window. The same address until the "
        "window is rotated; 410 while revoked. See docs/kiosk.md.",
        auth=Auth.STAFF,
        errors=(410,),
    ),
)
def post_kiosk(window_id: str) -> Response:
    issued = issue_kiosk(
        window_id,
        actor=runtime.staff_actor(blueprint.current_request.headers),
        stores=runtime.rating_stores(),
        signer=runtime.kiosk_token_signer(),
        base_url=public_base_url(blueprint.current_request),
    )
    return json_response(issued)


@blueprint.route(
    "/v1/windows/{window_id}/transaction",
    methods=["POST"],
    doc=Operation(
        summary="Offer the transaction just finished at the window on its kiosk",
        tag="kiosks",
        body=TransactionPush,
        responses={200: KioskTransaction},
        description=f"{WINDOW_SYSTEMS} Register the service record first (its registration gives `ticket_url`); "
        "the record must name this window. Replaces the transaction offered before. 409 when the stage (or every "
        "stage) is rated; 422 `evaluation-period-over` after the record's evaluation period.",
        errors=(409, 410),
    ),
)
def post_transaction(window_id: str) -> Response:
    request = blueprint.current_request
    push = parse_json_body(request, TransactionPush)
    settings = runtime.settings()
    offered = push_transaction(
        window_id,
        push,
        stores=runtime.rating_stores(),
        kiosks=runtime.kiosk_repository(),
        now=runtime.now(),
        offer_minutes=settings.kiosk_transaction_minutes,
        base_url=public_base_url(request),
    )
    return json_response(offered)


app = observed(Chalice(app_name="govrate-qr"))
app.register_blueprint(blueprint)
app.register_blueprint(citizen_pages.blueprint)
app.register_blueprint(kiosk_pages.blueprint)
app.register_blueprint(web_module.blueprint)
