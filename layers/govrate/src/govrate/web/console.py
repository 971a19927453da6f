"""The staff console's shell, shared by every function that serves console pages (the case API's
pages, intake's upload of paper forms): the session, the page frame, and answers as pages.

The session is the staff member's Cognito ID token in an HttpOnly, SameSite=Strict cookie that the
sign-in form sets (`/console/login`, served by the case API); every console page verifies it with the
same verifier as the staff API. Pages are small server-rendered HTML with no script, every value
escaped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from html import escape
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

from chalice.app import Request, Response
from pydantic import ValidationError

from govrate import runtime
from govrate.identity.auth import NotSignedIn
from govrate.identity.model import Actor
from govrate.kernel.errors import BodyTooLarge, GovrateError, InvalidInput, MalformedBody
from govrate.web.chalice_edge import ApiBlueprint, raw_body
from govrate.web.operations import Media, Operation
from govrate.web.problems import problem_for

SESSION_COOKIE = "govrate_staff"
HTML = "text/html; charset=utf-8"
FORM = "application/x-www-form-urlencoded"
LOGIN_PATH = "/console/login"
CASES_PATH = "/console/cases"
PAPER_FORMS_PATH = "/console/paper-forms"
PAGE = Media("text/html", "A console page")
TO_PAGE = Media("text/html", "See Other: the next console page (Location)")
SESSION = (
    "For people, in a browser. The session is the staff ID token in an HttpOnly, SameSite=Strict cookie set "
    "by the sign-in form and verified by the function; without it the answer is a redirect to the sign-in."
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;text-align:left}"
    "label{display:block;margin:.3rem 0}textarea{width:100%;min-height:3rem}"
    ".overdue{color:#b00;font-weight:bold}.error{background:#fee;padding:.5rem}.ok{color:#070}"
    "form.step{border:1px solid #ddd;padding:.5rem;margin:.5rem 0}nav a{margin-right:1rem}"
)

ConsoleView = Callable[..., Response]


def session_actor(request: Request) -> Actor:
    """The staff member or supervisor whose session cookie came with the request; NotSignedIn if none."""
    try:
        morsel = SimpleCookie(request.headers.get("cookie", "")).get(SESSION_COOKIE)
    except CookieError as exc:
        raise NotSignedIn("unreadable cookie") from exc
    if morsel is None or not morsel.value:
        raise NotSignedIn("not signed in")
    return runtime.token_verifier().actor(morsel.value)


def session_cookie(token: str, lifetime_seconds: int) -> str:
    return f"{SESSION_COOKIE}={token}; Max-Age={lifetime_seconds}; Path=/; HttpOnly; Secure; SameSite=Strict"


def ended_session_cookie() -> str:
    return f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict"


def stage_base(request: Request) -> str:
    """The stage prefix the browser sees (`/api` on an execute-api URL; empty on a custom domain)."""
    context = request.context
    stage = context.get("stage")
    return f"/{stage}" if stage and str(context.get("path", "")).startswith(f"/{stage}/") else ""


def page(title: str, body: str, base: str, actor: Actor | None = None) -> str:
    """A whole console page; signed in, with who it is, the console's sections and the sign-out."""
    header = ""
    if actor is not None:
        header = (
            f'<nav><a href="{escape(base)}{CASES_PATH}">待办案件 Open cases</a>'
            f'<a href="{escape(base)}{PAPER_FORMS_PATH}">录入纸质评价表 Enter paper forms</a></nav>'
            f"<div>{escape(actor.name or actor.subject)} · {escape(actor.role)} · "
            f"{escape(actor.agency_code or actor.region_code or '')} "
            f'<form method="post" action="{escape(base)}/console/logout" style="display:inline">'
            "<button>退出 Sign out</button></form></div>"
        )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{header}<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def error_html(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def message_page(message: str, base: str, back: str, actor: Actor | None = None) -> str:
    """A refused request: what went wrong, and the way back."""
    back_link = f'<p><a href="{escape(base + back)}">返回 Back</a></p>'
    return page("未完成 Not done", error_html(message) + back_link, base, actor)


def html_response(body: str, status: int = 200) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": HTML,
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        },
    )


def redirect(request: Request, path: str, cookie: str | None = None) -> Response:
    location = f"{stage_base(request)}{path}"
    headers: dict[str, str | list[str]] = {"Location": location, "Cache-Control": "no-store", "Content-Type": HTML}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body=f'<a href="{escape(location)}">{escape(location)}</a>', status_code=303, headers=headers)


def error_text(exc: Exception) -> str:
    problem = problem_for(exc)
    fields = "; ".join(f"{error['field']}: {error['message']}" for error in problem.errors)
    return f"{problem.title}: {problem.detail}" + (f" ({fields})" if fields else "")


def console_route(
    blueprint: ApiBlueprint,
    path: str,
    method: str,
    doc: Operation,
    *,
    name: str | None = None,
    content_types: list[str] | None = None,
    back: Callable[[dict[str, str]], str] = lambda _: CASES_PATH,
) -> Callable[[ConsoleView], ConsoleView]:
    """A console page of `blueprint`: a refusal comes back as a page with the message and the problem's
    status (not as problem+json), and a request without a valid session goes to the sign-in page.
    `back` gives the page a refusal links back to, from the route's path parameters."""

    def decorator(view: ConsoleView) -> ConsoleView:
        @functools.wraps(view)
        def answered(*args: str, **kwargs: str) -> Response:
            request = blueprint.current_request
            try:
                return view(*args, **kwargs)
            except NotSignedIn:
                return redirect(request, LOGIN_PATH)
            except (GovrateError, ValidationError) as exc:
                text = message_page(error_text(exc), stage_base(request), back(kwargs))
                return html_response(text, problem_for(exc).status)

        accepted = content_types or ([FORM] if method == "POST" else ["application/json"])
        blueprint.route(path, methods=[method], name=name or view.__name__, content_types=accepted, doc=doc)(answered)
        return view

    return decorator


def case_path(evaluation_id: str) -> str:
    return f"{CASES_PATH}/{quote(evaluation_id)}"


def uploaded_file(request: Request, field: str, max_bytes: int) -> bytes:
    """The content of the file that a multipart/form-data form sent in `field` (an HTML file input)."""
    raw = raw_body(request)
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"at most {max_bytes // 1024} KiB per upload; split the file")
    content_type = request.headers.get("content-type", "")
    # The e-mail parser reads MIME multipart bodies; the HTTP policy keeps it strict about line ends.
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + raw)
    if not message.is_multipart():
        raise MalformedBody("a multipart/form-data form with the file is expected")
    for part in message.iter_parts():
        if isinstance(part, EmailMessage) and part.get_param("name", header="content-disposition") == field:
            content = part.get_payload(decode=True)
            if isinstance(content, bytes) and content:
                return content
    raise InvalidInput("choose a file to upload", [{"field": field, "message": "no file was sent"}])
