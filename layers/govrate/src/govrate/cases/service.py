"""The services of the bad-review loop. Each takes its stores as arguments and the time as `now`.

Every change of a case goes through `_step`: the state machine names the target state, the audit
chain gets the entry, and the repository writes both in one conditional transaction.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from govrate.cases.audit import next_entry, verify_chain
from govrate.cases.kinds import CaseKind
from govrate.cases.machine import CONTENT, target_of
from govrate.cases.model import (
    AGENCY_DETAILS,
    Action,
    AnswerRecord,
    AppealDecision,
    AuditEntry,
    BoardOrder,
    BurstDecision,
    BurstOutcome,
    BurstPolicy,
    Case,
    CaseBoard,
    CaseBoardQuery,
    CaseListItem,
    CasePage,
    CaseView,
    Complaint,
    Conclusion,
    ContactRecord,
    HandlingRatingInput,
    HeldReview,
    PressureReport,
    Reassignment,
    RectificationRecord,
    Resumption,
    StaffCommand,
    Standing,
    SweepReport,
    TriageDecision,
    VerificationRecord,
)
from govrate.cases.ports import BadReviewNote, BurstStore, CaseStore, Encryptor, EvaluatorNotice, Joined, NoticeKind
from govrate.evaluations.models import CaseState, CaseSummary, EvaluatorContact, FollowUp, NegativeReviewMessage
from govrate.evaluations.ports import EvaluationStore, FollowUpStore
from govrate.evaluations.service import receipt_hash
from govrate.identity.auth import authorize_agency, authorize_for
from govrate.identity.model import Actor, Role
from govrate.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from govrate.kernel.ids import new_id
from govrate.kernel.observability import BusinessEvent, count, logger
from govrate.regions.rules import RegionRules, RulesBook

if TYPE_CHECKING:
    from govrate.catalogue.ports import CatalogueReader
    from govrate.catalogue.store import Agency
    from govrate.evaluations.store import StoredEvaluation
    from govrate.windows.ports import WindowStore

# A contact view that races a change of the same case is retried this often before giving up.
_VIEW_ATTEMPTS = 3
# The console's list reads at most this many open cases at once, and shows them this many a page.
BOARD_LIMIT = 500
BOARD_PAGE_SIZE = 20
# A bad review that finds its burst decided meanwhile tries a new burst this often before the message is retried.
_BURST_ATTEMPTS = 3
_NOTICES = {
    Action.ANSWER: NoticeKind.ANSWERED,
    Action.REOPEN: NoticeKind.REOPENED,
    Action.ESCALATE: NoticeKind.ESCALATED,
    Action.ESCALATE_OVERDUE: NoticeKind.ESCALATED,
    Action.CLOSE: NoticeKind.CLOSED,
    Action.UPHOLD_APPEAL: NoticeKind.CLOSED,
}


@dataclass(frozen=True)
class CaseStores:
    cases: CaseStore
    evaluations: EvaluationStore
    vault: Encryptor
    rules: RulesBook
    catalogue: CatalogueReader
    follow_ups: FollowUpStore
    bursts: BurstStore
    windows: WindowStore
    burst_policy: BurstPolicy = field(default_factory=BurstPolicy)


class Taken(StrEnum):
    """What became of a bad review taken from the queue."""

    OPENED = "opened"
    HELD = "held"
    """Held in a burst case for a supervisor's decision."""
    ALREADY = "already"
    """A redelivered message: the review has its case, or is held, already."""


@dataclass(frozen=True)
class _Effect:
    action: Action
    changes: Mapping[str, Any]
    detail: Mapping[str, Any]


# --- the queue -----------------------------------------------------------------------------------


class BadReviewBatch:
    """The bad reviews of one delivery from the queue, taken one by one (`take`) after what they need
    was read and written for all of them together: which have a case or are held already, their
    evaluations, and their notes for the burst counts. A review that fails then fails alone.

    Every note is written before any review is counted, so each review counts the others of its
    subject given before it, whatever their order in the batch. A crash part-way leaves the notes
    (idempotent) and the cases opened so far, which the redelivery finds."""

    def __init__(self, messages: Sequence[NegativeReviewMessage], *, stores: CaseStores, now: datetime) -> None:
        self._stores = stores
        self._now = now
        self._handled = stores.bursts.handled({message.evaluation_id for message in messages})
        fresh = {message.evaluation_id for message in messages} - self._handled.cased - set(self._handled.held)
        self._evaluations = stores.evaluations.get_many(fresh) if fresh else {}
        policy = stores.burst_policy
        notes = [
            BadReviewNote(
                policy.subject(message, evaluation.window_id)[0],
                message.evaluation_id,
                message.created_at,
                keep_until=max(now, message.created_at) + 2 * policy.period,
            )
            for message in messages
            if (evaluation := self._evaluations.get(message.evaluation_id)) is not None
        ]
        if notes:
            stores.bursts.note_bad_reviews(notes)

    def take(self, message: NegativeReviewMessage) -> Taken:
        """Its own case, unless bad reviews of its window (or of its item, without a window) are coming
        faster than the burst policy allows; then it is held in the subject's burst case for a
        supervisor's decision. Never dropped, never twice."""
        stores, now = self._stores, self._now
        if message.evaluation_id in self._handled.cased:
            return Taken.ALREADY
        holding = self._handled.held.get(message.evaluation_id)
        if holding is not None:
            return _released_late(message, holding, stores=stores, now=now)
        evaluation = self._evaluations.get(message.evaluation_id)
        if evaluation is None:
            raise NotFound(f"evaluation {message.evaluation_id}")
        policy = stores.burst_policy
        subject, most = policy.subject(message, evaluation.window_id)
        given = message.created_at
        seen = stores.bursts.bad_reviews_between(subject, given - policy.period, given, message.evaluation_id, most + 1)
        if seen <= most:
            opened = open_case(message, stores=stores, now=now, evaluation=evaluation)
            return Taken.OPENED if opened else Taken.ALREADY
        return _hold_in_burst(message, subject, evaluation.window_id, stores=stores, now=now)


def take_bad_review(message: NegativeReviewMessage, *, stores: CaseStores, now: datetime) -> Taken:
    """A bad review delivered on its own: a batch of one."""
    return BadReviewBatch([message], stores=stores, now=now).take(message)


def open_case(
    message: NegativeReviewMessage,
    *,
    stores: CaseStores,
    now: datetime,
    released_by: tuple[Actor, str] | None = None,
    evaluation: StoredEvaluation | None = None,
) -> bool:
    """Open the case of a bad review; False when a redelivered message finds it open already.

    Deadlines run from the moment the review was given, so a late delivery costs the agency no time;
    for a review released from a burst (`released_by`: the supervisor and the burst case), from the
    decision, since the agency could not act on it while it waited. The review's evaluation is read
    unless the caller has it already.
    """
    evaluation = evaluation or stores.evaluations.get(message.evaluation_id)
    rules = stores.rules.for_region(message.region_code)
    start = now if released_by else message.created_at
    case = Case(
        evaluation_id=message.evaluation_id,
        item_code=message.item_code,
        agency_code=message.agency_code,
        region_code=message.region_code,
        applied_region_code=evaluation.applied_region_code,
        window_id=evaluation.window_id,
        level=message.level,
        state=CaseState.RECEIVED,
        opened_at=now,
        evaluated_at=message.created_at,
        real_name=evaluation.real_name,
        verify_due_at=rules.due(start, rules.cases.verify_working_days),
        answer_due_at=rules.due(start, rules.cases.answer_working_days),
    )
    _warn_if_calendar_unknown(rules, case.answer_due_at)
    detail = {"verify_due_at": case.verify_due_at.isoformat(), "answer_due_at": case.answer_due_at.isoformat()}
    actor, burst = released_by or (Actor.system("verify"), None)
    entry = next_entry(
        case,
        at=now,
        actor=actor,
        action=Action.OPEN,
        to_state=CaseState.RECEIVED,
        detail={**detail, **({"released_from_burst": burst} if burst else {})},
    )
    opened = stores.cases.open(_chained(case, entry), entry)
    if opened:
        count(BusinessEvent.CASE_OPENED)
    return opened


def _released_late(message: NegativeReviewMessage, burst_id: str, *, stores: CaseStores, now: datetime) -> Taken:
    """A held review delivered again: nothing to do while its burst awaits the decision or was judged a
    flood; its case, if the burst was judged genuine and the decision stopped before opening it (the
    reconciler sends such a review again)."""
    if stores.cases.get(burst_id).burst_outcome is not BurstOutcome.GENUINE:
        return Taken.ALREADY
    opened = open_case(message, stores=stores, now=now, released_by=(Actor.system("verify"), burst_id))
    return Taken.OPENED if opened else Taken.ALREADY


def _has_case(case_id: str, stores: CaseStores) -> bool:
    try:
        stores.cases.get(case_id)
    except NotFound:
        return False
    return True


def _hold_in_burst(
    review: NegativeReviewMessage, subject: str, window_id: str | None, *, stores: CaseStores, now: datetime
) -> Taken:
    for _ in range(_BURST_ATTEMPTS):
        burst_id = stores.bursts.burst_of(subject)
        if burst_id is None or stores.cases.get(burst_id).state is not CaseState.RECEIVED:
            burst_id = _start_burst(review, subject, window_id, replacing=burst_id, stores=stores, now=now)
        joined = stores.bursts.join_burst(burst_id, review)
        if joined is Joined.JOINED:
            count(BusinessEvent.BAD_REVIEW_HELD)
            logger.warning(
                "bad review held in a burst", extra={"evaluation_id": review.evaluation_id, "burst": burst_id}
            )
            return Taken.HELD
        if joined is Joined.ALREADY:
            return Taken.ALREADY
    raise Conflict(f"the burst of {subject} was decided again and again meanwhile; retry")


def _start_burst(
    review: NegativeReviewMessage,
    subject: str,
    window_id: str | None,
    *,
    replacing: str | None,
    stores: CaseStores,
    now: datetime,
) -> str:
    """A new burst case for the subject (the supervision case its bad reviews wait in), or the one
    another consumer started first."""
    rules = stores.rules.for_region(review.region_code)
    policy = stores.burst_policy
    case = Case(
        evaluation_id=new_id(now),
        kind=CaseKind.BURST,
        item_code=review.item_code,
        agency_code=review.agency_code,
        region_code=review.region_code,
        window_id=window_id,
        level=None,
        state=CaseState.RECEIVED,
        opened_at=now,
        evaluated_at=review.created_at,
        real_name=False,
        verify_due_at=rules.due(now, rules.cases.verify_working_days),
        answer_due_at=rules.due(now, rules.cases.verify_working_days),
    )
    most = policy.per_window if window_id else policy.per_item
    entry = next_entry(
        case,
        at=now,
        actor=Actor.system("verify"),
        action=Action.OPEN,
        to_state=CaseState.RECEIVED,
        detail={"subject": subject, "threshold": f"more than {most} bad reviews in {policy.minutes} minutes"},
    )
    if stores.bursts.start_burst(subject, _chained(case, entry), entry, replacing=replacing):
        return case.evaluation_id
    started = stores.bursts.burst_of(subject)
    if started is None:  # only a start can replace a burst, never a removal
        raise Conflict(f"the burst of {subject} vanished; retry")
    return started


# --- staff and supervisors -----------------------------------------------------------------------


def list_cases(actor: Actor, *, stores: CaseStores, now: datetime, limit: int, cursor: str | None) -> CasePage:
    """Staff: their agency's open cases; supervisors: their division's. Nearest deadline first."""
    cases, following = _open_cases(actor, stores, limit, cursor)
    names = _Names(stores)
    return CasePage(items=[_list_item(case, now, stores, names) for case in cases], next_cursor=following)


def case_board(actor: Actor, query: CaseBoardQuery, *, stores: CaseStores, now: datetime) -> CaseBoard:
    """The console's list of open cases: filtered, searched, sorted, a page at a time.

    It reads up to BOARD_LIMIT open cases (nearest deadline first). By default the most urgent come
    first: for supervisors the escalated cases at the top; then overdue, due today, the rest by deadline."""
    cases: list[Case] = []
    cursor: str | None = None
    while len(cases) < BOARD_LIMIT:
        page, cursor = _open_cases(actor, stores, min(100, BOARD_LIMIT - len(cases)), cursor)
        cases.extend(page)
        if cursor is None:
            break
    names = _Names(stores)
    listed = [_list_item(case, now, stores, names) for case in cases]
    items_to_filter = sorted({(i.item_code, i.item_name_zh or i.item_code) for i in listed if i.item_code})
    matching = [item for item in listed if _matches(item, query)]
    matching.sort(key=lambda item: _urgency(item, actor))  # the tie-break of every other order
    if query.sort in _ORDERS:
        matching.sort(key=_ORDERS[query.sort])
    pages = max(1, -(-len(matching) // BOARD_PAGE_SIZE))
    start = (min(query.page, pages) - 1) * BOARD_PAGE_SIZE
    return CaseBoard(
        items=matching[start : start + BOARD_PAGE_SIZE],
        total=len(matching),
        page=min(query.page, pages),
        pages=pages,
        items_to_filter=items_to_filter,
        incomplete=cursor is not None,
    )


# The orders of the console's list besides urgency (which is also their tie-break).
_ORDERS: Mapping[BoardOrder, Callable[[CaseListItem], Any]] = {
    BoardOrder.DEADLINE: lambda item: (item.due_at is None, item.due_at or item.opened_at),
    BoardOrder.LEVEL: lambda item: (item.level is None, item.level or 0),  # supervision cases have none
    BoardOrder.ITEM: lambda item: item.item_name_zh or item.item_code or "",
    BoardOrder.OPENED: lambda item: -item.opened_at.timestamp(),
}


def _open_cases(actor: Actor, stores: CaseStores, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
    if actor.role is Role.STAFF and actor.agency_code:
        return stores.cases.open_of_agency(actor.agency_code, limit, cursor)
    if actor.role is Role.SUPERVISOR and actor.region_code:
        return stores.cases.open_of_region(actor.region_code, limit, cursor)
    raise Forbidden("only staff and supervisors list cases")


def _matches(item: CaseListItem, query: CaseBoardQuery) -> bool:
    if query.state is not None and item.state is not query.state:
        return False
    if query.level is not None and item.level is not query.level:
        return False
    if query.item and item.item_code != query.item:
        return False
    if query.q:
        searched = " ".join(
            text or ""
            for text in (
                item.evaluation_id,
                item.item_code,
                item.item_name_zh,
                item.item_name_en,
                item.agency_code,
                item.window_id,
                item.window_name_zh,
            )
        )
        return query.q.casefold() in (searched + " " + (item.agency_name_zh or "")).casefold()
    return True


def _urgency(item: CaseListItem, actor: Actor) -> tuple[int, datetime, str]:
    escalated_first = actor.role is Role.SUPERVISOR and item.state is CaseState.ESCALATED
    if escalated_first:
        rank = 0
    elif item.overdue:
        rank = 1
    elif item.standing.due_today:
        rank = 2
    else:
        rank = 3
    return rank, item.due_at or item.opened_at.replace(year=9999), item.evaluation_id


def _agencies_named_in(history: list[AuditEntry], names: _Names) -> dict[str, str]:
    codes = {str(entry.detail[key]) for entry in history for key in AGENCY_DETAILS if entry.detail.get(key)}
    return {code: name for code in codes if (name := names.agency(code))}


class _Names:
    """The names of items and agencies (the catalogue's) and of windows (the registry's), each read once
    per request."""

    def __init__(self, stores: CaseStores) -> None:
        self._catalogue = stores.catalogue
        self._windows = stores.windows
        self._items: dict[str, tuple[str, str] | None] = {}
        self._agencies: dict[str, str | None] = {}
        self._window_names: dict[str, str | None] = {}

    def window(self, window_id: str | None) -> str | None:
        if window_id is None:
            return None
        if window_id not in self._window_names:
            try:
                self._window_names[window_id] = self._windows.get(window_id).name_zh
            except NotFound:
                self._window_names[window_id] = None
        return self._window_names[window_id]

    def item(self, item_code: str | None) -> tuple[str, str] | None:
        if item_code is None:
            return None
        if item_code not in self._items:
            try:
                found = self._catalogue.get(item_code)
            except NotFound:
                self._items[item_code] = None
            else:
                self._items[item_code] = (found.name_zh, found.name_en)
        return self._items[item_code]

    def agency(self, agency_code: str) -> str | None:
        if agency_code not in self._agencies:
            try:
                self._agencies[agency_code] = self._catalogue.agency(agency_code).agency_name_zh
            except NotFound:
                self._agencies[agency_code] = None
        return self._agencies[agency_code]


def standing(case: Case, rules: RegionRules, now: datetime) -> Standing:
    """Where the case stands against its pending deadline: working days left, due today, or days overdue."""
    due = case.pending_due_at
    if due is None:
        return Standing()
    zone_now = now.astimezone(due.tzinfo)
    last_day = (due - timedelta(microseconds=1)).astimezone(due.tzinfo).date()
    today = zone_now.date()
    if now >= due:
        return Standing(last_day=last_day, working_days_left=0, overdue_days=max(1, (today - last_day).days))
    # Today is under way: what is left are the working days after it, up to the last day.
    left = sum(
        1
        for offset in range(1, (last_day - today).days + 1)
        if rules.calendar.is_working_day(today + timedelta(offset))
    )
    return Standing(last_day=last_day, working_days_left=left, due_today=last_day == today)


def _complaint(case: Case, stores: CaseStores, names: _Names) -> Complaint:
    evaluation = stores.evaluations.get(case.evaluation_id)
    item = names.item(case.item_code)
    try:
        follow_up: FollowUp | None = stores.follow_ups.get(case.evaluation_id)
    except NotFound:
        follow_up = None
    return Complaint(
        channel=evaluation.channel,
        stage=evaluation.stage,
        level=evaluation.level,
        reason_codes=list(evaluation.reason_codes),
        indicators=dict(evaluation.indicators),
        comment=evaluation.comment,
        created_at=evaluation.created_at,
        window_id=evaluation.window_id,
        item_name_zh=item[0] if item else None,
        item_name_en=item[1] if item else None,
        agency_name_zh=names.agency(case.agency_code),
        follow_up=follow_up,
    )


class ContactView(StrEnum):
    """Whether a case is shown with the evaluator's contact."""

    HIDDEN = "hidden"
    REVEAL = "reveal"
    """Decrypted after a new view is written to the audit chain."""
    SHOWN_AGAIN = "shown_again"
    """The page of a view just audited, loaded again (the console's redirect after the reveal): shown only
    within CONTACT_SHOWN_FOR of this person's last audited view, with no new entry."""


CONTACT_SHOWN_FOR = timedelta(minutes=5)


def view_case(
    evaluation_id: str,
    *,
    actor: Actor,
    stores: CaseStores,
    now: datetime,
    contact_view: ContactView = ContactView.REVEAL,
) -> CaseView:
    """One case for its handlers; with the evaluator's contact when asked for. The contact is decrypted
    here only, after the view is written to the audit chain: no audit entry, no contact."""
    case = stores.cases.get(evaluation_id)
    authorize(actor, case)
    contact: EvaluatorContact | None = None
    wanted = case.real_name and contact_view is not ContactView.HIDDEN
    cipher = stores.evaluations.get(evaluation_id).contact_cipher if wanted else None
    if cipher is not None and contact_view is ContactView.REVEAL:
        case = _record_contact_view(case, actor=actor, stores=stores, now=now)
    history = stores.cases.history(evaluation_id)
    if cipher is not None and (contact_view is ContactView.REVEAL or _viewed_lately(history, actor, now)):
        contact = EvaluatorContact.model_validate_json(stores.vault.open(cipher, owner=evaluation_id))
    names = _Names(stores)
    item = names.item(case.item_code)
    return CaseView(
        case=case,
        due_at=case.pending_due_at,
        overdue=case.overdue(now),
        standing=standing(case, stores.rules.for_region(case.region_code), now),
        complaint=_complaint(case, stores, names) if case.kind is CaseKind.BAD_REVIEW else None,
        item_name_zh=item[0] if item else None,
        item_name_en=item[1] if item else None,
        agency_name_zh=names.agency(case.agency_code),
        window_name_zh=names.window(case.window_id),
        contact=contact,
        history=history,
        history_agency_names=_agencies_named_in(history, names),
        chain=verify_chain(evaluation_id, history, count=case.audit_count, head=case.audit_head),
        burst=_held_reviews(case, stores, names),
    )


def reassignable_agencies(actor: Actor, *, stores: CaseStores) -> list[Agency]:
    """The agencies a supervisor may reassign a case to: those of their division in the catalogue, by name.
    None for staff."""
    if actor.role is not Role.SUPERVISOR or not actor.region_code:
        return []
    agencies = stores.catalogue.agencies_within(actor.region_code)
    return sorted(agencies, key=lambda agency: (agency.agency_name_zh, agency.agency_code))


def _viewed_lately(history: list[AuditEntry], actor: Actor, now: datetime) -> bool:
    views = [e.at for e in history if e.action is Action.VIEW_CONTACT and e.actor.subject == actor.subject]
    return bool(views) and now - max(views) <= CONTACT_SHOWN_FOR


def _held_reviews(case: Case, stores: CaseStores, names: _Names) -> list[HeldReview]:
    if case.kind is not CaseKind.BURST:
        return []
    held = []
    for review in stores.bursts.burst_members(case.evaluation_id):
        item = names.item(review.item_code)
        held.append(
            HeldReview(
                **review.model_dump(), item_name_zh=item[0] if item else None, item_name_en=item[1] if item else None
            )
        )
    return held


def act_on_case(evaluation_id: str, command: StaffCommand, *, actor: Actor, stores: CaseStores, now: datetime) -> Case:
    """Record a step of the handling: contact, verification, triage (appeal included), rectification,
    answer; or a supervisor's appeal decision, reassignment or resumption."""
    case = stores.cases.get(evaluation_id)
    authorize(actor, case)
    effect = _effect_of(command, case, actor=actor, stores=stores, now=now)
    changed, entry = _step(case, effect, actor=actor, now=now)
    releasing = effect.action is Action.RELEASE_BURST
    if releasing:
        _release_burst(case, actor, stores, now)
    stores.cases.save(changed, [entry], read_count=case.audit_count, notices=_notices(changed, [entry]))
    if releasing:  # the bad reviews that joined while the decision was being written
        _release_burst(case, actor, stores, now)
    return changed


def _release_burst(burst: Case, actor: Actor, stores: CaseStores, now: datetime) -> None:
    """A case for each bad review of a burst judged genuine; those opened already are left as they are."""
    for review in stores.bursts.burst_members(burst.evaluation_id):
        open_case(review, stores=stores, now=now, released_by=(actor, burst.evaluation_id))


def report_pressure(report: PressureReport, *, stores: CaseStores, now: datetime) -> bool:
    """Open a supervision case for a citizen who was pressed to rate; False when the same form reported
    it already. It goes to the supervisors of the window's region, never to the agency's staff."""
    rules = stores.rules.for_region(report.region_code)
    case = Case(
        evaluation_id=report.report_id,
        kind=CaseKind.PRESSURE_REPORT,
        item_code=report.item_code,
        agency_code=report.agency_code,
        region_code=report.region_code,
        window_id=report.window_id,
        level=None,
        state=CaseState.RECEIVED,
        opened_at=now,
        evaluated_at=now,
        real_name=False,
        note=report.comment or None,
        verify_due_at=rules.due(now, rules.cases.verify_working_days),
        answer_due_at=rules.due(now, rules.cases.verify_working_days),
    )
    entry = next_entry(
        case,
        at=now,
        actor=Actor.evaluator(),
        action=Action.OPEN,
        to_state=CaseState.RECEIVED,
        detail={"channel": "supervision_platform", "page": report.page, "comment": report.comment},
    )
    opened = stores.cases.open(_chained(case, entry), entry)
    if opened:
        count(BusinessEvent.PRESSURE_REPORTED)
    return opened


def escalate_overdue(*, stores: CaseStores, now: datetime) -> SweepReport:
    """Escalate every case past its pending deadline to the supervisors (the scheduled sweep)."""
    escalated: list[str] = []
    skipped: list[str] = []
    for evaluation_id in list(stores.cases.overdue(now)):
        case = stores.cases.get(evaluation_id)
        if not case.overdue(now):
            skipped.append(evaluation_id)
            continue
        effect = _Effect(
            Action.ESCALATE_OVERDUE,
            {"resume_state": case.state, "escalated_for": Action.ESCALATE_OVERDUE},
            {"due_at": _iso(case.pending_due_at)},
        )
        try:
            changed, entry = _step(case, effect, actor=Actor.system("sweep"), now=now)
            stores.cases.save(changed, [entry], read_count=case.audit_count, notices=_notices(changed, [entry]))
        except Conflict:
            skipped.append(evaluation_id)
            continue
        escalated.append(evaluation_id)
    count(BusinessEvent.CASE_OVERDUE, len(escalated))
    return SweepReport(escalated=escalated, skipped=skipped)


# --- the evaluator -------------------------------------------------------------------------------


def handling_of(evaluation_id: str, receipt: str, *, stores: CaseStores) -> CaseSummary:
    """The case of a bad review as its evaluator sees it (the receipt is the evaluator's key)."""
    _check_receipt(evaluation_id, receipt, stores.evaluations)
    return stores.cases.get(evaluation_id).summary()


def rate_handling(evaluation_id: str, rating: HandlingRatingInput, *, stores: CaseStores, now: datetime) -> CaseSummary:
    """The evaluator rates the answered case. Content closes it; dissatisfied reopens it for a new
    answer, or escalates it when the evaluator asks to or the region's reopen limit is reached."""
    _check_receipt(evaluation_id, rating.receipt, stores.evaluations)
    case = stores.cases.get(evaluation_id)
    rules = stores.rules.for_region(case.region_code)
    evaluator = Actor.evaluator()
    rate = _Effect(
        Action.RATE,
        {"handling_rating": rating.rating},
        {"rating": rating.rating.value, "comment": rating.comment},
    )
    rated, rated_entry = _step(case, rate, actor=evaluator, now=now)
    if rating.rating in CONTENT:
        follow = _Effect(Action.CLOSE, {}, {})
    elif rating.escalate or case.reopen_count >= rules.cases.max_reopens:
        follow = _Effect(
            Action.ESCALATE,
            {"resume_state": CaseState.VERIFIED, "escalated_for": Action.ESCALATE},
            {"asked": rating.escalate},
        )
    else:
        answer_due = rules.due(now, rules.cases.answer_working_days)
        follow = _Effect(
            Action.REOPEN,
            {"reopen_count": case.reopen_count + 1, "triage": None, "answer_due_at": answer_due},
            {"answer_due_at": answer_due.isoformat()},
        )
    final, follow_entry = _step(rated, follow, actor=evaluator, now=now)
    entries = [rated_entry, follow_entry]
    stores.cases.save(final, entries, read_count=case.audit_count, notices=_notices(final, entries))
    count(BusinessEvent.HANDLING_RATED, breakdown=rating.rating.value)
    return final.summary()


# --- the steps -----------------------------------------------------------------------------------


def _effect_of(command: StaffCommand, case: Case, *, actor: Actor, stores: CaseStores, now: datetime) -> _Effect:
    effect: _Effect
    match command:
        case ContactRecord():
            effect = _Effect(Action.CONTACT, {"visited": command.reached}, command.model_dump(mode="json"))
        case VerificationRecord():
            effect = _Effect(Action.VERIFY, {}, command.model_dump(mode="json"))
        case TriageDecision():
            effect = _Effect(Action.TRIAGE, {"triage": command.outcome}, command.model_dump(mode="json"))
        case RectificationRecord():
            effect = _Effect(Action.RECTIFY, {"rectified": True}, command.model_dump(mode="json"))
        case AnswerRecord():
            effect = _answer(command, case, now)
        case AppealDecision(upheld=True):
            effect = _Effect(Action.UPHOLD_APPEAL, {"excluded_from_rates": True}, {"reason": command.reason})
        case AppealDecision():
            effect = _Effect(Action.REJECT_APPEAL, {"triage": None}, {"reason": command.reason})
        case Reassignment():
            effect = _reassignment(command, case, actor, stores, now)
        case Resumption():
            effect = _resumption(command, case, stores.rules.for_region(case.region_code), now)
        case BurstDecision():
            held = len(stores.bursts.burst_members(case.evaluation_id))
            outcome = BurstOutcome.GENUINE if command.genuine else BurstOutcome.FLOOD
            effect = _Effect(
                Action.RELEASE_BURST if command.genuine else Action.DISMISS_FLOOD,
                {"burst_outcome": outcome},
                {"reason": command.reason, "bad_reviews": held},
            )
        case Conclusion():
            effect = _Effect(Action.CONCLUDE, {}, {"finding": command.finding})
    return effect


def _answer(command: AnswerRecord, case: Case, now: datetime) -> _Effect:
    on_time = case.answered_within_deadline
    if on_time is None:  # the reply rate counts the first answer
        on_time = now < case.answer_due_at
    changes = {"answer": command.message, "answered_at": now, "answered_within_deadline": on_time}
    return _Effect(Action.ANSWER, changes, {"message": command.message, "on_time": on_time})


def _reassignment(command: Reassignment, case: Case, actor: Actor, stores: CaseStores, now: datetime) -> _Effect:
    """The case goes to an agency of the catalogue that the supervisor may act for, in the agency's own
    region, with the deadlines of that region's rules."""
    if command.agency_code == case.agency_code:
        raise InvalidInput(
            "the case is with that agency already",
            [{"field": "agency_code", "message": f"case is with {case.agency_code}"}],
        )
    target = authorize_agency(actor, command.agency_code, stores.catalogue)
    rules = stores.rules.for_region(target.region_code)
    changes = {
        "agency_code": target.agency_code,
        "region_code": target.region_code,
        "triage": None,
        "resume_state": None,
        "escalated_for": None,
        "visited": False,
        "rectified": False,
        "verify_due_at": rules.due(now, rules.cases.verify_working_days),
        "answer_due_at": rules.due(now, rules.cases.answer_working_days),
    }
    detail = {
        "from_agency": case.agency_code,
        "to_agency": target.agency_code,
        "from_region": case.region_code,
        "to_region": target.region_code,
        "reason": command.reason,
    }
    return _Effect(Action.REASSIGN, changes, detail)


def _resumption(command: Resumption, case: Case, rules: RegionRules, now: datetime) -> _Effect:
    due = rules.due(now, command.working_days)
    verifying = case.resume_state in (CaseState.RECEIVED, CaseState.CONTACTED)
    changes: dict[str, Any] = {
        "resume_state": None,
        "escalated_for": None,
        "verify_due_at" if verifying else "answer_due_at": due,
    }
    return _Effect(Action.RESUME, changes, {"reason": command.reason, "due_at": due.isoformat()})


def _step(case: Case, effect: _Effect, *, actor: Actor, now: datetime) -> tuple[Case, AuditEntry]:
    """The case after `effect`, and the audit entry that records it; refused unless the machine allows."""
    target = target_of(case, effect.action, actor.role)
    entry = next_entry(
        case,
        at=now,
        actor=actor,
        action=effect.action,
        from_state=case.state,
        to_state=target,
        detail=effect.detail,
    )
    changed = Case.model_validate({**case.model_dump(), **effect.changes, "state": target})
    return _chained(changed, entry), entry


def _chained(case: Case, entry: AuditEntry) -> Case:
    changed_at = entry.at if entry.public else case.changed_at
    return case.model_copy(update={"audit_count": entry.seq, "audit_head": entry.hash, "changed_at": changed_at})


def _record_contact_view(case: Case, *, actor: Actor, stores: CaseStores, now: datetime) -> Case:
    for _ in range(_VIEW_ATTEMPTS - 1):
        try:
            return _append_view(case, actor, stores, now)
        except Conflict:
            case = stores.cases.get(case.evaluation_id)
    return _append_view(case, actor, stores, now)


def _append_view(case: Case, actor: Actor, stores: CaseStores, now: datetime) -> Case:
    entry = next_entry(
        case, at=now, actor=actor, action=Action.VIEW_CONTACT, from_state=case.state, to_state=case.state
    )
    viewed = _chained(case, entry)
    stores.cases.save(viewed, [entry], read_count=case.audit_count)
    return viewed


def _notices(case: Case, entries: list[AuditEntry]) -> list[EvaluatorNotice]:
    """What a real-name evaluator is told of these changes (anonymous evaluators follow the status link)."""
    if not case.real_name:
        return []
    return [
        EvaluatorNotice(evaluation_id=case.evaluation_id, seq=entry.seq, kind=kind, state=entry.to_state)
        for entry in entries
        if (kind := _NOTICES.get(entry.action)) is not None
    ]


def _check_receipt(evaluation_id: str, receipt: str, evaluations: EvaluationStore) -> None:
    evaluation = evaluations.get(evaluation_id)
    if not hmac.compare_digest(evaluation.receipt_hash, receipt_hash(receipt)):
        raise NotFound(f"evaluation {evaluation_id}")


def _list_item(case: Case, now: datetime, stores: CaseStores, names: _Names) -> CaseListItem:
    item = names.item(case.item_code)
    return CaseListItem(
        standing=standing(case, stores.rules.for_region(case.region_code), now),
        escalated_for=case.escalated_for if case.state is CaseState.ESCALATED else None,
        item_name_zh=item[0] if item else None,
        item_name_en=item[1] if item else None,
        agency_name_zh=names.agency(case.agency_code),
        window_name_zh=names.window(case.window_id),
        reopen_count=case.reopen_count,
        evaluation_id=case.evaluation_id,
        kind=case.kind,
        item_code=case.item_code,
        agency_code=case.agency_code,
        region_code=case.region_code,
        window_id=case.window_id,
        level=case.level,
        state=case.state,
        triage=case.triage,
        opened_at=case.opened_at,
        due_at=case.pending_due_at,
        overdue=case.overdue(now),
    )


def _warn_if_calendar_unknown(rules: RegionRules, last_due: datetime) -> None:
    if not rules.calendar.covers(last_due.year):
        logger.warning(
            "working-day calendar unknown; weekends only",
            extra={"year": last_due.year, "region_code": rules.region_code},
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def authorize(actor: Actor, case: Case) -> None:
    """Staff act on their agency's bad-review cases; supervisors on the cases of their region, supervision
    cases included. Forbidden otherwise."""
    if case.supervision and actor.role is not Role.SUPERVISOR:
        raise Forbidden(f"case {case.evaluation_id} is a supervision case")
    try:
        authorize_for(actor, case.agency_code, case.region_code)
    except Forbidden as refused:
        raise Forbidden(f"case {case.evaluation_id} is not one of yours") from refused
