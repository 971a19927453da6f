"""QR HTTP function: service windows, their signed QR codes, and the rating page behind a code.

Lambda handler: `qr_api.app`. The `/v1/windows…` routes are for administrators and are not yet
authenticated; the `/q/{token}` page is public.
"""

from __future__ import annotations

from chalice.app import Chalice, Request, Response
from govrate import qr_runtime, runtime
from govrate.errors import GovrateError
from govrate.observability import logger
from govrate.qr_codes import qr_png, qr_svg
from govrate.services.windows import (
    get_window,
    issue_qr_code,
    open_rating_page,
    register_window,
    revoke_qr_codes,
    rotate_qr_code,
)
from govrate.settings import get_settings
from govrate.web.chalice_edge import ApiBlueprint, json_response, parse_json_body, problem_response
from govrate.web.operations import Media, Operation
from govrate.web.problems import Problem, problem_for
from govrate.web.window_page import (
    RATING_PAGE_HEADERS,
    REFUSAL_PAGE_HEADERS,
    render_rating_page,
    render_refusal_page,
)
from govrate.window_models import QrCodeIssued, ServiceWindow, WindowRegistration

PNG = "image/png"
SVG = "image/svg+xml"
HTML = "text/html"
ADMIN_ONLY = "For administrators; not yet authenticated."
IMAGE_HEADERS = {"Cache-Control": "no-store"}

blueprint = ApiBlueprint(__name__)


def public_base_url(request: Request) -> str:
    """Where the API is reached from outside: the configured base, else scheme, Host and stage prefix.

    Behind API Gateway's own domain the client's path starts with `/<stage>`; on a custom domain, and
    on Chalice's local server, it does not.
    """
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    scheme = request.headers.get("x-forwarded-proto", "http").split(",")[0].strip()
    host = request.headers.get("host", "localhost")
    stage = request.context.get("stage", "")
    client_path = request.context.get("path", "")
    prefix = f"/{stage}" if stage and client_path.startswith(f"/{stage}/") else ""
    return f"{scheme}://{host}{prefix}"


def accepts(request: Request, media_type: str) -> bool:
    """Whether Accept names the type or `*/*`: the only forms for which Chalice sends a binary body."""
    accepted = {part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")}
    return bool(accepted & {media_type, "*/*"})


def current_qr_code(window_id: str, request: Request) -> QrCodeIssued:
    return issue_qr_code(
        window_id,
        windows=qr_runtime.window_repository(),
        signer=qr_runtime.window_token_signer(),
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
        errors=(409,),
    ),
)
def post_window() -> Response:
    registration = parse_json_body(blueprint.current_request, WindowRegistration)
    window = register_window(
        registration, windows=qr_runtime.window_repository(), catalogue=runtime.catalogue_repository()
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
    ),
)
def get_window_state(window_id: str) -> Response:
    return json_response(get_window(window_id, windows=qr_runtime.window_repository()))


@blueprint.route(
    "/v1/windows/{window_id}/qr",
    methods=["POST"],
    doc=Operation(
        summary="Issue the window's current QR code",
        tag="windows",
        responses={200: QrCodeIssued},
        description=f"{ADMIN_ONLY} The same code every time until the window is rotated; 410 while revoked.",
        errors=(410,),
    ),
)
def post_qr_code(window_id: str) -> Response:
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
    issued = current_qr_code(window_id, blueprint.current_request)
    return Response(body=qr_svg(issued.url), headers={"Content-Type": SVG, **IMAGE_HEADERS})


@blueprint.route(
    "/v1/windows/{window_id}/qr.png",
    methods=["GET"],
    doc=Operation(
        summary="The window's current QR code as PNG",
        tag="windows",
        responses={200: Media(PNG, "The QR code, 10 pixels per module.")},
        headers={"Accept": "Must name image/png or */*; otherwise 406."},
        description=ADMIN_ONLY,
        errors=(410,),
    ),
)
def get_qr_png(window_id: str) -> Response:
    request = blueprint.current_request
    # Chalice and API Gateway send a binary body only to a request whose Accept names its type.
    if not accepts(request, PNG):
        return problem_response(
            Problem("not-acceptable", "Not acceptable", 406, f"send Accept: {PNG} to receive the PNG image"),
            request.path,
        )
    issued = current_qr_code(window_id, request)
    return Response(body=qr_png(issued.url), headers={"Content-Type": PNG, **IMAGE_HEADERS})


@blueprint.route(
    "/v1/windows/{window_id}/rotate",
    methods=["POST"],
    doc=Operation(
        summary="Replace the window's QR code",
        tag="windows",
        responses={200: QrCodeIssued},
        description=f"{ADMIN_ONLY} Every code printed before is refused (410) from now on; lifts a revocation.",
    ),
)
def post_rotate(window_id: str) -> Response:
    issued = rotate_qr_code(
        window_id,
        windows=qr_runtime.window_repository(),
        signer=qr_runtime.window_token_signer(),
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
        description=f"{ADMIN_ONLY} Codes are refused (410) and none is issued until the window is rotated.",
    ),
)
def post_revoke(window_id: str) -> Response:
    return json_response(revoke_qr_codes(window_id, windows=qr_runtime.window_repository()))


@blueprint.route(
    "/q/{token}",
    methods=["GET"],
    doc=Operation(
        summary="The rating page behind a window's QR code",
        tag="windows",
        responses={
            200: Media(HTML, "The mobile rating page; it posts to POST /v1/evaluations."),
            404: Media(HTML, "A page saying the code is forged or tampered with."),
            410: Media(HTML, "A page saying the code was replaced or withdrawn."),
            503: Media(HTML, "A page asking to retry later."),
        },
    ),
)
def get_rating_page(token: str) -> Response:
    """The page a citizen's phone opens; a refused code gets a page too, never a JSON document."""
    try:
        page = open_rating_page(
            token,
            windows=qr_runtime.window_repository(),
            catalogue=runtime.catalogue_repository(),
            signer=qr_runtime.window_token_signer(),
        )
    except GovrateError as exc:
        problem = problem_for(exc)
        logger.info("QR code refused", extra={"error": type(exc).__name__, "detail": str(exc)})
        return Response(
            body=render_refusal_page(problem),
            status_code=problem.status,
            headers={**REFUSAL_PAGE_HEADERS, **problem.headers},
        )
    return Response(body=render_rating_page(page, get_settings().max_comment_length), headers=dict(RATING_PAGE_HEADERS))


app = Chalice(app_name="govrate-qr")
app.register_blueprint(blueprint)
