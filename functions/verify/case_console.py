"""The staff console's pages: small server-rendered HTML, no script, every value escaped.

Which forms a case page offers follows the state machine: a form is shown only for a step the
signed-in person's role may take from the case's current state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape
from urllib.parse import quote

from govrate.cases.machine import TRANSITIONS
from govrate.cases.model import (
    Action,
    AuditEntry,
    BurstOutcome,
    Case,
    CaseKind,
    CaseListItem,
    CasePage,
    CaseView,
    ContactChannel,
    Triage,
)
from govrate.evaluations.models import CaseState
from govrate.identity.model import Actor
from govrate.identity.sessions import StaffSession
from govrate.kernel.scale import Level
from govrate.web import console

# The console path of each step and the form that records it (one field list per step).
_FORMS: Mapping[str, tuple[str, tuple[Action, ...], str]] = {
    "contact": (
        "回访 Return visit",
        (Action.CONTACT,),
        '<label>联系上 Reached <select name="reached"><option value="true">是 yes</option>'
        '<option value="false">否 no</option></select></label>'
        '<label>方式 Channel <select name="channel">'
        + "".join(f'<option value="{c.value}">{c.value}</option>' for c in ContactChannel)
        + "</select></label>"
        '<label>备注 Note <input name="note" maxlength="500"></label>',
    ),
    "verification": (
        "核实 Verification",
        (Action.VERIFY,),
        '<label>属实 Substantiated <select name="substantiated"><option value="true">是 yes</option>'
        '<option value="false">否 no</option></select></label>'
        '<label>核实情况 Finding <textarea name="finding" required maxlength="2000"></textarea></label>',
    ),
    "triage": (
        "分类处置 Triage",
        (Action.TRIAGE,),
        '<label>处置方式 Outcome <select name="outcome">'
        + "".join(f'<option value="{t.value}">{t.value}</option>' for t in Triage)
        + "</select></label>"
        '<label>说明 Note <textarea name="note" required maxlength="2000"></textarea></label>'
        "<label>申诉证据，每行一项 Evidence for an appeal, one item a line "
        '<textarea name="evidence"></textarea></label>',
    ),
    "rectification": (
        "整改 Rectification",
        (Action.RECTIFY,),
        '<label>整改内容 What was rectified <textarea name="summary" required maxlength="2000"></textarea></label>',
    ),
    "answer": (
        "答复评价人 Answer the evaluator",
        (Action.ANSWER,),
        '<label>答复内容 Message <textarea name="message" required maxlength="2000"></textarea></label>',
    ),
    "appeal-decision": (
        "申诉复核 Appeal decision",
        (Action.UPHOLD_APPEAL, Action.REJECT_APPEAL),
        '<label>决定 Decision <select name="upheld"><option value="false">驳回申诉 reject the appeal</option>'
        '<option value="true">支持申诉，不计入统计 uphold: exclude from the rates</option></select></label>'
        '<label>Reason <textarea name="reason" required maxlength="2000"></textarea></label>',
    ),
    "reassignment": (
        "改派 Reassign",
        (Action.REASSIGN,),
        '<label>部门代码 Agency code <input name="agency_code" required maxlength="64"></label>'
        '<label>Reason <textarea name="reason" required maxlength="2000"></textarea></label>',
    ),
    "resumption": (
        "恢复处理，重设期限 Resume with a new deadline",
        (Action.RESUME,),
        '<label>工作日 Working days <input name="working_days" type="number" min="1" max="30" value="5"></label>'
        '<label>Reason <textarea name="reason" required maxlength="2000"></textarea></label>',
    ),
    "burst-decision": (
        "集中差评处置 Decide the burst",
        (Action.RELEASE_BURST, Action.DISMISS_FLOOD),
        '<label>决定 Decision <select name="genuine">'
        '<option value="true">真实评价，逐条立案（期限自现在起算） '
        "genuine — open a case for each (deadlines from now)</option>"
        '<option value="false">恶意刷评，保留为标记评价，不逐条立案 '
        "flood — keep as flagged evaluations, no case each</option>"
        "</select></label>"
        '<label>理由 Reason <textarea name="reason" required maxlength="2000"></textarea></label>',
    ),
    "conclusion": (
        "核查结论 Conclude the report",
        (Action.CONCLUDE,),
        '<label>核查情况 Finding <textarea name="finding" required maxlength="2000"></textarea></label>',
    ),
}

# How the list and the case page name each kind of case.
_KINDS = {
    CaseKind.BAD_REVIEW: "差评 Bad review",
    CaseKind.BURST: "集中差评待定 Burst of bad reviews: awaiting a decision",
    CaseKind.PRESSURE_REPORT: "举报：被要求或催促评价 Report: pressed to rate",
}


# Each state in both of the console's languages.
_STATES = {
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


def _time(moment: datetime | None) -> str:
    """A moment in the service's zone as people read it (a deadline at 00:00 is the end of the day before)."""
    return escape(moment.strftime("%Y-%m-%d %H:%M")) if moment else "—"


def _state(state: CaseState) -> str:
    return escape(_STATES[state])


def _level(level: Level | None) -> str:
    return str(int(level)) if level is not None else "—"


def _kind(kind: CaseKind) -> str:
    """A label for the supervision cases; bad reviews, the usual kind, go unlabelled."""
    return "" if kind is CaseKind.BAD_REVIEW else f'<strong class="kind">{escape(_KINDS[kind])}</strong><br>'


def login_page(base: str, login_token: str, error: str | None = None) -> str:
    form = (
        f'<form method="post" action="{escape(base)}/console/login">{console.token_field(login_token)}'
        '<label>用户名 User name <input name="username" autocomplete="username" required></label>'
        '<label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label>'
        "<button>登录 Sign in</button></form>"
    )
    return console.page("好差评 案件处理 Govrate case console", console.error_html(error) + form, base)


def list_page(signed_in: StaffSession, page: CasePage, base: str) -> str:
    empty = '<tr><td colspan="6">没有待办案件 No open cases.</td></tr>'
    rows = "".join(_list_row(item, base) for item in page.items) or empty
    more = (
        f'<p><a href="{escape(base)}/console/cases?cursor={escape(quote(page.next_cursor))}">下一页 Next page</a></p>'
        if page.next_cursor
        else ""
    )
    table = (
        "<table><thead><tr><th>案件 Case</th><th>期限 Deadline</th><th>状态 State</th><th>部门 Agency</th>"
        f"<th>事项 Item</th><th>等级 Level</th></tr></thead><tbody>{rows}</tbody></table>{more}"
    )
    return console.page("待办案件，按期限 Open cases by deadline", table, base, signed_in)


def _list_row(item: CaseListItem, base: str) -> str:
    due = f'<span class="overdue">{_time(item.due_at)} 已超期 overdue</span>' if item.overdue else _time(item.due_at)
    return (
        f'<tr><td><a href="{escape(base)}/console/cases/{escape(quote(item.evaluation_id))}">'
        f"{escape(item.evaluation_id)}</a></td>"
        f"<td>{due}</td><td>{_kind(item.kind)}{_state(item.state)}{_triage(item.triage)}</td>"
        f"<td>{escape(item.agency_code)}{_window(item.window_id)}</td>"
        f"<td>{escape(item.item_code or '—')}</td><td>{_level(item.level)}</td></tr>"
    )


def _window(window_id: str | None) -> str:
    return f"<br>窗口 Window {escape(window_id)}" if window_id else ""


def _triage(triage: Triage | None) -> str:
    return f" ({escape(triage)})" if triage else ""


def case_page(signed_in: StaffSession, view: CaseView, base: str) -> str:
    case = view.case
    contact = view.contact
    action = f"{base}/console/cases/{quote(case.evaluation_id)}"
    if case.supervision:
        contact_html = "<p>无个人信息 No personal data.</p>"
    elif not case.real_name:
        contact_html = "<p>匿名评价，无联系方式 Anonymous evaluation: no contact.</p>"
    elif contact is None:
        contact_html = (
            f'<form method="post" action="{escape(action)}/evaluator-contact">'
            f"{console.token_field(signed_in.form_token)}"
            "<button>显示联系方式 Show the contact</button></form>"
            "<p><small>查看将记入审计链 Each view of the contact is recorded in the audit trail.</small></p>"
        )
    else:
        contact_html = (
            "<dl>"
            + "".join(
                f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
                for label, value in (
                    ("姓名 Name", contact.name),
                    ("电话 Phone", contact.phone),
                    ("邮箱 E-mail", contact.email),
                )
                if value
            )
            + "</dl><p><small>本次查看已记入审计链 This view of the contact is recorded in the audit trail.</small></p>"
        )
    due = _time(view.due_at) + (' <span class="overdue">已超期 overdue</span>' if view.overdue else "")
    facts = (
        "<table><tbody>"
        f"<tr><th>类别 Kind</th><td>{escape(_KINDS[case.kind])}</td></tr>"
        f"<tr><th>状态 State</th><td>{_state(case.state)}{_triage(case.triage)}{_outcome(case.burst_outcome)}</td></tr>"
        f"<tr><th>当前期限 Deadline now</th><td>{due}</td></tr>"
        f"<tr><th>核实期限 Verify by</th><td>{_time(case.verify_due_at)}</td></tr>"
        f"<tr><th>答复期限 Answer by</th><td>{_time(case.answer_due_at)}</td></tr>"
        f"<tr><th>部门 · 区划 Agency · region</th><td>{escape(case.agency_code)} · {escape(case.region_code)}</td></tr>"
        f"<tr><th>窗口 Window</th><td>{escape(case.window_id or '—')}</td></tr>"
        f"<tr><th>事项 Service item</th><td>{escape(case.item_code or '—')}</td></tr>"
        f"<tr><th>等级 Level</th><td>{_level(case.level)}</td></tr>"
        f"<tr><th>评价人留言 The citizen's comment</th><td>{escape(case.note or '—')}</td></tr>"
        f"<tr><th>评价 · 立案 Reviewed · opened</th><td>{_time(case.evaluated_at)} · {_time(case.opened_at)}</td></tr>"
        f"<tr><th>答复 Answer</th><td>{escape(case.answer or '—')}</td></tr>"
        f"<tr><th>处置评价 Handling rating</th><td>{escape(case.handling_rating or '—')}</td></tr>"
        f"<tr><th>不计入统计 Excluded from rates</th><td>{'是 yes' if case.excluded_from_rates else '否 no'}</td></tr>"
        "</tbody></table>"
    )
    chain = (
        f'<p class="ok">审计链完整 Audit chain intact ({view.chain.entries} entries).</p>'
        if view.chain.intact
        else '<p class="error">审计链受损 Audit chain damaged: '
        + escape("; ".join(f"#{p.seq} {p.kind}: {p.message}" for p in view.chain.problems))
        + "</p>"
    )
    body = (
        f'<p><a href="{escape(base)}/console/cases">← 待办案件 Open cases</a></p>'
        + facts
        + "<h2>评价人 Evaluator</h2>"
        + contact_html
        + _burst(view, base)
        + "<h2>下一步 Next steps</h2>"
        + (_forms(signed_in, case, action) or "<p>当前无需您处理 Nothing for you to do now.</p>")
        + "<h2>处理记录 History</h2>"
        + chain
        + _history(view.history)
    )
    return console.page(f"案件 Case {case.evaluation_id}", body, base, signed_in)


def _outcome(outcome: BurstOutcome | None) -> str:
    if outcome is None:
        return ""
    said = "真实，已逐条立案 genuine: a case each" if outcome is BurstOutcome.GENUINE else "刷评，已标记 flood: flagged"
    return f" ({escape(said)})"


def _burst(view: CaseView, base: str) -> str:
    """A burst's bad reviews, each linked to its case once it has one."""
    if view.case.kind is not CaseKind.BURST:
        return ""
    rows = "".join(
        f"<tr><td>{_review_link(review.evaluation_id, view.case.burst_outcome, base)}</td>"
        f"<td>{_time(review.created_at)}</td><td>{escape(review.item_code or '—')}</td>"
        f"<td>{int(review.level)}</td></tr>"
        for review in view.burst
    )
    return (
        f"<h2>集中差评 {len(view.burst)} 条 The burst's {len(view.burst)} bad reviews</h2>"
        "<p><small>每条评价均保留并计入统计 Every review is kept and counts in the rates.</small></p>"
        "<table><thead><tr><th>评价 Evaluation</th><th>时间 Given</th><th>事项 Item</th><th>等级 Level</th>"
        "</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _review_link(evaluation_id: str, outcome: BurstOutcome | None, base: str) -> str:
    if outcome is not BurstOutcome.GENUINE:
        return escape(evaluation_id)
    return f'<a href="{escape(base)}/console/cases/{escape(quote(evaluation_id))}">{escape(evaluation_id)}</a>'


def _forms(signed_in: StaffSession, case: Case, action: str) -> str:
    return "".join(
        f'<form class="step" method="post" action="{escape(action)}/{step}">'
        f"<h3>{escape(title)}</h3>{console.token_field(signed_in.form_token)}{fields}"
        "<button>记录 Record</button></form>"
        for step, (title, actions, fields) in _FORMS.items()
        if _may(signed_in.actor, case, actions)
    )


def _may(actor: Actor, case: Case, actions: Iterable[Action]) -> bool:
    return any(actor.role in TRANSITIONS[a].roles and TRANSITIONS[a].allows(case) for a in actions)


def _history(entries: list[AuditEntry]) -> str:
    rows = "".join(
        f"<tr><td>{entry.seq}</td><td>{_time(entry.at)}</td>"
        f"<td>{escape(entry.actor.name or entry.actor.subject)} ({escape(entry.actor.role)})</td>"
        f"<td>{escape(entry.action)}</td><td>{escape(entry.from_state or '—')} → {escape(entry.to_state)}</td>"
        f"<td>{escape(_detail(entry))}</td></tr>"
        for entry in entries
    )
    return (
        "<table><thead><tr><th>#</th><th>时间 When</th><th>人员 Who</th><th>操作 What</th><th>状态 State</th>"
        "<th>详情 Detail</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _detail(entry: AuditEntry) -> str:
    return "; ".join(f"{key}: {value}" for key, value in sorted(entry.detail.items()) if value not in (None, ""))
