"""The pages people see: the rating pages, refusals, receipt, status, the kiosk and the window poster.

No framework and nothing loaded from elsewhere: Jinja templates (escaped by default) with their
stylesheet and script inline, each allowed by its hash in the Content-Security-Policy, so a page is
one request of a few kilobytes. Pages work without their script; the script only spares a reload.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from markupsafe import Markup

from govrate.evaluations.models import CaseState, HandlingRating, ReasonCode, ServiceItem, Stage
from govrate.kernel.clock import zone
from govrate.kernel.scale import Level
from govrate.rating.models import EvaluationView, Lang, PosterSize, RatingForm, RatingTarget, WindowPoster
from govrate.web import i18n
from govrate.windows.models import ServiceWindow

if TYPE_CHECKING:
    from jinja2 import Environment


HTML: Final = "text/html; charset=utf-8"
PAGE_KINDS: Final = (
    "not-found",
    "unknown-link",
    "gone",
    "evaluation-period-over",
    "conflict",
    "unavailable",
    "too-many-requests",
)
DISCLOSURE_PATH: Final = "/disclosure"
OTHER_LANG: Final = {Lang.ZH: Lang.EN, Lang.EN: Lang.ZH}


@cache
def _environment() -> Environment:
    """The templates, loaded with the first page (the JSON routes of the same function never need Jinja2)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("govrate.web", "templates"),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class Page:
    body: str
    headers: dict[str, str]
    status: int = 200


@dataclass(frozen=True)
class PageContext:
    """How a page is shown: its language, the link to it in the other one, and who may frame it."""

    lang: Lang = Lang.ZH
    switch_url: str = ""
    # Origins allowed to embed the page (the web module's frame); none: the page is never framed.
    frame_ancestors: tuple[str, ...] = ()
    utc_offset_hours: int = 8
    # Where the API is reached from outside, for links to other pages (the published results).
    base_url: str = ""
    # Where a rating page's report form posts: `<page>/report`, relative to the page, with its query.
    report_url: str = ""

    @property
    def framed(self) -> bool:
        return bool(self.frame_ancestors)


@dataclass(frozen=True)
class PagePolicy:
    """The inline styles and scripts of a page, and what else it may reach."""

    styles: tuple[str, ...]
    scripts: tuple[str, ...] = ()
    images: bool = False
    connect: bool = False
    forms: bool = False
    frame_ancestors: tuple[str, ...] = ()

    def header(self) -> str:
        directives = ["default-src 'none'", f"style-src {_hashes(self.styles)}"]
        if self.scripts:
            directives.append(f"script-src {_hashes(self.scripts)}")
        if self.images:
            directives.append("img-src 'self'")
        if self.connect:
            directives.append("connect-src 'self'")
        directives.append("form-action 'self'" if self.forms else "form-action 'none'")
        directives.append("base-uri 'none'")
        directives.append("frame-ancestors " + (" ".join(self.frame_ancestors) or "'none'"))
        return "; ".join(directives)


def _hashes(sources: Iterable[str]) -> str:
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'" for source in sources
    )


@cache
def asset(name: str) -> str:
    """A file of static/ as text (the web module's script is served as such)."""
    return resources.files("govrate.web").joinpath("static", name).read_text(encoding="utf-8")


def page_headers(policy: str) -> dict[str, str]:
    return {
        "Content-Type": HTML,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": policy,
    }


def render(template: str, policy: PagePolicy, context: Mapping[str, Any], status: int = 200) -> Page:
    body = (
        _environment()
        .get_template(template)
        .render(
            styles=[Markup(style) for style in policy.styles],  # noqa: S704 - our own files, hashed in the policy
            scripts=[Markup(script) for script in policy.scripts],  # noqa: S704 - as above
            **context,
        )
    )
    return Page(body, page_headers(policy.header()), status)


def common_context(ctx: PageContext) -> dict[str, Any]:
    """What every mobile page's template uses, in the page's language."""
    lang = ctx.lang

    def local_time(moment: datetime) -> str:
        return moment.astimezone(zone(ctx.utc_offset_hours)).strftime("%Y-%m-%d %H:%M")

    def last_day(deadline: datetime) -> date:
        """The day a deadline closes: one at local midnight is the end of the day before."""
        return (deadline.astimezone(zone(ctx.utc_offset_hours)) - timedelta(microseconds=1)).date()

    def item_name(item: ServiceItem) -> str:
        return item.name_zh if lang is Lang.ZH or not item.name_en else item.name_en

    return {
        "t": lambda key, **values: i18n.text(key, lang, **values),
        "pick": lambda pair: i18n.pick(pair, lang),
        "html_lang": i18n.HTML_LANG[lang],
        "switch_url": ctx.switch_url,
        "base_url": ctx.base_url,
        "results_url": f"{ctx.base_url}{DISCLOSURE_PATH}" + ("?lang=en" if lang is Lang.EN else ""),
        "switch_html_lang": i18n.HTML_LANG[OTHER_LANG[lang]],
        "framed": ctx.framed,
        "local_time": local_time,
        "last_day": last_day,
        "item_name": item_name,
        "reason_label": lambda reason: _label(i18n.REASONS, reason, lang),
        "level_label": lambda level: i18n.level_label(level, lang),
        "stage_label": lambda stage: i18n.pick(i18n.STAGES[stage], lang),
        "case_state": lambda state: _label(i18n.CASE_STATES, state, lang),
        "handling": lambda rating: _label(i18n.HANDLING, rating, lang),
    }


def _label(labels: Mapping[Any, tuple[str, str]], value: CaseState | HandlingRating | ReasonCode, lang: Lang) -> str:
    pair = labels.get(value)
    return i18n.pick(pair, lang) if pair else str(value.value)


def _mobile_policy(ctx: PageContext, *, form: bool = False, posts: bool = False) -> PagePolicy:
    """`form`: the rating form with its script; `posts`: a plain form that posts to this API."""
    scripts = [asset("rate.js")] if form else []
    if ctx.framed:
        scripts.append(asset("frame.js"))
    return PagePolicy(
        styles=(asset("pages.css"),),
        scripts=tuple(scripts),
        connect=form,
        forms=form or posts,
        frame_ancestors=ctx.frame_ancestors,
    )


def rating_page(
    target: RatingTarget,
    ctx: PageContext,
    *,
    max_comment_length: int,
    nonce: str = "",
    values: RatingForm | None = None,
    errors: Mapping[str, str] | None = None,
    anew_url: str | None = None,
) -> Page:
    """The rating form; with `errors` (form field -> message) it comes back filled in, status 422. With
    `anew_url`, the form carries the token this browser rated with minutes ago, and says so."""
    window = target.window
    window_name = ""
    if window is not None:
        window_name = window.name_en if ctx.lang is Lang.EN and window.name_en else window.name_zh
    open_stages = target.open_stages
    several_stages = len(target.stages) > 1 and len(open_stages) > 1
    context = {
        **common_context(ctx),
        "target": target,
        "window_name": window_name,
        # A record's one stage left is named; "overall" needs no name.
        "single_stage": open_stages[0]
        if open_stages and not several_stages and open_stages[0] != Stage.OVERALL
        else None,
        "stage_choices": target.stages if several_stages else (),
        "levels": sorted(Level, reverse=True),
        "reasons": [(reason, i18n.pick(labels, ctx.lang)) for reason, labels in i18n.REASONS.items()],
        "values": values or RatingForm(),
        "errors": dict(errors or {}),
        "nonce": nonce,
        "max_comment_length": max_comment_length,
        "report_action": ctx.report_url,
        "anew_url": anew_url,
    }
    return render("rate.html", _mobile_policy(ctx, form=True), context, 422 if errors else 200)


def refusal_page(kind: str, status: int, ctx: PageContext, headers: Mapping[str, str] | None = None) -> Page:
    """Why a page cannot be shown, by problem kind (`not-found`, `gone`, `conflict`, …)."""
    known = kind if kind in PAGE_KINDS else "other"
    context = {
        **common_context(ctx),
        "title": i18n.text(f"refusal.{known}.title", ctx.lang),
        "message": i18n.text(f"refusal.{known}.text", ctx.lang),
    }
    page = render("refusal.html", _mobile_policy(ctx), context, status)
    return Page(page.body, {**page.headers, **(headers or {})}, status)


def refusal_message(kind: str, lang: Lang) -> str:
    """The refusal in one sentence, for the page's script to show in place of the form."""
    known = kind if kind in PAGE_KINDS else "other"
    return i18n.text(f"refusal.{known}.text", lang)


def reported_page(ctx: PageContext, *, back_url: str, refused: bool = False) -> Page:
    """The citizen's confirmation of a pressure report (200), or why it was not taken (422)."""
    prefix = "report_refused" if refused else "reported"
    context = {
        **common_context(ctx),
        # The answer to a posted form has no address of its own to show in the other language.
        "switch_url": "",
        "title_key": f"{prefix}.title",
        "text_key": f"{prefix}.text",
        "refused": refused,
        "back_url": back_url,
    }
    return render("reported.html", _mobile_policy(ctx), context, 422 if refused else 200)


def thanks_page(ctx: PageContext) -> Page:
    """The answer to a posted form: it has no address of its own to show in the other language."""
    return render("thanks.html", _mobile_policy(ctx), {**common_context(ctx), "switch_url": ""})


def receipt_page(view: EvaluationView, ctx: PageContext, *, status_url: str) -> Page:
    context = {**common_context(ctx), "view": view, "status_url": status_url}
    return render("receipt.html", _mobile_policy(ctx), context)


def status_page(
    view: EvaluationView, ctx: PageContext, *, refresh_url: str, receipt: str, handling_problem: bool = False
) -> Page:
    """The evaluation and its case; while the case awaits the evaluator, the form rating the handling
    (posted to `/e/<id>/handling`, which answers with this page again)."""
    lang_query = "?lang=en" if ctx.lang is Lang.EN else ""
    context = {
        **common_context(ctx),
        "view": view,
        "refresh_url": refresh_url,
        "receipt": receipt,
        "handling_url": f"{ctx.base_url}/e/{view.status.evaluation_id}/handling{lang_query}",
        "handling_choices": [(rating, i18n.pick(label, ctx.lang)) for rating, label in i18n.HANDLING.items()],
        "handling_problem": handling_problem,
    }
    return render("status.html", _mobile_policy(ctx, posts=True), context)


def kiosk_page(
    window: ServiceWindow,
    *,
    transaction_url: str,
    submit_url: str,
    poll_ms: int,
    idle_ms: int,
    debounce_ms: int,
    thanks_ms: int,
) -> Page:
    """The full-screen page of a window's evaluation device, in both languages at once."""
    context = {
        **_both(),
        "window": window,
        "transaction_url": transaction_url,
        "submit_url": submit_url,
        "poll_ms": poll_ms,
        "idle_ms": idle_ms,
        "debounce_ms": debounce_ms,
        "thanks_ms": thanks_ms,
        "levels": sorted(Level, reverse=True),
        "reasons": list(i18n.REASONS.items()),
        "stages": [(stage, i18n.STAGES[stage]) for stage in Stage],
    }
    policy = PagePolicy(styles=(asset("kiosk.css"),), scripts=(asset("kiosk.js"),), images=True, connect=True)
    return render("kiosk.html", policy, context)


def poster_page(poster: WindowPoster, size: PosterSize, *, other_size_url: str) -> Page:
    """A window's QR code to print, A4 or A5, in both languages."""
    other = PosterSize.A5 if size is PosterSize.A4 else PosterSize.A4
    page_size = f"@page{{size:{size.value.upper()} portrait;margin:0}}"
    context = {
        **_both(),
        "poster": poster,
        "qr_svg": Markup(poster.qr_svg),  # noqa: S704 - segno's own markup of our signed URL
        "size": size,
        "size_label": size.value.upper(),
        "other_size_label": other.value.upper(),
        "other_size_url": other_size_url,
    }
    return render("poster.html", PagePolicy(styles=(asset("poster.css"), page_size)), context)


def _both() -> dict[str, Callable[..., str]]:
    return {
        "zh": lambda key, **values: i18n.text(key, Lang.ZH, **values),
        "en": lambda key, **values: i18n.text(key, Lang.EN, **values),
    }
