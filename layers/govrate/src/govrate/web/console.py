"""The staff console's shell, shared by every function that serves console pages (the case API's
pages, intake's upload of paper forms): the session, the page frame, and answers as pages.

The session is server-side (`govrate.identity.sessions`): the browser holds only its opaque id, in a
`__Host-` cookie (HttpOnly, Secure, SameSite=Strict, path /) that the sign-in form sets
(`/console/login`, served by the case API). Every form that changes something carries the session's
form token and must come from the console's own origin (`Origin`, `Sec-Fetch-Site`); the sign-in form
carries a token of its own, doubled in a cookie. Pages are small server-rendered HTML with no script,
every value escaped. docs/security.md lists these controls and their tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from html import escape
from urllib.parse import parse_qsl, quote, urlsplit

from chalice.app import Request, Response
from pydantic import ValidationError

from govrate import runtime
from govrate.cases.model import APPEAL_WITHOUT_EVIDENCE
from govrate.identity.auth import NotSignedIn
from govrate.identity.model import Actor, Role
from govrate.identity.sessions import DEVICE_LIFETIME, StaffSession, check_form_token, current_session
from govrate.kernel.errors import BodyTooLarge, Forbidden, GovrateError, InvalidInput, MalformedBody, NotFound
from govrate.kernel.observability import logger
from govrate.web.chalice_edge import MAX_BODY_BYTES, ApiBlueprint, cookie, raw_body
from govrate.web.operations import Media, Operation
from govrate.web.pages import asset
from govrate.web.problems import problem_for

SESSION_COOKIE = "__Host-govrate_session"
LOGIN_COOKIE = "__Host-govrate_login"
DEVICE_COOKIE = "__Host-govrate_device"
FORM_TOKEN = "form_token"  # noqa: S105 (the name of a form field)
_COOKIE_FLAGS = "Path=/; HttpOnly; Secure; SameSite=Strict"
HTML = "text/html; charset=utf-8"
FORM = "application/x-www-form-urlencoded"
LOGIN_PATH = "/console/login"
CASES_PATH = "/console/cases"
INTEGRITY_PATH = "/console/integrity"
PAPER_FORMS_PATH = "/console/paper-forms"
DASHBOARD_PATH = "/console/dashboard"
PAGE = Media("text/html", "A console page")
TO_PAGE = Media("text/html", "See Other: the next console page (Location)")
SESSION = (
    "For people, in a browser. The session is server-side; its opaque id rides in a __Host- cookie (HttpOnly, "
    "Secure, SameSite=Strict) set by the sign-in form; without a live session the answer is a redirect to the "
    "sign-in. A form that changes something carries the session's `form_token` and must come from the "
    "console's own origin (403 otherwise)."
)

# What a refusal means to the person at the console, by its status.
_REFUSALS = {
    400: "填写的内容有误或不完整，请返回修改。 Something in the form is missing or wrong: go back and correct it.",
    403: "您无权进行此操作，或表单已过期，请返回刷新后重试。 "
    "You may not do this, or the form is out of date: go back, reload and try again.",
    404: "找不到该案件，或它不属于您处理的范围。 The case does not exist, or is not one you handle.",
    409: "案件已被他人更新，或当前状态不能进行这一步。请返回查看最新情况。 "
    "The case changed meanwhile, or its state does not allow this step: go back and see how it stands.",
    413: "上传的内容太大。 What was sent is too large.",
    422: "填写的内容有误或不完整，请返回修改。 Something in the form is missing or wrong: go back and correct it.",
    429: "尝试过于频繁，请稍后再试。 Too many attempts: wait a little and try again.",
}
# A page refused to someone who only opened it (no form was sent).
_READING_REFUSALS = {
    403: "该页面不属于您处理的范围（例如案件已改派给其他部门）。 "
    "This is not one you handle (a case reassigned to another agency, for example).",
}
_ROLES = {Role.STAFF: "工作人员 staff", Role.SUPERVISOR: "督办人员 supervisor"}

ConsoleView = Callable[..., Response]
CONSOLE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def session(request: Request) -> StaffSession:
    """The live session whose id came with the request; NotSignedIn if none."""
    session_id = cookie(request, SESSION_COOKIE)
    if session_id is None:
        raise NotSignedIn("no session cookie")
    return current_session(session_id, ports=runtime.session_ports(), now=runtime.now())


def check_change(request: Request, signed_in: StaffSession, form_token: str | None) -> None:
    """Forbidden unless a request that changes something (or reveals personal data) comes from the
    console's own origin with the session's form token. Called once the session is known, so that a
    request without one is sent to the sign-in, whatever its body."""
    same_origin(request)
    check_form_token(signed_in, form_token)


def same_origin(request: Request) -> None:
    """Forbidden for a request that a browser says comes from another origin: `Sec-Fetch-Site` other
    than same-origin, or an `Origin` other than the host the request came to. Browsers send both on
    every form post; a client that sends neither has no cookies a page could have borrowed."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise Forbidden(f"a console form must be sent from the console's own pages (Sec-Fetch-Site: {site})")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Forbidden("a console form must be sent from the console's own pages (Origin)")


def form_fields(request: Request) -> list[tuple[str, str]]:
    """The fields of an urlencoded form, in order."""
    raw = raw_body(request)
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"at most {MAX_BODY_BYTES} bytes")
    try:
        return parse_qsl(raw.decode(), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody("the form could not be read") from exc


def client_address(request: Request) -> str:
    """The caller's address as API Gateway (or the local server) saw it."""
    identity = request.context.get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def session_cookie(session_id: str) -> str:
    """Lasts as long as the browser keeps it; the server ends the session (docs/security.md)."""
    return f"{SESSION_COOKIE}={session_id}; {_COOKIE_FLAGS}"


def ended_session_cookie() -> str:
    return f"{SESSION_COOKIE}=; Max-Age=0; {_COOKIE_FLAGS}"


def login_cookie(token: str) -> str:
    return f"{LOGIN_COOKIE}={token}; Max-Age=3600; {_COOKIE_FLAGS}"


def device_cookie(token: str) -> str:
    return f"{DEVICE_COOKIE}={token}; Max-Age={int(DEVICE_LIFETIME.total_seconds())}; {_COOKIE_FLAGS}"


def token_field(form_token: str) -> str:
    return f'<input type="hidden" name="{FORM_TOKEN}" value="{escape(form_token)}">'


def stage_base(request: Request) -> str:
    """The stage prefix the browser sees (`/api` on an execute-api URL; empty on a custom domain)."""
    context = request.context
    stage = context.get("stage")
    return f"/{stage}" if stage and str(context.get("path", "")).startswith(f"/{stage}/") else ""


def page(title: str, body: str, base: str, signed_in: StaffSession | None = None) -> str:
    """A whole console page; signed in, with who it is, the console's sections and the sign-out."""
    header = ""
    if signed_in is not None:
        actor = signed_in.actor
        notice = f'<p class="error" role="alert">{escape(signed_in.notice)}</p>' if signed_in.notice else ""
        who = f"{actor.name or actor.subject} · {_ROLES.get(actor.role, actor.role)} · {_unit(actor)}"
        header = (
            '<header class="top"><div class="bar">'
            f'<nav aria-label="控制台 Console"><a href="{escape(base)}{CASES_PATH}">待办案件 Open cases</a>'
            f'<a href="{escape(base)}{PAPER_FORMS_PATH}">录入纸质评价表 Enter paper forms</a>'
            f'<a href="{escape(base)}{DASHBOARD_PATH}">好差评分析 Dashboard</a>'
            + (
                f'<a href="{escape(base)}{INTEGRITY_PATH}">干扰评价标记 Interference flags</a>'
                if actor.role is Role.SUPERVISOR
                else ""
            )
            + "</nav>"
            f'<div class="who"><span>{escape(who)}</span>'
            f'<form method="post" action="{escape(base)}/console/logout" class="inline">'
            f"{token_field(signed_in.form_token)}<button>退出 Sign out</button></form></div></div></header>"
        )
        body = notice + body
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{asset('console.css')}</style></head>"
        f"<body>{header}<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def _unit(actor: Actor) -> str:
    """Where the person works: their agency by its catalogue name; a supervisor's division by its code."""
    if actor.agency_code is None:
        return actor.region_code or ""
    try:
        return runtime.catalogue_repository().agency(actor.agency_code).agency_name_zh
    except NotFound:
        return actor.agency_code


def error_html(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def message_page(message: str, base: str, back: str, status: int = 400, *, reading: bool = False) -> str:
    """A refused request (`reading`: a page opened, not a form sent): what went wrong in plain words (the
    technical reason below), and the way back."""
    plain = (reading and _READING_REFUSALS.get(status)) or _REFUSALS.get(status, _REFUSALS[400])
    back_link = f'<p><a class="button" href="{escape(base + back)}">返回 Back</a></p>'
    said = f'<div class="error" role="alert"><p>{escape(plain)}</p><p><small>{escape(message)}</small></p></div>'
    return page("未完成 Not done", said + back_link, base)


def html_response(body: str, status: int = 200) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": HTML,
            "Cache-Control": "no-store",
            "Content-Security-Policy": CONSOLE_CSP,
            "X-Frame-Options": "DENY",
            # same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on its own form posts.
            "Referrer-Policy": "same-origin",
        },
    )


def redirect(request: Request, path: str, cookies: list[str] | None = None) -> Response:
    location = f"{stage_base(request)}{path}"
    headers: dict[str, str | list[str]] = {"Location": location, "Cache-Control": "no-store", "Content-Type": HTML}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body=f'<a href="{escape(location)}">{escape(location)}</a>', status_code=303, headers=headers)


# A refused field in plain words, by the kind of pydantic error (a rule of the service: the last one).
_FIELD_MESSAGES = {
    "missing": "请填写此项 Please fill this in.",
    "string_too_short": "请填写此项 Please fill this in.",
    "string_too_long": "内容太长，请删减 Too long: please shorten it.",
    "too_long": "条目太多，请删减 Too many lines: please shorten it.",
    "enum": "请从列表中选择 Please choose from the list.",
    "bool_parsing": "请从列表中选择 Please choose from the list.",
    "int_parsing": "请填写一个整数 Please enter a whole number.",
    "greater_than_equal": "数值太小 The number is too small.",
    "less_than_equal": "数值太大 The number is too large.",
    APPEAL_WITHOUT_EVIDENCE: "申诉须至少提供一项证据，每行一项 An appeal needs evidence, one item a line.",
}
CHECK_FIELD = "请检查此项 Please check this."
FORM_ERROR = "form"


def field_messages(exc: InvalidInput | ValidationError) -> dict[str, str]:
    """What a refused form says beside each field, in plain Chinese and English; a refusal of the form as
    a whole is under FORM_ERROR."""
    if isinstance(exc, ValidationError):
        found = [
            (str(error["loc"][0]) if error["loc"] else FORM_ERROR, _FIELD_MESSAGES.get(error["type"], CHECK_FIELD))
            for error in exc.errors(include_url=False)
        ]
    else:
        found = [(error.get("field") or FORM_ERROR, CHECK_FIELD) for error in exc.errors]
    messages: dict[str, str] = {}
    for field, message in found or [(FORM_ERROR, CHECK_FIELD)]:
        messages.setdefault(field, message)
    return messages


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
            except NotSignedIn as exc:
                logger.info("console session refused", extra={"reason": str(exc), "path": request.path})
                return redirect(request, LOGIN_PATH, [ended_session_cookie()])
            except (GovrateError, ValidationError) as exc:
                logger.info("console request refused", extra={"error": type(exc).__name__, "detail": str(exc)})
                status = problem_for(exc).status
                said = error_text(exc)
                if isinstance(exc, InvalidInput | ValidationError):
                    said = "; ".join(f"{field}: {message}" for field, message in field_messages(exc).items())
                text = message_page(said, stage_base(request), back(kwargs), status, reading=method == "GET")
                return html_response(text, status)

        accepted = content_types or ([FORM] if method == "POST" else ["application/json"])
        blueprint.route(path, methods=[method], name=name or view.__name__, content_types=accepted, doc=doc)(answered)
        return view

    return decorator


def case_path(evaluation_id: str) -> str:
    return f"{CASES_PATH}/{quote(evaluation_id)}"


def uploaded_form(request: Request, max_bytes: int) -> dict[str, bytes]:
    """The parts of a multipart/form-data form by field name (an HTML form with a file input)."""
    raw = raw_body(request)
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"at most {max_bytes // 1024} KiB per upload; split the file")
    content_type = request.headers.get("content-type", "")
    # The e-mail parser reads MIME multipart bodies; the HTTP policy keeps it strict about line ends.
    # Imported here: only the upload routes read multipart.
    from email.message import EmailMessage
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + raw)
    if not message.is_multipart():
        raise MalformedBody("a multipart/form-data form with the file is expected")
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") if isinstance(part, EmailMessage) else None
        content = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(content, bytes):
            parts.setdefault(name, content)
    return parts


def uploaded_file(parts: dict[str, bytes], field: str) -> bytes:
    """The content of the file that the form sent in `field`."""
    content = parts.get(field)
    if not content:
        raise InvalidInput("choose a file to upload", [{"field": field, "message": "no file was sent"}])
    return content
