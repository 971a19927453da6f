"""The one handler of a rating form (and of its "someone pressed me to rate" report), for the rating
pages, the kiosks and the web module: it answers the page's script with JSON and a browser without it
with pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from chalice.app import Request, Response
from pydantic import ValidationError

from govrate import runtime
from govrate.cases.model import PressureReport
from govrate.cases.service import report_pressure
from govrate.evaluations.models import Channel, EvaluationAccepted
from govrate.kernel.contracts import field_errors
from govrate.kernel.errors import Conflict, EvaluationPeriodOver, GovrateError, InvalidInput, SuspiciousSubmission
from govrate.kernel.observability import logger
from govrate.rating.models import Lang, PageAnswer, PressureReportForm, RatingForm, RatingTarget
from govrate.rating.service import FORM, FORM_FIELDS, check_form_token, read_rating_form, submit_rating
from govrate.web import i18n
from govrate.web.chalice_edge import client_address, json_response, problem_response, query_params
from govrate.web.page_edge import REPORT_SEGMENT, html, logged_problem, parse_form, refusal, see_other, wants_json
from govrate.web.pages import PageContext, rating_page, refusal_message, reported_page, thanks_page
from govrate.web.problems import Problem
from govrate.web.urls import client_path

if TYPE_CHECKING:
    from govrate.integrity.limits import IntakeGate
    from govrate.rating.service import RatingStores


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
    return _to_receipt(receipt_url(accepted), as_json)


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
    problem = logged_problem(exc)
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
