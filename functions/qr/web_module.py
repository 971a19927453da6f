"""The evaluation module that online service platforms embed. Registered into `qr_api.app`; see
docs/web-module.md.

A site key names the origins whose pages may embed the module and the online items it rates. The
script (`/w/widget.js`) asks `/w/<key>/config`, which answers only an allowed origin (CORS), and
renders the frame `/w/<key>/rate`, which only those origins may frame (CSP `frame-ancestors`).
"""

from __future__ import annotations

import citizen_pages
from chalice.app import Response
from govrate import runtime
from govrate.rating.models import (
    RatingForm,
    ReceiptPageQuery,
    SiteKey,
    SiteKeyRegistration,
    WidgetConfig,
    WidgetQuery,
)
from govrate.rating.service import open_widget_rating
from govrate.web import i18n
from govrate.web.chalice_edge import ApiBlueprint, json_response, parse_json_body, parse_query
from govrate.web.operations import Auth, Media, Operation
from govrate.web.page_edge import (
    FORM_MEDIA_TYPE,
    form_page,
    html,
    html_page,
    page_context,
    page_lang,
    post_pressure_report,
    post_rating,
    refusal,
)
from govrate.web.pages import asset, receipt_page
from govrate.web.urls import public_base_url, status_url
from govrate.windows.site_keys import administered_site_key, create_site_key, get_site_key, widget_frame_url

HTML = "text/html"
TAG = "web-module"
ADMIN_ONLY = "For the staff of the agency of every item, or a supervisor of a division that holds them all."
SCRIPT_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": "public, max-age=300",
    # Host pages that isolate themselves (COEP) may still load it.
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}

blueprint = ApiBlueprint(__name__)


def _site_key(site_key: str) -> SiteKey:
    return get_site_key(site_key, site_keys=runtime.site_key_repository())


@blueprint.route(
    "/v1/site-keys",
    methods=["POST"],
    doc=Operation(
        summary="Create a site key for an online platform that embeds the evaluation module",
        tag=TAG,
        body=SiteKeyRegistration,
        responses={201: SiteKey},
        description=f"{ADMIN_ONLY} The items must be in the catalogue and offered online. Origins are "
        "https://host[:port] (http only for localhost).",
        auth=Auth.STAFF,
        errors=(409,),
    ),
)
def post_site_key() -> Response:
    actor = runtime.staff_actor(blueprint.current_request.headers)
    registration = parse_json_body(blueprint.current_request, SiteKeyRegistration)
    site_key = create_site_key(
        registration,
        actor=actor,
        site_keys=runtime.site_key_repository(),
        catalogue=runtime.catalogue_repository(),
        now=runtime.now(),
    )
    return json_response(site_key, 201, {"Location": f"/v1/site-keys/{site_key.site_key}"})


@blueprint.route(
    "/v1/site-keys/{site_key}",
    methods=["GET"],
    doc=Operation(
        summary="A site key of the web module",
        tag=TAG,
        responses={200: SiteKey},
        description=ADMIN_ONLY,
        auth=Auth.STAFF,
    ),
)
def get_site_key_state(site_key: str) -> Response:
    key = administered_site_key(
        site_key,
        actor=runtime.staff_actor(blueprint.current_request.headers),
        site_keys=runtime.site_key_repository(),
        catalogue=runtime.catalogue_repository(),
    )
    return json_response(key)


@blueprint.route(
    "/w/widget.js",
    methods=["GET"],
    doc=Operation(
        summary="The script of the evaluation module, for a <script> tag on a platform's page",
        tag=TAG,
        responses={200: Media("text/javascript", "Renders the module inline or as a modal; see docs/web-module.md.")},
    ),
)
def get_widget_script() -> Response:
    return Response(body=asset("widget.js"), headers=SCRIPT_HEADERS)


@blueprint.route(
    "/w/{site_key}/config",
    methods=["GET"],
    doc=Operation(
        summary="What the script renders, for a page of an origin the site key allows",
        tag=TAG,
        query=WidgetQuery,
        headers={"Origin": "The embedding page's origin, as browsers send it; it must be one the key allows."},
        responses={200: WidgetConfig},
        description="Answers with Access-Control-Allow-Origin for the key's origins only; any other origin gets 403.",
        errors=(403,),
    ),
)
def get_widget_config(site_key: str) -> Response:
    request = blueprint.current_request
    query = parse_query(request, WidgetQuery)
    origin = request.headers.get("origin", "")
    frame_url = widget_frame_url(
        site_key,
        query,
        origin,
        site_keys=runtime.site_key_repository(),
        base_url=public_base_url(request),
    )
    config = WidgetConfig(
        frame_url=frame_url,
        title=i18n.text("widget.title", query.lang),
        open_label=i18n.text("widget.open", query.lang),
        close_label=i18n.text("widget.close", query.lang),
    )
    return json_response(
        config, headers={"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Cache-Control": "no-store"}
    )


@blueprint.route(
    "/w/{site_key}/rate",
    methods=["GET"],
    doc=Operation(
        summary="The module's rating page, for the script's iframe or an iframe of the platform's own",
        tag=TAG,
        query=WidgetQuery,
        responses={
            200: Media(HTML, "The rating page; only the key's origins may frame it."),
            303: None,
            **citizen_pages.PAGE_REFUSALS,
        },
    ),
)
@html_page(blueprint)
def get_widget_page(site_key: str) -> Response:
    request = blueprint.current_request
    key = _site_key(site_key)
    ctx = page_context(request, key.allowed_origins)
    try:
        query = parse_query(request, WidgetQuery)
        target = open_widget_rating(key, query, stores=runtime.rating_stores(), now=runtime.now())
    except Exception as exc:
        return refusal(exc, ctx)
    return form_page(request, target, ctx, signer=runtime.form_token_signer(), now=runtime.now())


@blueprint.route(
    "/w/{site_key}/rate",
    methods=["POST"],
    content_types=[FORM_MEDIA_TYPE],
    doc=Operation(
        summary="Rate through the web module: the form of its page",
        tag=TAG,
        body=RatingForm,
        body_media_type=FORM_MEDIA_TYPE,
        query=WidgetQuery,
        responses={**citizen_pages.FORM_ANSWERS, **citizen_pages.PAGE_REFUSALS},
        description=f"Channel `web_module`. {citizen_pages.FORM_DESCRIPTION}",
    ),
)
@html_page(blueprint)
def post_widget_rating(site_key: str) -> Response:
    request = blueprint.current_request
    key = _site_key(site_key)
    ctx = page_context(request, key.allowed_origins)
    stores = runtime.rating_stores()
    now = runtime.now()
    return post_rating(
        request,
        ctx,
        open_target=lambda: open_widget_rating(key, parse_query(request, WidgetQuery), stores=stores, now=now),
        receipt_url=lambda accepted: citizen_pages.receipt_url(request, accepted, ctx.lang, f"/w/{site_key}"),
        stores=stores,
        gate=runtime.intake_gate(),
        now=now,
    )


@blueprint.route(
    "/w/{site_key}/rate/report",
    methods=["POST"],
    content_types=[FORM_MEDIA_TYPE],
    doc=citizen_pages.report_operation(
        "Report being pressed to rate, from the module's rating page", tag=TAG, query=WidgetQuery
    ),
)
@html_page(blueprint)
def post_widget_report(site_key: str) -> Response:
    request = blueprint.current_request
    key = _site_key(site_key)
    ctx = page_context(request, key.allowed_origins)
    stores = runtime.rating_stores()
    now = runtime.now()
    return post_pressure_report(
        request,
        ctx,
        open_target=lambda: open_widget_rating(key, parse_query(request, WidgetQuery), stores=stores, now=now),
        stores=stores,
        gate=runtime.intake_gate(),
        now=now,
    )


@blueprint.route(
    "/w/{site_key}/{evaluation_id}/receipt",
    methods=["GET"],
    doc=Operation(
        summary="The module's receipt page (in the frame), with the status link opening in a new tab",
        tag=TAG,
        query=ReceiptPageQuery,
        auth=Auth.RECEIPT,
        responses={200: Media(HTML, "What was rated, and the status link to keep."), **citizen_pages.PAGE_REFUSALS},
    ),
)
@html_page(blueprint)
def get_widget_receipt(site_key: str, evaluation_id: str) -> Response:
    request = blueprint.current_request
    key = _site_key(site_key)
    ctx = page_context(request, key.allowed_origins)
    try:
        view, receipt = citizen_pages.view_for_receipt(request, evaluation_id)
    except Exception as exc:
        return refusal(exc, ctx)
    url = status_url(request, evaluation_id, receipt, page_lang(request))
    return html(receipt_page(view, ctx, status_url=url))
