"""The staff console's pages: small server-rendered HTML, no script, every value escaped.

Chinese first with English beside it; every code is shown by its name. Which forms a case page offers
follows the state machine: a form is shown only for a step the signed-in person's role may take from
the case's current state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from govrate.cases.kinds import CaseKind
from govrate.cases.machine import TRANSITIONS
from govrate.cases.model import (
    AGENCY_DETAILS,
    Action,
    AuditEntry,
    BoardOrder,
    BurstOutcome,
    Case,
    CaseBoard,
    CaseBoardQuery,
    CaseListItem,
    CaseView,
    Complaint,
    ContactChannel,
    Standing,
    Triage,
)
from govrate.evaluations.models import CaseState, Channel, HandlingRating, ReasonCode, Stage
from govrate.identity.model import Actor, Role
from govrate.identity.sessions import StaffSession
from govrate.kernel.scale import Level
from govrate.web import console, i18n

# --- every code by its name, Chinese then English ---------------------------------------------------

STATES: Mapping[CaseState, str] = {
    CaseState.RECEIVED: "已受理 received",
    CaseState.CONTACTED: "已回访 contacted",
    CaseState.VERIFIED: "已核实 verified",
    CaseState.TRIAGED: "已定性 triaged",
    CaseState.RECTIFIED: "已整改 rectified",
    CaseState.ANSWERED: "已答复 answered",
    CaseState.RATED: "已评价 rated",
    CaseState.CLOSED: "已办结 closed",
    CaseState.ESCALATED: "已提级 escalated",
}
TRIAGES: Mapping[Triage, str] = {
    Triage.FIX_NOW: "立行立改 fix at once",
    Triage.RECTIFY_BY_DEADLINE: "限期整改 rectify by a deadline",
    Triage.EXPLAIN: "解释说明 explain",
    Triage.APPEAL: "申诉复核 appeal",
}
KINDS: Mapping[CaseKind, str] = {
    CaseKind.BAD_REVIEW: "差评 bad review",
    CaseKind.BURST: "集中差评待定 burst of bad reviews awaiting a decision",
    CaseKind.PRESSURE_REPORT: "举报：被要求或催促评价 report: pressed to rate",
}
DECIDED_BURSTS: Mapping[BurstOutcome, str] = {
    BurstOutcome.GENUINE: "集中差评（已认定真实） burst of bad reviews judged genuine",
    BurstOutcome.FLOOD: "集中差评（已认定刷评） burst of bad reviews judged a flood",
}
BURST_OUTCOMES: Mapping[BurstOutcome, str] = {
    BurstOutcome.GENUINE: "认定真实，已逐条立案 judged genuine: a case each",
    BurstOutcome.FLOOD: "认定刷评，已标记 judged a flood: flagged, no case each",
}
# Where a pressure report was made from.
REPORT_PAGES: Mapping[str, str] = {
    "window_qr": "窗口二维码评价页 the window's QR rating page",
    "ticket": "办件评价页 a record's rating page",
    "web_module": "网上办事评价页 the online platform's rating page",
}
CONTACT_CHANNELS: Mapping[ContactChannel, str] = {
    ContactChannel.PHONE: "电话 phone",
    ContactChannel.SMS: "短信 SMS",
    ContactChannel.EMAIL: "电子邮件 e-mail",
    ContactChannel.VISIT: "上门 visit",
}
CHANNELS: Mapping[Channel, str] = {
    Channel.WINDOW_DEVICE: "窗口评价器 window device",
    Channel.WINDOW_QR: "窗口二维码 window QR code",
    Channel.WEB_MODULE: "网上办事平台 online platform",
    Channel.MOBILE_APP: "移动端 mobile",
    Channel.PAPER: "纸质评价表 paper form",
    Channel.HOTLINE: "12345热线 hotline",
    Channel.SUGGESTION_BOX: "意见箱 suggestion box",
    Channel.EMAIL: "电子邮件 e-mail",
    Channel.SUPERVISION_PLATFORM: "监督平台 supervision platform",
    Channel.SURVEY: "问卷调查 survey",
    Channel.PLATFORM_API: "地方平台 regional platform",
    Channel.SYSTEM: "系统默认 system default",
}
ACTIONS: Mapping[Action, str] = {
    Action.OPEN: "立案 opened",
    Action.CONTACT: "回访 return visit",
    Action.VERIFY: "核实 verification",
    Action.TRIAGE: "分类处置 triage",
    Action.RECTIFY: "整改 rectification",
    Action.ANSWER: "答复 answer",
    Action.UPHOLD_APPEAL: "支持申诉 appeal upheld",
    Action.REJECT_APPEAL: "驳回申诉 appeal rejected",
    Action.RATE: "评价处理结果 handling rated",
    Action.CLOSE: "办结 closed",
    Action.REOPEN: "重新办理 reopened",
    Action.ESCALATE: "提级督办 escalated",
    Action.ESCALATE_OVERDUE: "超期提级 escalated: overdue",
    Action.RESUME: "恢复办理 resumed",
    Action.REASSIGN: "改派 reassigned",
    Action.VIEW_CONTACT: "查看联系方式 contact viewed",
    Action.RELEASE_BURST: "认定真实，逐条立案 burst judged genuine: a case each",
    Action.DISMISS_FLOOD: "认定刷评 burst judged a flood",
    Action.CONCLUDE: "核查结论 report concluded",
}
ORDERS: Mapping[BoardOrder, str] = {
    BoardOrder.URGENCY: "紧急程度 most urgent first",
    BoardOrder.DEADLINE: "期限 deadline",
    BoardOrder.LEVEL: "等级 level",
    BoardOrder.ITEM: "事项 service item",
    BoardOrder.OPENED: "立案时间，新的在前 newest first",
}
ESCALATED_FOR: Mapping[Action, str] = {
    Action.ESCALATE: "评价人对处理结果不满意 the evaluator was dissatisfied with the handling",
    Action.ESCALATE_OVERDUE: "超过办理期限 past the deadline",
}
ROLES: Mapping[Role, str] = {
    Role.STAFF: "工作人员 staff",
    Role.SUPERVISOR: "督办人员 supervisor",
    Role.EVALUATOR: "评价人 evaluator",
    Role.SYSTEM: "系统 system",
}
# Who acted, when it was not a person with a name: the system's functions and the evaluator.
ACTORS: Mapping[str, str] = {
    "system:verify": "系统：自动立案 system: case intake",
    "system:sweep": "系统：期限检查 system: deadline check",
    "evaluator": "评价人 the evaluator",
}
INDICATORS: Mapping[str, str] = {
    "overall": "总体 overall",
    "efficiency": "办事效率 efficiency",
    "guide_accuracy": "办事指南准确性 guide accuracy",
    "convenience": "便利程度 convenience",
    "platform_usability": "平台易用性 platform usability",
    "service_level": "服务水平 service level",
    "attitude": "服务态度 attitude",
}
# What an audit entry's detail fields are called.
DETAILS: Mapping[str, str] = {
    "reached": "联系上 reached",
    "channel": "方式 channel",
    "note": "备注 note",
    "substantiated": "属实 substantiated",
    "finding": "核实情况 finding",
    "outcome": "处置方式 outcome",
    "evidence": "申诉证据 evidence",
    "summary": "整改内容 rectified",
    "message": "答复 message",
    "on_time": "按期 on time",
    "reason": "理由 reason",
    "rating": "处理评价 rating",
    "comment": "意见 comment",
    "asked": "评价人要求 asked by the evaluator",
    "due_at": "期限 deadline",
    "verify_due_at": "核实期限 verify by",
    "answer_due_at": "答复期限 answer by",
    "from_agency": "原部门 from",
    "to_agency": "新部门 to",
    "from_region": "原区划 from region",
    "to_region": "新区划 to region",
    "upheld": "支持申诉 upheld",
    "subject": "计数对象 counted against",
    "threshold": "阈值 threshold",
    "bad_reviews": "差评条数 bad reviews",
    "released_from_burst": "来自集中差评 released from the burst",
    "page": "举报页面 reported from",
}


def _named(labels: Mapping[Any, str], value: StrEnum | str | None) -> str:
    if value is None:
        return "—"
    return escape(labels.get(value, str(value)))


def _level(level: Level | None) -> str:
    return escape(f"{int(level)} {level.label_zh} {level.label_en}") if level is not None else "—"


def _reason(reason: ReasonCode) -> str:
    zh, en = i18n.REASONS[reason]
    return escape(f"{zh} {en}")


def _handling_rating(rating: HandlingRating | None) -> str:
    if rating is None:
        return "—"
    zh, en = i18n.HANDLING[rating]
    return escape(f"{zh} {en}")


def _stage(stage: Stage) -> str:
    zh, en = i18n.STAGES[stage]
    return escape(f"{zh} {en}")


def _time(moment: datetime | None) -> str:
    """A moment in the service's zone as people read it."""
    return escape(moment.strftime("%Y-%m-%d %H:%M")) if moment else "—"


def _day(day: date | None) -> str:
    return escape(day.isoformat()) if day else "—"


def _deadline(moment: datetime) -> str:
    """A deadline by its last day: one at local midnight is the end of the day before."""
    last_day = (moment - timedelta(microseconds=1)).date()
    return f"{_day(last_day)} 当日结束前 by the end of the day"


def _standing(standing: Standing, state: CaseState) -> str:
    """The pending deadline: its last day, and how much time is left or how late it is; or who the case
    waits on."""
    if state is CaseState.CLOSED:
        return '<span class="tag">已办结 closed</span>'
    if standing.last_day is None:
        waiting = (
            "等待评价人评价处理结果 waiting for the evaluator's rating"
            if state in (CaseState.ANSWERED, CaseState.RATED)
            else "等待督办人员 waiting on a supervisor"
        )
        return f'<span class="tag">{waiting}</span>'
    day = f'<time datetime="{_day(standing.last_day)}">{_day(standing.last_day)}</time>'
    if standing.overdue_days:
        days = standing.overdue_days
        tag = f'<span class="tag overdue">已逾期 {days} 天 · overdue by {days} day{"s" if days > 1 else ""}</span>'
    elif standing.due_today:
        tag = '<span class="tag today">今日到期 · due today</span>'
    else:
        left = standing.working_days_left or 0
        tag = f'<span class="tag">剩 {left} 个工作日 · {left} working day{"s" if left > 1 else ""} left</span>'
    return f'{tag} <span class="due">截止 due {day}</span>'


# --- the pages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """A field of a step's form; `options` for a select (value, label), or radio buttons when `radios`."""

    name: str
    label: str
    widget: str = "textarea"  # textarea, input, number, select or radios
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True
    max_length: int = 2000
    default: str = ""


YES_NO = (("true", "是 yes"), ("false", "否 no"))
# The reassignment's choice of agency: the agencies of the supervisor's division, given with the page.
AGENCY_FIELD = "agency_code"

# The console path of each step and the form that records it (one field list per step).
_FORMS: Mapping[str, tuple[str, tuple[Action, ...], tuple[_Field, ...]]] = {
    "contact": (
        "回访 Return visit",
        (Action.CONTACT,),
        (
            _Field("reached", "联系上 Reached", "select", YES_NO),
            _Field(
                "channel",
                "方式 Channel",
                "select",
                tuple((channel.value, label) for channel, label in CONTACT_CHANNELS.items()),
            ),
            _Field("note", "备注 Note", "input", required=False, max_length=500),
        ),
    ),
    "verification": (
        "核实 Verification",
        (Action.VERIFY,),
        (_Field("substantiated", "属实 Substantiated", "select", YES_NO), _Field("finding", "核实情况 Finding")),
    ),
    "triage": (
        "分类处置 Triage",
        (Action.TRIAGE,),
        (
            _Field("outcome", "处置方式 Outcome", "select", tuple((t.value, label) for t, label in TRIAGES.items())),
            _Field("note", "说明 Note"),
            _Field(
                "evidence",
                "申诉证据，每行一项 Evidence for an appeal, one item a line",
                required=False,
                max_length=10500,
            ),
        ),
    ),
    "rectification": (
        "整改 Rectification",
        (Action.RECTIFY,),
        (_Field("summary", "整改内容 What was rectified"),),
    ),
    "answer": (
        "答复评价人 Answer the evaluator",
        (Action.ANSWER,),
        (_Field("message", "答复内容 Message"),),
    ),
    "appeal-decision": (
        "申诉复核 Appeal decision",
        (Action.UPHOLD_APPEAL, Action.REJECT_APPEAL),
        (
            _Field(
                "upheld",
                "决定 Decision",
                "select",
                (
                    ("false", "驳回申诉 reject the appeal"),
                    ("true", "支持申诉，不计入统计 uphold: exclude from the rates"),
                ),
            ),
            _Field("reason", "理由 Reason"),
        ),
    ),
    "reassignment": (
        "改派 Reassign",
        (Action.REASSIGN,),
        (_Field(AGENCY_FIELD, "改派至部门 To the agency", "select"), _Field("reason", "理由 Reason")),
    ),
    "resumption": (
        "恢复处理，重设期限 Resume with a new deadline",
        (Action.RESUME,),
        (
            _Field("working_days", "工作日 Working days", "number", default="5"),
            _Field("reason", "理由 Reason"),
        ),
    ),
    "burst-decision": (
        "集中差评处置 Decide the burst",
        (Action.RELEASE_BURST, Action.DISMISS_FLOOD),
        (
            _Field(
                "genuine",
                "决定 Decision",
                "radios",
                (
                    (
                        "true",
                        "真实评价，逐条立案（期限自现在起算） genuine — open a case for each (deadlines from now)",
                    ),
                    ("false", "恶意刷评，保留为标记评价，不逐条立案 flood — keep as flagged evaluations, no case each"),
                ),
            ),
            _Field("reason", "理由 Reason"),
        ),
    ),
    "conclusion": (
        "核查结论 Conclude the report",
        (Action.CONCLUDE,),
        (_Field("finding", "核查情况 Finding"),),
    ),
}


@dataclass(frozen=True)
class FormAgain:
    """A step's form sent back: what was typed, and a plain message beside each field it refused."""

    step: str
    values: Mapping[str, str]
    errors: Mapping[str, str]


def _field(step: str, field: _Field, again: FormAgain | None, options: tuple[tuple[str, str], ...]) -> str:
    value = again.values.get(field.name, field.default) if again else field.default
    error = again.errors.get(field.name) if again else None
    error_id = f"{step}-{field.name}-error"
    invalid = f' aria-invalid="true" aria-describedby="{error_id}"' if error else ""
    said = f'<p class="field-error" id="{error_id}">{escape(error)}</p>' if error else ""
    required = " required" if field.required else ""
    name = f'name="{field.name}"'
    if field.widget == "radios":
        choices = "".join(
            f'<label class="choice"><input type="radio" {name} value="{escape(option)}"{required}{invalid}'
            f"{' checked' if option == value else ''}><span>{escape(label)}</span></label>"
            for option, label in options
        )
        return f'<fieldset class="choices"><legend>{escape(field.label)}</legend>{said}{choices}</fieldset>'
    if field.widget == "select":
        # No answer is chosen for the user: an empty first option lets `required` (and the service) refuse a
        # form sent without a choice.
        chosen = f'<option value=""{"" if value else " selected"}>请选择 Please choose</option>' + "".join(
            f'<option value="{escape(option)}"{" selected" if option == value else ""}>{escape(label)}</option>'
            for option, label in options
        )
        control = f"<select {name}{required}{invalid}>{chosen}</select>"
    elif field.widget == "number":
        control = f'<input {name} type="number" min="1" max="30" value="{escape(value)}"{required}{invalid}>'
    elif field.widget == "input":
        control = f'<input {name} maxlength="{field.max_length}" value="{escape(value)}"{required}{invalid}>'
    else:
        control = f'<textarea {name} maxlength="{field.max_length}"{required}{invalid}>{escape(value)}</textarea>'
    return f"<label>{escape(field.label)} {control}</label>{said}"


def login_page(base: str, login_token: str, error: str | None = None) -> str:
    form = (
        f'<form class="card" method="post" action="{escape(base)}/console/login">{console.token_field(login_token)}'
        '<label>用户名 User name <input name="username" autocomplete="username" required></label>'
        '<label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label>'
        "<button>登录 Sign in</button></form>"
    )
    return console.page("好差评 案件处理 Govrate case console", console.error_html(error) + form, base)


def list_page(signed_in: StaffSession, board: CaseBoard, query: CaseBoardQuery, base: str) -> str:
    supervisor = signed_in.actor.role is Role.SUPERVISOR
    items = "".join(_list_entry(item, base) for item in board.items)
    listed = (
        f'<ol class="cases">{items}</ol>'
        if items
        else '<p class="card">没有符合条件的待办案件 No open cases match.</p>'
    )
    counted = (
        f'<p class="count" role="status">共 {board.total} 件，第 {board.page}/{board.pages} 页 '
        f"{board.total} case{'s' if board.total != 1 else ''}, page {board.page} of {board.pages}"
        + (" · 仅列出最近期限的 500 件 only the 500 nearest deadlines are listed" if board.incomplete else "")
        + "</p>"
    )
    order = (
        "排序：已提级在前，其次已逾期、今日到期，再按期限 Escalated first, then overdue, due today, then by deadline."
        if supervisor
        else "排序：已逾期、今日到期在前，再按期限 Overdue and due today first, then by deadline."
    )
    body = (
        _filters(board, query, base)
        + counted
        + (f'<p class="hint">{escape(order)}</p>' if query.sort is BoardOrder.URGENCY else "")
        + listed
        + _pager(board, query, base)
    )
    return console.page("待办案件 Open cases", body, base, signed_in)


def _filters(board: CaseBoard, query: CaseBoardQuery, base: str) -> str:
    def options(choices: Iterable[tuple[str, str]], chosen: str | None, *, any_of_them: bool = True) -> str:
        first = '<option value="">全部 all</option>' if any_of_them else ""
        return first + "".join(
            f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>{escape(label)}</option>'
            for value, label in choices
        )

    orders = [(order.value, label) for order, label in ORDERS.items()]
    states = [(state.value, label) for state, label in STATES.items() if state is not CaseState.CLOSED]
    levels = [(str(int(level)), f"{int(level)} {level.label_zh} {level.label_en}") for level in Level if level <= 2]
    chosen_level = str(int(query.level)) if query.level is not None else None
    return (
        f'<form class="filters card" method="get" action="{escape(base)}{console.CASES_PATH}">'
        f'<label>状态 State <select name="state">{options(states, query.state)}</select></label>'
        f'<label>等级 Level <select name="level">{options(levels, chosen_level)}</select></label>'
        f'<label>事项 Service item <select name="item">{options(board.items_to_filter, query.item)}</select></label>'
        f'<label>排序 Order <select name="sort">{options(orders, query.sort, any_of_them=False)}</select></label>'
        f'<label>搜索 Search <input name="q" type="search" value="{escape(query.q or "")}" '
        'placeholder="案件编号、事项、部门、窗口 case number, item, agency, window"></label>'
        "<button>筛选 Filter</button></form>"
    )


def _pager(board: CaseBoard, query: CaseBoardQuery, base: str) -> str:
    def link(page: int, label: str) -> str:
        kept = {**query.model_dump(mode="json", exclude_none=True, exclude_defaults=True), "page": page}
        return f'<a class="button" href="{escape(base)}{console.CASES_PATH}?{escape(urlencode(kept))}">{label}</a>'

    links = []
    if board.page > 1:
        links.append(link(board.page - 1, "← 上一页 Previous"))
    if board.page < board.pages:
        links.append(link(board.page + 1, "下一页 Next →"))
    return f'<nav class="pager" aria-label="分页 Pages">{"".join(links)}</nav>' if links else ""


def _list_entry(item: CaseListItem, base: str) -> str:
    urgent = " overdue" if item.overdue else (" today" if item.standing.due_today else "")
    escalated = (
        f'<p class="escalated">已提级 Escalated: {_named(ESCALATED_FOR, item.escalated_for)}</p>'
        if item.state is CaseState.ESCALATED
        else ""
    )
    item_name = escape(item.item_name_zh or item.item_code or "—")
    state = (
        _named(STATES, item.state)
        + (f" · {_named(TRIAGES, item.triage)}" if item.triage else "")
        + _reopened(item.reopen_count)
    )
    agency = escape(item.agency_name_zh or item.agency_code)
    window = [f"窗口 Window {_by_name(item.window_name_zh, item.window_id)}"] if item.window_id else []
    if item.kind is CaseKind.BAD_REVIEW:
        kind, title, facts = "", item_name, [_level(item.level), state, agency, *window]
    else:
        # A supervision case is named by its kind; what it is about follows.
        named_item = [item_name] if item.item_code else []
        kind, title, facts = " supervision", _named(KINDS, item.kind), [state, agency, *window, *named_item]
    return (
        f'<li class="case{kind}{urgent}"><a href="{escape(base)}{console.case_path(item.evaluation_id)}">'
        f'<span class="item">{title}</span>'
        f'<span class="id">{escape(item.evaluation_id)}</span></a>'
        f'<p class="facts">{"".join(f"<span>{fact}</span>" for fact in facts)}</p>'
        f'<p class="standing">{_standing(item.standing, item.state)}</p>{escalated}</li>'
    )


def case_page(
    signed_in: StaffSession,
    view: CaseView,
    base: str,
    *,
    agencies: Iterable[tuple[str, str]] = (),
    again: FormAgain | None = None,
) -> str:
    """One case; `agencies` (code, name) are those a supervisor may reassign it to; `again`, a step's form
    sent back with what was typed and why it was refused."""
    case = view.case
    action = f"{base}/console/cases/{quote(case.evaluation_id)}"
    body = (
        f'<p><a class="back" href="{escape(base)}{console.CASES_PATH}">← 待办案件 Open cases</a></p>'
        + (_complaint(view.complaint, case, view.window_name_zh) if view.complaint else "")
        + _report(view)
        + _burst(view, base)
        + _handling(view)
        + (
            '<section class="card" aria-labelledby="evaluator"><h2 id="evaluator">评价人 Evaluator</h2>'
            + _contact(signed_in, view, action)
            + "</section>"
            if case.kind is CaseKind.BAD_REVIEW
            else ""
        )
        + '<section aria-labelledby="next"><h2 id="next">下一步 Next steps</h2>'
        + (
            _forms(signed_in, case, action, agencies, again)
            or '<p class="card">当前无需您处理 Nothing for you to do now.</p>'
        )
        + "</section>"
        + '<section class="card" aria-labelledby="history"><h2 id="history">处理记录 History</h2>'
        + _chain(view)
        + _history(view.history, view.history_agency_names)
        + "</section>"
    )
    return console.page(f"案件 Case {case.evaluation_id}", body, base, signed_in)


def _complaint(complaint: Complaint, case: Case, window_name_zh: str | None) -> str:
    """What the evaluator said, at the top of the case."""
    rows = [
        ("等级 Level", f'<strong class="level">{_level(complaint.level)}</strong>'),
        (
            "原因 Reasons",
            '<ul class="reasons">' + "".join(f"<li>{_reason(r)}</li>" for r in complaint.reason_codes) + "</ul>"
            if complaint.reason_codes
            else "—",
        ),
        ("意见 Comment", f'<p class="said">{escape(complaint.comment)}</p>' if complaint.comment else "—"),
        ("事项 Service item", _item(complaint.item_name_zh, complaint.item_name_en, case.item_code)),
        ("部门 Agency", _agency(complaint.agency_name_zh, case.agency_code)),
        ("渠道 · 环节 Channel · stage", f"{_named(CHANNELS, complaint.channel)} · {_stage(complaint.stage)}"),
        ("评价时间 Reviewed at", _time(complaint.created_at)),
    ]
    if complaint.window_id:
        rows.append(("窗口 Window", _by_name(window_name_zh, complaint.window_id)))
    if complaint.indicators:
        rows.append(
            (
                "分项评价 Indicators",
                '<ul class="reasons">'
                + "".join(
                    f"<li>{_named(INDICATORS, name)}: {_level(level)}</li>"
                    for name, level in complaint.indicators.items()
                )
                + "</ul>",
            )
        )
    if complaint.follow_up:
        follow = complaint.follow_up
        level = f" ({_level(follow.level)})" if follow.level else ""
        rows.append(
            (
                "追评 Follow-up",
                f'<p class="said">{escape(follow.comment)}</p><small>{_time(follow.created_at)}{level}</small>',
            )
        )
    return (
        '<section class="card complaint" aria-labelledby="complaint"><h2 id="complaint">评价内容 The complaint</h2>'
        + (_facts(rows) + "</section>")
    )


def _item(name_zh: str | None, name_en: str | None, code: str | None) -> str:
    if not name_zh:
        return escape(code or "—")
    return f'{escape(name_zh)} {escape(name_en or "")} <span class="code">{escape(code or "")}</span>'


def _by_name(name_zh: str | None, code: str | None) -> str:
    """A window or an agency by its name (the registry's, the catalogue's), its code beside (small)."""
    if code is None:
        return "—"
    if not name_zh:
        return escape(code)
    return f'{escape(name_zh)} <span class="code">{escape(code)}</span>'


def _reopened(count: int) -> str:
    """The mark of a case the evaluator's dissatisfaction sent back, and how often."""
    if not count:
        return ""
    times = "once" if count == 1 else f"{count} times"
    return f' <span class="tag reopened">重新办理 {count} 次 · reopened {times}</span>'


def _agency(name_zh: str | None, code: str) -> str:
    return f'{escape(name_zh or "")} <span class="code">{escape(code)}</span>'


def _report(view: CaseView) -> str:
    """A report of being pressed to rate, at the top of its case: what it is against and what was said."""
    case = view.case
    if case.kind is not CaseKind.PRESSURE_REPORT:
        return ""
    opened = next((entry for entry in view.history if entry.action is Action.OPEN), None)
    page = opened.detail.get("page") if opened else None
    rows = [
        ("类别 Kind", f"<strong>{_named(KINDS, case.kind)}</strong>"),
        ("窗口 Window", _by_name(view.window_name_zh, case.window_id)),
        ("部门 Agency", _agency(view.agency_name_zh, case.agency_code)),
        ("事项 Service item", _item(view.item_name_zh, view.item_name_en, case.item_code)),
        ("举报人留言 The citizen's comment", f'<p class="said">{escape(case.note)}</p>' if case.note else "—"),
        ("举报页面 Reported from", _named(REPORT_PAGES, page if isinstance(page, str) else None)),
        ("举报时间 Reported at", _time(case.opened_at)),
        ("举报人 Reporter", "匿名，无个人信息 anonymous: no personal data"),
    ]
    return (
        '<section class="card complaint supervision" aria-labelledby="report"><h2 id="report">举报内容 The report</h2>'
        + _facts(rows)
        + "<p><small>仅本区划督办人员可见，窗口工作人员不知举报人 Seen by the region's supervisors only; "
        "the window's staff are not told who reported.</small></p></section>"
    )


def _burst(view: CaseView, base: str) -> str:
    """A burst at the top of its case: what it counts against and its held bad reviews, each linked to its
    case once the burst is judged genuine."""
    case = view.case
    if case.kind is not CaseKind.BURST:
        return ""
    held = len(view.burst)
    rows = [
        ("类别 Kind", f"<strong>{_burst_kind(case.burst_outcome)}</strong>"),
        ("窗口 Window", _by_name(view.window_name_zh, case.window_id)),
        ("部门 Agency", _agency(view.agency_name_zh, case.agency_code)),
        ("事项 Service item", _item(view.item_name_zh, view.item_name_en, case.item_code)),
        ("首条差评 First held review given", _time(case.evaluated_at)),
    ]
    reviews = "".join(
        f"<li>{_review_link(review.evaluation_id, case.burst_outcome, base)}"
        f'<p class="facts"><span><time>{_time(review.created_at)}</time></span><span>{_level(review.level)}</span>'
        f"<span>{_item(review.item_name_zh, review.item_name_en, review.item_code)}</span></p></li>"
        for review in view.burst
    )
    return (
        '<section class="card complaint supervision" aria-labelledby="burst"><h2 id="burst">集中差评 The burst</h2>'
        + _facts(rows)
        + "<p><small>每条评价均保留并计入统计；认定真实则逐条立案，认定刷评则标记保留 Every review is kept and "
        "counts in the rates; judged genuine, each gets its own case; judged a flood, they stay flagged.</small></p>"
        + f"<h3>暂缓的差评 {held} 条 The {held} held bad review{'s' if held != 1 else ''}</h3>"
        + f'<ol class="held">{reviews}</ol></section>'
    )


def _burst_kind(outcome: BurstOutcome | None) -> str:
    """A burst is labelled by its outcome once decided."""
    return _named(DECIDED_BURSTS, outcome) if outcome else _named(KINDS, CaseKind.BURST)


def _review_link(evaluation_id: str, outcome: BurstOutcome | None, base: str) -> str:
    if outcome is not BurstOutcome.GENUINE:
        return f'<span class="code">{escape(evaluation_id)}</span>'
    return f'<a class="code" href="{escape(base)}{console.case_path(evaluation_id)}">{escape(evaluation_id)}</a>'


def _handling(view: CaseView) -> str:
    case = view.case
    bad_review = case.kind is CaseKind.BAD_REVIEW
    state = (
        _named(STATES, case.state)
        + (f" · {_named(TRIAGES, case.triage)}" if case.triage else "")
        + (f" · {_named(BURST_OUTCOMES, case.burst_outcome)}" if case.burst_outcome else "")
        + _reopened(case.reopen_count)
    )
    rows = [("状态 State", state), ("当前期限 Deadline now", _standing(view.standing, case.state))]
    if bad_review:
        rows += [
            ("核实期限 Verify by", _deadline(case.verify_due_at)),
            ("答复期限 Answer by", _deadline(case.answer_due_at)),
        ]
    if case.state is CaseState.ESCALATED:
        rows.append(("提级原因 Escalated because", _named(ESCALATED_FOR, case.escalated_for)))
    rows.append(("立案 Opened", _time(case.opened_at)))
    if bad_review:
        rows += [
            ("答复 Answer", escape(case.answer or "—")),
            ("处理评价 Handling rating", _handling_rating(case.handling_rating)),
            ("重新办理次数 Reopened", str(case.reopen_count)),
            ("不计入统计 Excluded from rates", "是 yes" if case.excluded_from_rates else "否 no"),
        ]
    return '<section class="card" aria-labelledby="handling"><h2 id="handling">办理情况 Handling</h2>' + (
        _facts(rows) + "</section>"
    )


def _facts(rows: Iterable[tuple[str, str]]) -> str:
    """Label and value pairs; the values are HTML made by the caller, every text in them escaped."""
    return (
        '<dl class="facts">' + "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in rows) + "</dl>"
    )


def _contact(signed_in: StaffSession, view: CaseView, action: str) -> str:
    contact = view.contact
    if not view.case.real_name:
        return "<p>匿名评价，无联系方式 Anonymous evaluation: no contact.</p>"
    if contact is None:
        return (
            f'<form method="post" action="{escape(action)}/evaluator-contact">'
            f"{console.token_field(signed_in.form_token)}"
            "<button>显示联系方式 Show the contact</button></form>"
            "<p><small>查看将记入审计链 Each view of the contact is recorded in the audit trail.</small></p>"
        )
    shown = [
        (label, escape(value))
        for label, value in (("姓名 Name", contact.name), ("电话 Phone", contact.phone), ("邮箱 E-mail", contact.email))
        if value
    ]
    return (
        _facts(shown)
        + "<p><small>本次查看已记入审计链 This view of the contact is recorded in the audit trail.</small></p>"
    )


def _forms(
    signed_in: StaffSession, case: Case, action: str, agencies: Iterable[tuple[str, str]], again: FormAgain | None
) -> str:
    agency_options = tuple((code, name) for code, name in agencies if code != case.agency_code)

    def form(step: str, title: str, fields: tuple[_Field, ...]) -> str:
        mine = again if again is not None and again.step == step else None
        alert = ""
        if mine is not None:
            whole = mine.errors.get(console.FORM_ERROR)
            alert = (
                '<p class="error" role="alert">请按提示修改后再提交 Please correct what is marked and send it again.'
                + (f" {escape(whole)}" if whole else "")
                + "</p>"
            )
        controls = "".join(
            _field(step, field, mine, agency_options if field.name == AGENCY_FIELD else field.options)
            for field in fields
        )
        return (
            f'<form class="step card" id="step-{step}" method="post" action="{escape(action)}/{step}">'
            f"<h3>{escape(title)}</h3>{alert}{console.token_field(signed_in.form_token)}{controls}"
            "<button>记录 Record</button></form>"
        )

    return "".join(
        form(step, title, fields)
        for step, (title, actions, fields) in _FORMS.items()
        if _may(signed_in.actor, case, actions)
    )


def _may(actor: Actor, case: Case, actions: Iterable[Action]) -> bool:
    return any(actor.role in TRANSITIONS[a].roles and TRANSITIONS[a].allows(case) for a in actions)


def _chain(view: CaseView) -> str:
    if view.chain.intact:
        count = view.chain.entries
        entries = f"{count} entr{'ies' if count != 1 else 'y'}"
        return f'<p class="ok">审计链完整，共 {count} 条记录 Audit chain intact ({entries}).</p>'
    problems = "; ".join(f"#{p.seq} {p.kind}: {p.message}" for p in view.chain.problems)
    return f'<p class="error">审计链受损 Audit chain damaged: {escape(problems)}</p>'


def _history(entries: list[AuditEntry], agency_names: Mapping[str, str]) -> str:
    return (
        '<ol class="history">'
        + "".join(
            f'<li><p><span class="seq">#{entry.seq}</span> <time>{_time(entry.at)}</time> '
            f"<strong>{_named(ACTIONS, entry.action)}</strong></p>"
            f"<p>{_actor(entry.actor)} · "
            f"{_named(STATES, entry.from_state) if entry.from_state else '—'} → {_named(STATES, entry.to_state)}</p>"
            f"{_detail(entry, agency_names)}</li>"
            for entry in entries
        )
        + "</ol>"
    )


def _actor(actor: Actor) -> str:
    """A person by name and role; the system and the evaluator by what they are."""
    if actor.name:
        return f"{escape(actor.name)} · {_named(ROLES, actor.role)}"
    return escape(ACTORS.get(actor.subject) or ROLES.get(actor.role, actor.subject))


def _detail(entry: AuditEntry, agency_names: Mapping[str, str]) -> str:
    shown = [
        (DETAILS.get(key, key), _detail_value(key, value, agency_names)) for key, value in sorted(entry.detail.items())
    ]
    kept = [(label, value) for label, value in shown if value]
    return _facts(kept) if kept else ""


# Detail fields whose values are codes, with the names they are shown by.
_CODED_DETAILS: Mapping[str, Mapping[Any, str]] = {
    "channel": {**CHANNELS, **CONTACT_CHANNELS},
    "outcome": TRIAGES,
    "page": REPORT_PAGES,
    "rating": {rating: f"{zh} {en}" for rating, (zh, en) in i18n.HANDLING.items()},
}


def _detail_value(key: str, value: object, agency_names: Mapping[str, str]) -> str:
    if value is None or value in ("", []):
        return ""
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, list):
        return "<br>".join(escape(str(part)) for part in value)
    return _text_detail(key, str(value), agency_names)


def _text_detail(key: str, text: str, agency_names: Mapping[str, str]) -> str:
    if key.endswith("due_at"):
        return _deadline(datetime.fromisoformat(text))
    if key == "subject":
        return _burst_subject(text)
    if key in AGENCY_DETAILS:
        return _by_name(agency_names.get(text), text)
    return _named(_CODED_DETAILS.get(key, {}), text)


def _burst_subject(subject: str) -> str:
    """What a burst counts against, from its key: `window#<window>` or `item#<agency>#<item>`."""
    counted, _, rest = subject.partition("#")
    if counted == "window":
        return f"窗口 Window {escape(rest)}"
    agency, _, item = rest.partition("#")
    return f"部门 Agency {escape(agency)} · 事项 Service item {escape(item)}"
