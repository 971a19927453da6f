"""Chalice glue for the pages people see: forms, the page's language, refusals as pages, and the one
handler of a rating form, which answers the page's script with JSON and a browser without it with pages.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from govrate import runtime
from govrate.evaluations.models import Channel, EvaluationAccepted
from govrate.integrity.limits import IntakeGate
from govrate.kernel.contracts import field_errors
from govrate.kernel.errors import (
    BodyTooLarge,
    Conflict,
    EvaluationPeriodOver,
    GovrateError,
    InvalidInput,
    MalformedBody,
    SuspiciousSubmission,
)
from govrate.kernel.observability import logger
from govrate.kernel.qr_codes import FormTokenSigner
from govrate.rating.models import Lang, PageAnswer, PressureReportForm, RatingForm, RatingTarget
from govrate.rating.service import (
    FORM,
    FORM_FIELDS,
    RatingStores,
    check_form_token,
    read_rating_form,
    submit_rating,
)
from govrate.web import i18n
from govrate.web.chalice_edge import (
    client_address,
    cookie,
    json_response,
    problem_response,
    query_params,
    raw_body,
)
from govrate.web.pages import (
    OTHER_LANG,
    Page,
    PageContext,
    rating_page,
    refusal_message,
    refusal_page,
    reported_page,
    thanks_page,
)
from govrate.web.problems import Problem, problem_for
from govrate.web.urls import client_path, public_base_url

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# A rating page's "someone pressed me to rate" form posts to `<page>/report`.
REPORT_SEGMENT = "report"
MAX_FORM_BYTES = 16 * 1024
# A browser that rated from a page keeps the form's token a few minutes (a cookie of that page's path):
# the page loaded again — Back from the receipt — carries the same token, so posting it again is the
# same rating and lands on the same receipt. `?again=1` forgets it, to rate another service.
RATED_COOKIE = "govrate_rated"
RATED_KEPT_S = 600
RATE_ANEW = "again"

FormT = TypeVar("FormT", bound=BaseModel)
ViewT = TypeVar("ViewT", bound=Callable[..., Response])


def page_lang(request: Request) -> Lang:
    """The language asked for with `?lang=`; Chinese for anything else."""
    asked = query_params(request).get("lang", "")
    return Lang(asked) if asked in {lang.value for lang in Lang} else Lang.ZH


def page_context(request: Request, frame_ancestors: tuple[str, ...] = ()) -> PageContext:
    """The page's language, and a relative link to the same page in the other language."""
    lang = page_lang(request)
    query = {**query_params(request), "lang": OTHER_LANG[lang].value}
    page = client_path(request).rstrip("/").rsplit("/", 1)[-1]
    own_query = query_params(request)
    return PageContext(
        lang=lang,
        switch_url="?" + urlencode(query),
        frame_ancestors=frame_ancestors,
        utc_offset_hours=runtime.settings().utc_offset_hours,
        base_url=public_base_url(request),
        report_url=f"{page}/{REPORT_SEGMENT}" + (f"?{urlencode(own_query)}" if own_query else ""),
    )


def wants_json(request: Request) -> bool:
    """The page's script asks for JSON; a browser posting the form itself asks for HTML."""
    return "application/json" in request.headers.get("accept", "")


def parse_form(request: Request, model: type[FormT]) -> FormT:
    """An application/x-www-form-urlencoded body as `model`; list fields take every value given."""
    raw = raw_body(request)
    if len(raw) > MAX_FORM_BYTES:
        raise BodyTooLarge(f"at most {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody(f"the body is not a form: {exc}") from exc
    values: dict[str, Any] = {
        name: given if _is_list(model, name) else given[-1]
        for name, given in fields.items()
        if name in model.model_fields
    }
    return model.model_validate(values)


def _is_list(model: type[BaseModel], name: str) -> bool:
    return typing.get_origin(model.model_fields[name].annotation) is list


def html(page: Page) -> Response:
    return Response(body=page.body, status_code=page.status, headers=dict(page.headers))


def see_other(url: str) -> Response:
    """After a form post, the page to show (303): reloading it never posts the form again."""
    return Response(body="", status_code=303, headers={"Location": url, "Cache-Control": "no-store"})


def rated_cookie(request: Request, token: str | None) -> str:
    """Keeps `token` for the page posted to (None: forgets it). Never sent to another path or site."""
    kept = f"{token}; Max-Age={RATED_KEPT_S}" if token else "; Max-Age=0"
    return f"{RATED_COOKIE}={kept}; Path={client_path(request)}; HttpOnly; Secure; SameSite=Lax"


def form_page(
    request: Request, target: RatingTarget, ctx: PageContext, *, signer: FormTokenSigner, now: datetime
) -> Response:
    """The rating form of `target`: with the token this browser rated with minutes ago (and a note saying
    so, with a link to rate anew), else with the single-use token of a form served now."""
    query = query_params(request)
    if RATE_ANEW in query:
        shown = {name: value for name, value in query.items() if name != RATE_ANEW}
        response = see_other("?" + urlencode(shown) if shown else client_path(request))
        response.headers["Set-Cookie"] = rated_cookie(request, None)
        return response
    kept = cookie(request, RATED_COOKIE)
    if kept is not None:
        try:
            check_form_token(target, kept, signer=signer, now=now)
        except InvalidInput:
            kept = None
    page = rating_page(
        target,
        ctx,
        max_comment_length=runtime.settings().max_comment_length,
        nonce=kept or signer.issue(target.form_subject, now),
        anew_url="?" + urlencode({**query, RATE_ANEW: "1"}) if kept else None,
    )
    return html(page)


def refusal(exc: Exception, ctx: PageContext, page: RefusalPage | None = None) -> Response:
    """The page saying why a page cannot be shown; an unexpected error is logged with its trace."""
    problem = _logged_problem(exc)
    if page is not None:
        return html(page(problem, ctx))
    return html(refusal_page(problem.kind, problem.status, ctx, problem.headers))


def _logged_problem(exc: Exception) -> Problem:
    problem = problem_for(exc)
    if isinstance(exc, GovrateError | ValidationError):
        logger.info("page refused", extra={"error": type(exc).__name__, "detail": str(exc)})
    else:
        logger.exception("unhandled error on a page")
    return problem


RefusalPage = Callable[[Problem, PageContext], Page]


def html_page(blueprint: Blueprint, page: RefusalPage | None = None) -> Callable[[ViewT], ViewT]:
    """A view that answers every failure with a page in the asked language, never with JSON (the
    rating pages' refusal, or `page`)."""

    def decorate(view: ViewT) -> ViewT:
        @functools.wraps(view)
        def answered(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except Exception as exc:
                return refusal(exc, page_context(blueprint.current_request), page)

        return typing.cast(ViewT, answered)

    return decorate


def post_rating(
    request: Request,
    ctx: PageContext,
    *,
    open_target: Callable[[], RatingTarget],
    receipt_url: Callable[[EvaluationAccepted], str],
    stores: RatingStores,
    gate: IntakeGate,
    now: datetime,
    earlier: Callable[[str], EvaluationAccepted | None] | None = None,
) -> Response:
    """Take a posted rating form: on success the receipt page (303, or its URL as JSON for the script);
    otherwise the form again with each problem beside its field (422), or the page saying why not
    (429 with Retry-After over an abuse limit, nothing stored). The same form posted again (a second
    tap, a retry after a lost answer) lands on the receipt of the evaluation it was taken as; `earlier`
    finds that evaluation by the form's token when the target itself is closed (every stage rated)."""
    as_json = wants_json(request)
    try:
        target = open_target()
    except Exception as exc:
        replayed = _earlier_answer(request, earlier) if isinstance(exc, Conflict) else None
        return _to_receipt(receipt_url(replayed), as_json) if replayed else _refused(exc, ctx, as_json)
    form = RatingForm()
    accepted: EvaluationAccepted | None
    try:
        form = parse_form(request, RatingForm)
        check_form_token(target, form.nonce, signer=stores.form_tokens(), now=now)
        rating = read_rating_form(target, form, runtime.settings().max_comment_length)
        arrival = gate.arrival(
            client_address(request), window_id=target.window_id, item_code=rating.item.item_code, now=now
        )
        gate.admit(arrival, now=now)
        accepted = submit_rating(target, rating, stores=stores, now=now, arrival=arrival)
    except SuspiciousSubmission as exc:
        # Bots are told nothing: they get the thanks page, and nothing is stored.
        logger.warning(
            "suspicious submission refused quietly",
            extra={"reason": str(exc), "path": request.path, "user_agent": request.headers.get("user-agent", "")[:200]},
        )
        accepted = None
    except (InvalidInput, ValidationError) as exc:
        if isinstance(exc, EvaluationPeriodOver):
            return _refused(exc, ctx, as_json)
        errors = exc.errors if isinstance(exc, InvalidInput) else field_errors(exc)
        # A refused form stored nothing: it comes back with a fresh token.
        fresh_token = stores.form_tokens().issue(target.form_subject, now)
        return _form_errors(target, ctx, form, _localized(errors, ctx.lang), as_json=as_json, token=fresh_token)
    except Exception as exc:
        return _refused(exc, ctx, as_json)
    if accepted is None or accepted.receipt is None:  # a bot, or the same rating sent from another page
        return _thanks(ctx, as_json)
    answer = _to_receipt(receipt_url(accepted), as_json)
    answer.headers["Set-Cookie"] = rated_cookie(request, form.nonce)
    return answer


def _to_receipt(url: str, as_json: bool) -> Response:
    return json_response(PageAnswer(next_url=url), 201) if as_json else see_other(url)


def _earlier_answer(
    request: Request, earlier: Callable[[str], EvaluationAccepted | None] | None
) -> EvaluationAccepted | None:
    if earlier is None:
        return None
    try:
        return earlier(parse_form(request, RatingForm).nonce)
    except (GovrateError, ValidationError):
        return None


def post_pressure_report(
    request: Request,
    ctx: PageContext,
    *,
    open_target: Callable[[], RatingTarget],
    stores: RatingStores,
    gate: IntakeGate,
    now: datetime,
) -> Response:
    """Take a rating page's "someone pressed me to rate" form: a supervision case against the window (or
    the agency's item), and a plain confirmation. It needs the page's form token and counts against the
    same abuse limits as a rating; the same form reported twice is one report."""
    back_url = client_path(request).removesuffix(f"/{REPORT_SEGMENT}")
    back_url += f"?{urlencode(query_params(request))}" if query_params(request) else ""
    try:
        target = open_target()
        form = parse_form(request, PressureReportForm)
        check_form_token(target, form.nonce, signer=stores.form_tokens(), now=now)
    except (InvalidInput, ValidationError) as exc:
        logger.info("pressure report refused", extra={"detail": str(exc)})
        return html(reported_page(ctx, back_url=back_url, refused=True))
    gate.admit(gate.arrival(client_address(request), window_id=target.window_id, item_code=None, now=now), now=now)
    # The case loop only for the report itself: the pages of other routes load without it.
    from govrate.cases.model import PressureReport
    from govrate.cases.service import report_pressure

    report = PressureReport(
        report_id=PressureReport.id_for(form.nonce),
        agency_code=target.agency_code,
        region_code=target.region_code,
        window_id=target.window_id,
        item_code=target.items[0].item_code if len(target.items) == 1 else None,
        comment=form.comment or None,
        page=_reporting_page(target),
    )
    report_pressure(report, stores=runtime.case_stores(), now=now)
    return html(reported_page(ctx, back_url=back_url))


def _reporting_page(target: RatingTarget) -> str:
    if target.record_id is not None:
        return "ticket"
    return "web_module" if target.channel is Channel.WEB_MODULE else "window_qr"


def _refused(exc: Exception, ctx: PageContext, as_json: bool) -> Response:
    """Why the form cannot be taken at all: a page, or for the script a problem with a sentence to show."""
    if not as_json:
        return refusal(exc, ctx)
    problem = _logged_problem(exc)
    return problem_response(
        Problem(
            problem.kind,
            problem.title,
            problem.status,
            refusal_message(problem.kind, ctx.lang),
            headers=problem.headers,
        )
    )


def _thanks(ctx: PageContext, as_json: bool) -> Response:
    if as_json:
        return json_response(PageAnswer(next_url=None, message=i18n.text("thanks.received", ctx.lang)))
    return html(thanks_page(ctx))


def _localized(errors: list[dict[str, str]], lang: Lang) -> dict[str, str]:
    """One message per form field, in the page's language."""
    fields = [error["field"] if error["field"] in FORM_FIELDS else FORM for error in errors] or [FORM]
    return {field: i18n.text(f"error.{field}", lang) for field in fields}


def _form_errors(
    target: RatingTarget, ctx: PageContext, form: RatingForm, errors: dict[str, str], *, as_json: bool, token: str
) -> Response:
    if as_json:
        problem = Problem(
            "validation-error",
            "The form is not complete",
            422,
            i18n.text("rate.errors", ctx.lang),
            errors=[{"field": field, "message": message} for field, message in errors.items()],
            headers={"X-Form-Token": token},
        )
        return problem_response(problem)
    page = rating_page(
        target, ctx, max_comment_length=runtime.settings().max_comment_length, nonce=token, values=form, errors=errors
    )
    return html(page)
