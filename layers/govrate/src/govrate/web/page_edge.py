"""Chalice glue for the pages people see: forms, the page's language, refusals as pages. The rating
form's handler is `govrate.web.rating_edge`."""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from govrate import runtime
from govrate.kernel.errors import BodyTooLarge, GovrateError, MalformedBody
from govrate.kernel.observability import logger
from govrate.rating.models import Lang
from govrate.web.chalice_edge import query_params, raw_body
from govrate.web.pages import OTHER_LANG, Page, PageContext, refusal_page
from govrate.web.problems import Problem, problem_for
from govrate.web.urls import client_path, public_base_url

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# A rating page's "someone pressed me to rate" form posts to `<page>/report`.
REPORT_SEGMENT = "report"
MAX_FORM_BYTES = 16 * 1024

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


def refusal(exc: Exception, ctx: PageContext, page: RefusalPage | None = None) -> Response:
    """The page saying why a page cannot be shown; an unexpected error is logged with its trace."""
    problem = logged_problem(exc)
    if page is not None:
        return html(page(problem, ctx))
    return html(refusal_page(problem.kind, problem.status, ctx, problem.headers))


def logged_problem(exc: Exception) -> Problem:
    """The problem of a refused page, logged (an unexpected error with its trace)."""
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
