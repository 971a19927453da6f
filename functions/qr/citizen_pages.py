"""The pages a citizen rates on, and follows the evaluation with. Registered into `qr_api.app`.

A window's QR code opens `/q/<token>`; a service record's ticket (on the receipt, an SMS or the
kiosk's screen) opens `/t/<ticket>`. Both post their form to themselves: a browser without script
gets the receipt page by a 303 redirect, the page's script gets its URL as JSON. The receipt and
the status page are reached with the evaluation's receipt, which only the evaluator holds.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from chalice.app import Request, Response
from govrate import runtime
from govrate.evaluations.models import EvaluationAccepted
from govrate.kernel.errors import NotFound
from govrate.kernel.qr_codes import TICKET_MAX_QR_VERSION
from govrate.rating.models import (
    EvaluationView,
    Lang,
    PageAnswer,
    PageQuery,
    PressureReportForm,
    RatingForm,
    RatingPageQuery,
    ReceiptPageQuery,
    StatusPageQuery,
)
from govrate.rating.service import (
    earlier_rating_of_form,
    evaluation_view,
    open_ticket_rating,
    open_window_rating,
    ticket_link,
)
from govrate.web.chalice_edge import ApiBlueprint, query_params
from govrate.web.operations import Auth, Media, Operation
from govrate.web.page_edge import (
    FORM_MEDIA_TYPE,
    form_page,
    html,
    html_page,
    page_context,
    post_pressure_report,
    post_rating,
)
from govrate.web.pages import PageContext, receipt_page, refusal_page, status_page
from govrate.web.qr_images import PNG, SVG, accepts_png, not_acceptable, png_response, svg_response
from govrate.web.urls import public_base_url, status_url
from pydantic import BaseModel

HTML = "text/html"
JSON = "application/json"
PROBLEM = "application/problem+json"
TAG = "pages"
# What a page answers when it cannot be shown: a page, never a JSON document.
PAGE_REFUSALS: dict[int, type[BaseModel] | Media | None] = {
    404: Media(HTML, "A page saying the code or link is not one we issued (forged or altered)."),
    409: Media(HTML, "A page saying the service has been rated already (every stage of the record)."),
    410: Media(HTML, "A page saying the code was replaced or withdrawn."),
    422: Media(HTML, "A page saying the link cannot be read, or the record's evaluation period has ended."),
    503: Media(HTML, "A page asking to retry later."),
}
# A rating form's answers: pages for a browser, JSON for the page's script (Accept: application/json).
FORM_ANSWERS: dict[int, type[BaseModel] | Media | None] = {
    303: None,
    201: PageAnswer,
    200: Media(HTML, "Thanks, with nothing new stored: the same rating sent from another page, or a bot.", (JSON,)),
    422: Media(HTML, "The form again, each problem beside its field; or the period has ended.", (PROBLEM,)),
    **{
        status: Media(HTML, refused.description, (PROBLEM,))
        for status, refused in PAGE_REFUSALS.items()
        if isinstance(refused, Media) and status != 422
    },
    400: Media(HTML, "A page saying the form could not be read.", (PROBLEM,)),
    413: Media(HTML, "A page saying the form is too large.", (PROBLEM,)),
    429: Media(HTML, "A page saying to rate again later, up to an hour (Retry-After); nothing was stored.", (PROBLEM,)),
}
# A rating page's report of being pressed to rate: a page either way.
REPORT_ANSWERS: dict[int, type[BaseModel] | Media | None] = {
    200: Media(
        HTML, "The confirmation: the report reached the supervisors (a second post of the form is the same report)."
    ),
    422: Media(
        HTML, "A page saying the report was not taken (no token, a forged or expired one): reload and report again."
    ),
    **{status: refused for status, refused in PAGE_REFUSALS.items() if status != 422},
    400: Media(HTML, "A page saying the form could not be read."),
    413: Media(HTML, "A page saying the form is too large."),
    429: Media(HTML, "A page saying to try again later, up to an hour (Retry-After); nothing was stored."),
}
REPORT_DESCRIPTION = (
    'The rating page\'s one-tap report "someone pressed me to rate" (application/x-www-form-urlencoded, works '
    "without script): the page's form token and an optional short comment, no personal data. It opens a "
    "supervision case against the window (or the agency's item) for the region's supervisors, counts against the "
    "same abuse limits as a rating, and answers with a plain confirmation page."
)


def report_operation(summary: str, *, tag: str = TAG, query: type[PageQuery] = PageQuery) -> Operation:
    """The documentation of a rating page's `…/report` route."""
    return Operation(
        summary=summary,
        tag=tag,
        body=PressureReportForm,
        body_media_type=FORM_MEDIA_TYPE,
        query=query,
        responses=REPORT_ANSWERS,
        description=REPORT_DESCRIPTION,
    )


FORM_DESCRIPTION = (
    "The page's own form (application/x-www-form-urlencoded). A browser is sent to the receipt page (303); the "
    "page's script, asking with Accept: application/json, gets the receipt page's URL instead. The same form posted "
    "again (a second tap, a retry) gets the receipt of the evaluation it was taken as. A filled honeypot field "
    "stores nothing and gets the thank-you page."
)

blueprint = ApiBlueprint(__name__)


def receipt_url(request: Request, accepted: EvaluationAccepted, lang: Lang, path: str = "/e") -> str:
    """The receipt page of a new evaluation, under `path` (`/e`, or a web module's own)."""
    query = {"receipt": accepted.receipt or "", **({"lang": lang.value} if lang is not Lang.ZH else {})}
    return f"{public_base_url(request)}{path}/{accepted.evaluation_id}/receipt?{urlencode(query)}"


def view_for_receipt(request: Request, evaluation_id: str) -> tuple[EvaluationView, str]:
    """The evaluation a receipt link shows; a link without a plausible receipt is one we never issued."""
    receipt = query_params(request).get("receipt", "")
    if not 8 <= len(receipt) <= 64:
        raise NotFound("no such receipt")
    view = evaluation_view(
        evaluation_id,
        receipt,
        stores=runtime.intake_stores(),
        cases=runtime.case_repository(),
        follow_ups=runtime.follow_up_repository(),
    )
    return view, receipt


def unknown_link(ctx: PageContext) -> Response:
    """A receipt or status link that is cut short or altered: said as such, not as an unknown QR code."""
    return html(refusal_page("unknown-link", 404, ctx))


@blueprint.route(
    "/q/{token}",
    methods=["GET"],
    doc=Operation(
        summary="The rating page behind a window's QR code",
        tag=TAG,
        query=RatingPageQuery,
        responses={
            200: Media(HTML, "The mobile rating page (under 50 KB, works without script)."),
            303: None,
            **PAGE_REFUSALS,
        },
    ),
)
@html_page(blueprint)
def get_window_page(token: str) -> Response:
    """The page a citizen's phone opens; a refused code gets a page too, never a JSON document."""
    request = blueprint.current_request
    target = open_window_rating(token, stores=runtime.rating_stores())
    return form_page(request, target, page_context(request), signer=runtime.form_token_signer(), now=runtime.now())


@blueprint.route(
    "/q/{token}",
    methods=["POST"],
    content_types=[FORM_MEDIA_TYPE],
    doc=Operation(
        summary="Rate at a window: the form of the page behind its QR code",
        tag=TAG,
        body=RatingForm,
        body_media_type=FORM_MEDIA_TYPE,
        query=PageQuery,
        responses=FORM_ANSWERS,
        description=f"Channel `window_qr`, for an item of the window. {FORM_DESCRIPTION}",
    ),
)
@html_page(blueprint)
def post_window_rating(token: str) -> Response:
    request = blueprint.current_request
    ctx = page_context(request)
    stores = runtime.rating_stores()
    return post_rating(
        request,
        ctx,
        open_target=lambda: open_window_rating(token, stores=stores),
        receipt_url=lambda accepted: receipt_url(request, accepted, ctx.lang),
        stores=stores,
        gate=runtime.intake_gate(),
        now=runtime.now(),
    )


@blueprint.route(
    "/q/{token}/report",
    methods=["POST"],
    content_types=[FORM_MEDIA_TYPE],
    doc=report_operation("Report being pressed to rate, from the page behind a window's QR code"),
)
@html_page(blueprint)
def post_window_report(token: str) -> Response:
    request = blueprint.current_request
    stores = runtime.rating_stores()
    return post_pressure_report(
        request,
        page_context(request),
        open_target=lambda: open_window_rating(token, stores=stores),
        stores=stores,
        gate=runtime.intake_gate(),
        now=runtime.now(),
    )


@blueprint.route(
    "/t/{ticket}",
    methods=["GET"],
    doc=Operation(
        summary="The rating page of a service record, opened with its ticket",
        tag=TAG,
        query=RatingPageQuery,
        responses={
            200: Media(HTML, "The record's service item and its stages still to rate."),
            303: None,
            **PAGE_REFUSALS,
        },
    ),
)
@html_page(blueprint)
def get_ticket_page(ticket: str) -> Response:
    request, now = blueprint.current_request, runtime.now()
    target = open_ticket_rating(ticket, stores=runtime.rating_stores(), now=now)
    return form_page(request, target, page_context(request), signer=runtime.form_token_signer(), now=now)


@blueprint.route(
    "/t/{ticket}",
    methods=["POST"],
    content_types=[FORM_MEDIA_TYPE],
    doc=Operation(
        summary="Rate a service record: the form of its ticket's page",
        tag=TAG,
        body=RatingForm,
        body_media_type=FORM_MEDIA_TYPE,
        query=PageQuery,
        responses=FORM_ANSWERS,
        description="Channel `window_qr` for a record served at a window, `mobile_app` otherwise; one evaluation "
        f"per record and stage. {FORM_DESCRIPTION}",
    ),
)
@html_page(blueprint)
def post_ticket_rating(ticket: str) -> Response:
    request = blueprint.current_request
    ctx = page_context(request)
    stores = runtime.rating_stores()
    now = runtime.now()
    return post_rating(
        request,
        ctx,
        open_target=lambda: open_ticket_rating(ticket, stores=stores, now=now),
        receipt_url=lambda accepted: receipt_url(request, accepted, ctx.lang),
        stores=stores,
        gate=runtime.intake_gate(),
        now=now,
        earlier=lambda nonce: earlier_rating_of_form(ticket, nonce, stores=stores),
    )


@blueprint.route(
    "/t/{ticket}/report",
    methods=["POST"],
    content_types=[FORM_MEDIA_TYPE],
    doc=report_operation("Report being pressed to rate, from a service record's ticket page"),
)
@html_page(blueprint)
def post_ticket_report(ticket: str) -> Response:
    request = blueprint.current_request
    stores = runtime.rating_stores()
    now = runtime.now()
    return post_pressure_report(
        request,
        page_context(request),
        open_target=lambda: open_ticket_rating(ticket, stores=stores, now=now),
        stores=stores,
        gate=runtime.intake_gate(),
        now=now,
    )


def current_ticket_url(request: Request, ticket: str) -> str:
    return ticket_link(ticket, tickets=runtime.ticket_signer(), base_url=public_base_url(request))


@blueprint.route(
    "/t/{ticket}/qr.svg",
    methods=["GET"],
    doc=Operation(
        summary="A service record's ticket as a QR code (SVG), for the receipt or a kiosk's screen",
        tag=TAG,
        responses={200: Media(SVG, "The QR code of the ticket's page.")},
    ),
)
def get_ticket_svg(ticket: str) -> Response:
    return svg_response(current_ticket_url(blueprint.current_request, ticket), TICKET_MAX_QR_VERSION)


@blueprint.route(
    "/t/{ticket}/qr.png",
    methods=["GET"],
    doc=Operation(
        summary="A service record's ticket as a QR code (PNG), for a receipt printer",
        tag=TAG,
        responses={200: Media(PNG, "The QR code of the ticket's page, 10 pixels per module.")},
        headers={"Accept": "Must name image/png or */*; otherwise 406."},
        errors=(406,),
    ),
)
def get_ticket_png(ticket: str) -> Response:
    request = blueprint.current_request
    if not accepts_png(request):
        return not_acceptable(request)
    return png_response(current_ticket_url(request, ticket), TICKET_MAX_QR_VERSION)


@blueprint.route(
    "/e/{evaluation_id}/receipt",
    methods=["GET"],
    doc=Operation(
        summary="The receipt page of a new evaluation, with the link to follow it",
        tag=TAG,
        query=ReceiptPageQuery,
        auth=Auth.RECEIPT,
        responses={200: Media(HTML, "What was rated, and the status link to keep."), **PAGE_REFUSALS},
    ),
)
@html_page(blueprint)
def get_receipt_page(evaluation_id: str) -> Response:
    request = blueprint.current_request
    ctx = page_context(request)
    try:
        view, receipt = view_for_receipt(request, evaluation_id)
    except NotFound:
        return unknown_link(ctx)
    return html(receipt_page(view, ctx, status_url=status_url(request, evaluation_id, receipt, ctx.lang)))


@blueprint.route(
    "/e/{evaluation_id}",
    methods=["GET"],
    doc=Operation(
        summary="The evaluator's page of an evaluation and, for a bad review, of its handling",
        tag=TAG,
        query=StatusPageQuery,
        auth=Auth.RECEIPT,
        responses={
            200: Media(HTML, "The evaluation, the case's state, the agency's answer and the form rating it."),
            **PAGE_REFUSALS,
        },
        description="The page of GET /v1/evaluations/{evaluation_id}. While the case awaits the evaluator's "
        "rating of the handling, the page carries its form, posted to POST /e/{evaluation_id}/handling.",
    ),
)
@html_page(blueprint)
def get_status_page(evaluation_id: str) -> Response:
    request = blueprint.current_request
    ctx = page_context(request)
    try:
        view, receipt = view_for_receipt(request, evaluation_id)
    except NotFound:
        return unknown_link(ctx)
    query = {name: value for name, value in query_params(request).items() if name != "problem"}
    return html(
        status_page(
            view,
            ctx,
            refresh_url="?" + urlencode(query),
            receipt=receipt,
            handling_problem=query_params(request).get("problem") == "rating",
        )
    )


# A citizen's link cut short: `/q/`, `/t/` or `/e/` (API Gateway drops a trailing slash) gets the page
# saying the code or link is not whole, never the gateway's JSON 404.
CUT_SHORT: dict[str, str] = {"/q": "not-found", "/t": "not-found", "/e": "unknown-link"}


def _cut_short_page(kind: str) -> Callable[[], Response]:
    def cut_short() -> Response:
        return html(refusal_page(kind, 404, page_context(blueprint.current_request)))

    return cut_short


for _path, _kind in CUT_SHORT.items():
    blueprint.route(
        _path,
        methods=["GET"],
        name=f"get_cut_short_{_path.strip('/')}",
        doc=Operation(
            summary=f"A link cut short at {_path}/: the page saying so",
            tag=TAG,
            query=PageQuery,
            responses={404: PAGE_REFUSALS[404]},
        ),
    )(_cut_short_page(_kind))


@blueprint.route(
    "/favicon.ico",
    methods=["GET"],
    doc=Operation(
        summary="No icon: an empty answer that browsers keep for a day",
        tag=TAG,
        responses={204: None},
    ),
)
def get_favicon() -> Response:
    return Response(body="", status_code=204, headers={"Cache-Control": "public, max-age=86400"})
