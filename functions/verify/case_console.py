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
    Actor,
    AuditEntry,
    Case,
    CaseListItem,
    CasePage,
    CaseView,
    ContactChannel,
    Triage,
)
from govrate.web import console

# The console path of each step and the form that records it (one field list per step).
_FORMS: Mapping[str, tuple[str, tuple[Action, ...], str]] = {
    "contact": (
        "Return visit (回访)",
        (Action.CONTACT,),
        '<label>Reached <select name="reached"><option value="true">yes</option>'
        '<option value="false">no</option></select></label>'
        '<label>Channel <select name="channel">'
        + "".join(f'<option value="{c.value}">{c.value}</option>' for c in ContactChannel)
        + "</select></label>"
        '<label>Note <input name="note" maxlength="500"></label>',
    ),
    "verification": (
        "Verification (核实)",
        (Action.VERIFY,),
        '<label>Substantiated <select name="substantiated"><option value="true">yes</option>'
        '<option value="false">no</option></select></label>'
        '<label>Finding <textarea name="finding" required maxlength="2000"></textarea></label>',
    ),
    "triage": (
        "Triage (分类处置)",
        (Action.TRIAGE,),
        '<label>Outcome <select name="outcome">'
        + "".join(f'<option value="{t.value}">{t.value}</option>' for t in Triage)
        + "</select></label>"
        '<label>Note <textarea name="note" required maxlength="2000"></textarea></label>'
        '<label>Evidence for an appeal, one item a line <textarea name="evidence"></textarea></label>',
    ),
    "rectification": (
        "Rectification (整改)",
        (Action.RECTIFY,),
        '<label>What was rectified <textarea name="summary" required maxlength="2000"></textarea></label>',
    ),
    "answer": (
        "Answer the evaluator (答复)",
        (Action.ANSWER,),
        '<label>Message <textarea name="message" required maxlength="2000"></textarea></label>',
    ),
    "appeal-decision": (
        "Appeal decision (申诉复核)",
        (Action.UPHOLD_APPEAL, Action.REJECT_APPEAL),
        '<label>Decision <select name="upheld"><option value="false">reject the appeal</option>'
        '<option value="true">uphold: exclude from the rates</option></select></label>'
        '<label>Reason <textarea name="reason" required maxlength="2000"></textarea></label>',
    ),
    "reassignment": (
        "Reassign",
        (Action.REASSIGN,),
        '<label>Agency code <input name="agency_code" required maxlength="64"></label>'
        '<label>Reason <textarea name="reason" required maxlength="2000"></textarea></label>',
    ),
    "resumption": (
        "Resume with a new deadline",
        (Action.RESUME,),
        '<label>Working days <input name="working_days" type="number" min="1" max="30" value="5"></label>'
        '<label>Reason <textarea name="reason" required maxlength="2000"></textarea></label>',
    ),
}


def _time(moment: datetime | None) -> str:
    return escape(moment.isoformat(timespec="minutes")) if moment else "—"


def login_page(base: str, error: str | None = None) -> str:
    form = (
        f'<form method="post" action="{escape(base)}/console/login">'
        '<label>User name <input name="username" autocomplete="username" required></label>'
        '<label>Password <input name="password" type="password" autocomplete="current-password" required></label>'
        "<button>Sign in</button></form>"
    )
    return console.page("Govrate case console", console.error_html(error) + form, base)


def list_page(actor: Actor, page: CasePage, base: str) -> str:
    rows = "".join(_list_row(item, base) for item in page.items) or '<tr><td colspan="6">No open cases.</td></tr>'
    more = (
        f'<p><a href="{escape(base)}/console/cases?cursor={escape(quote(page.next_cursor))}">Next page</a></p>'
        if page.next_cursor
        else ""
    )
    table = (
        "<table><thead><tr><th>Case</th><th>Deadline</th><th>State</th><th>Agency</th>"
        f"<th>Item</th><th>Level</th></tr></thead><tbody>{rows}</tbody></table>{more}"
    )
    return console.page("Open cases by deadline", table, base, actor)


def _list_row(item: CaseListItem, base: str) -> str:
    due = f'<span class="overdue">{_time(item.due_at)} overdue</span>' if item.overdue else _time(item.due_at)
    return (
        f'<tr><td><a href="{escape(base)}/console/cases/{escape(quote(item.evaluation_id))}">'
        f"{escape(item.evaluation_id)}</a></td>"
        f"<td>{due}</td><td>{escape(item.state)}{_triage(item.triage)}</td><td>{escape(item.agency_code)}</td>"
        f"<td>{escape(item.item_code or '—')}</td><td>{int(item.level)}</td></tr>"
    )


def _triage(triage: Triage | None) -> str:
    return f" ({escape(triage)})" if triage else ""


def case_page(actor: Actor, view: CaseView, base: str) -> str:
    case = view.case
    contact = view.contact
    contact_html = (
        "<p>Anonymous evaluation: no contact.</p>"
        if contact is None
        else "<dl>"
        + "".join(
            f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
            for label, value in (("Name", contact.name), ("Phone", contact.phone), ("E-mail", contact.email))
            if value
        )
        + "</dl><p><small>This view of the contact is recorded in the audit trail.</small></p>"
    )
    due = _time(view.due_at) + (' <span class="overdue">overdue</span>' if view.overdue else "")
    facts = (
        "<table><tbody>"
        f"<tr><th>State</th><td>{escape(case.state)}{_triage(case.triage)}</td></tr>"
        f"<tr><th>Deadline now</th><td>{due}</td></tr>"
        f"<tr><th>Verify by</th><td>{_time(case.verify_due_at)}</td></tr>"
        f"<tr><th>Answer by</th><td>{_time(case.answer_due_at)}</td></tr>"
        f"<tr><th>Agency · region</th><td>{escape(case.agency_code)} · {escape(case.region_code)}</td></tr>"
        f"<tr><th>Service item</th><td>{escape(case.item_code or '—')}</td></tr>"
        f"<tr><th>Level</th><td>{int(case.level)}</td></tr>"
        f"<tr><th>Reviewed · opened</th><td>{_time(case.evaluated_at)} · {_time(case.opened_at)}</td></tr>"
        f"<tr><th>Answer</th><td>{escape(case.answer or '—')}</td></tr>"
        f"<tr><th>Handling rating</th><td>{escape(case.handling_rating or '—')}</td></tr>"
        f"<tr><th>Excluded from rates</th><td>{'yes' if case.excluded_from_rates else 'no'}</td></tr>"
        "</tbody></table>"
    )
    chain = (
        f'<p class="ok">Audit chain intact ({view.chain.entries} entries).</p>'
        if view.chain.intact
        else '<p class="error">Audit chain damaged: '
        + escape("; ".join(f"#{p.seq} {p.kind}: {p.message}" for p in view.chain.problems))
        + "</p>"
    )
    body = (
        f'<p><a href="{escape(base)}/console/cases">← Open cases</a></p>'
        + facts
        + "<h2>Evaluator</h2>"
        + contact_html
        + "<h2>Next steps</h2>"
        + (_forms(actor, case, base) or "<p>Nothing for you to do now.</p>")
        + "<h2>History</h2>"
        + chain
        + _history(view.history)
    )
    return console.page(f"Case {case.evaluation_id}", body, base, actor)


def _forms(actor: Actor, case: Case, base: str) -> str:
    action = f"{base}/console/cases/{quote(case.evaluation_id)}"
    return "".join(
        f'<form class="step" method="post" action="{escape(action)}/{step}">'
        f"<h3>{escape(title)}</h3>{fields}<button>Record</button></form>"
        for step, (title, actions, fields) in _FORMS.items()
        if _may(actor, case, actions)
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
        "<table><thead><tr><th>#</th><th>When</th><th>Who</th><th>What</th><th>State</th><th>Detail</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _detail(entry: AuditEntry) -> str:
    return "; ".join(f"{key}: {value}" for key, value in sorted(entry.detail.items()) if value not in (None, ""))
