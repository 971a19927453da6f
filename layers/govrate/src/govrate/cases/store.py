"""Cases in DynamoDB: one per bad review, keyed by the evaluation id so a redelivery cannot make two.

A case and its audit chain share a partition. Every write puts the whole case item, conditioned on
the chain length it was read with, together with the new audit entries (each conditioned on not
existing) in one transaction: a change without its audit entry, or two concurrent changes, cannot
happen. The index attributes are derived here from the case, so they can never disagree with it.

A change the evaluator sees (an entry that is `public`) of a bad review's case is also published, in
the same transaction, to the change feed of its province (and of the applied-for region's province):
the change item `FEED#<province>` / `CHANGE#<n>` and the feed's head `HEAD`, conditioned on being
`n - 1` still. So the changes of a province are numbered without a gap in the order they commit: the
change `n + 1` cannot commit before `n` has, and a reader that resumes after `n` misses nothing. The
cost is that a province's case changes commit one at a time (staff steps and case openings, never the
evaluations themselves); a write that lost the race for the head reads it again and retries.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import GetError, TransactWriteError
from pynamodb.transactions import TransactWrite

from govrate.cases.kinds import CaseKind
from govrate.cases.model import Action, AuditEntry, BurstOutcome, Case, CaseChange, Triage
from govrate.cases.ports import BadReviewNote, EvaluatorNotice, Handled, Joined
from govrate.evaluations.models import CaseProgress, CaseState, HandlingRating, NegativeReviewMessage
from govrate.evaluations.store import day_shard, shard_of
from govrate.identity.model import Actor
from govrate.kernel.clock import local_day
from govrate.kernel.divisions import DivisionLevel, enclosing, level_of
from govrate.kernel.errors import Conflict, InvalidInput, NotFound, StorageUnavailable
from govrate.kernel.scale import Level
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.items import AUDIT_PREFIX, CASE_SK, NOTICE_PREFIX
from govrate.storage.tables import (
    BurstMemberItem,
    BurstPointerItem,
    BurstWatchItem,
    CaseAuditItem,
    CaseItem,
    CaseNoticeItem,
    FeedChangeItem,
    FeedHeadItem,
    bind,
    shared_connection,
)

MEMBER_PREFIX = "MEMBER#"
HELD_SK = "BURST"
_WATCH_PREFIX = "BURSTWATCH#"
_CURRENT_BURST = "CURRENT"
# Open cases without a pending deadline sort after every dated one.
_NO_DEADLINE = "~"
FEED_PREFIX = "FEED#"
FEED_HEAD = "HEAD"
CHANGE_PREFIX = "CHANGE#"
# How long a published change stays in its province's feed.
FEED_RETENTION = timedelta(days=30)
# Writes that lose the race for a feed's head (to other cases' changes) read it again this often.
_FEED_ATTEMPTS = 10
_FEED_PAUSE_S = 0.02  # the most of the first pause; the n-th is at most n times it


def case_pk(evaluation_id: str) -> str:
    return f"CASE#{evaluation_id}"


def audit_sk(seq: int) -> str:
    return f"{AUDIT_PREFIX}{seq:06d}"


def notice_sk(seq: int) -> str:
    """A notice is keyed by the audit entry that caused it: one notice per entry at most."""
    return f"{NOTICE_PREFIX}{seq:06d}"


def feed_pk(province: str) -> str:
    return f"{FEED_PREFIX}{province}"


def change_sk(seq: int) -> str:
    return f"{CHANGE_PREFIX}{seq:012d}"


def _utc_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CaseRepository:
    def __init__(
        self, table_name: str, *, day_shards: int = 16, due_shards: int = 16, utc_offset_hours: int = 8
    ) -> None:
        self._model = bind(CaseItem, table_name)
        self._audit = bind(CaseAuditItem, table_name)
        self._notice = bind(CaseNoticeItem, table_name)
        self._watch = bind(BurstWatchItem, table_name)
        self._pointer = bind(BurstPointerItem, table_name)
        self._member = bind(BurstMemberItem, table_name)
        self._head = bind(FeedHeadItem, table_name)
        self._change = bind(FeedChangeItem, table_name)
        self._day_shards = day_shards
        self._due_shards = due_shards
        self._offset = utc_offset_hours
        self._connection = shared_connection()

    # --- writes -------------------------------------------------------------------------------------

    def open(self, case: Case, entry: AuditEntry) -> bool:
        """Store a new case with the first entry of its chain; False when the evaluation already has a
        case (a redelivered message), in which case nothing is written."""

        def write(transaction: TransactWrite) -> None:
            transaction.save(self._item(case), condition=self._model.pk.does_not_exist())
            transaction.save(self._audit_item(entry), condition=self._audit.pk.does_not_exist())

        try:
            self._publishing(write, case, [entry])
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "cases table") from exc
        return True

    def save(
        self,
        case: Case,
        entries: Sequence[AuditEntry],
        *,
        read_count: int,
        notices: Sequence[EvaluatorNotice] = (),
    ) -> None:
        """Store the changed case, the entries that record the change and the notices it gives the
        evaluator (the outbox the relay reads from the table's stream). Conflict when the case was
        changed (its chain grew) since it was read with `read_count` entries."""

        def write(transaction: TransactWrite) -> None:
            transaction.save(self._item(case), condition=self._model.audit_count == read_count)
            for entry in entries:
                transaction.save(self._audit_item(entry), condition=self._audit.pk.does_not_exist())
            for notice in notices:
                transaction.save(self._notice_item(notice), condition=self._notice.pk.does_not_exist())

        try:
            self._publishing(write, case, entries)
        except TransactWriteError as exc:
            if condition_failed(exc):
                raise Conflict(f"case {case.evaluation_id} was changed meanwhile; reload it and retry") from exc
            raise storage_error(exc, "cases table") from exc

    def _publishing(self, write: Callable[[TransactWrite], None], case: Case, entries: Sequence[AuditEntry]) -> None:
        """Run the case's transaction `write`, with the change published to its provinces' feeds when the
        evaluator sees it. A transaction refused for the case's own items raises its TransactWriteError;
        one that lost a feed's head to another case's change is tried again on the new head, after a
        random pause that grows with each attempt: the consumers that raced for the head then take
        turns instead of racing again."""
        provinces = case.feed_provinces if any(entry.public for entry in entries) else set()
        for attempt in range(_FEED_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, _FEED_PAUSE_S * attempt))  # noqa: S311 - spreading retries, not a secret
            heads = {province: self.feed_head(province) for province in sorted(provinces)}
            try:
                with TransactWrite(connection=self._connection) as transaction:
                    write(transaction)
                    for province, head in heads.items():
                        self._publish(transaction, province, head, case)
                return
            except TransactWriteError as exc:
                if not provinces or not condition_failed(exc) or _refused_for_the_case(exc, len(heads)):
                    raise
        raise StorageUnavailable("the change feed is busy with other cases' changes; retry")

    def feed_head(self, province: str) -> int:
        """The number of the province's newest change; 0 before the first."""
        try:
            return int(self._head.get(feed_pk(province), FEED_HEAD, consistent_read=True).seq)
        except self._head.DoesNotExist:
            return 0
        except GetError as exc:
            raise storage_error(exc, "cases table") from exc

    def _publish(self, transaction: TransactWrite, province: str, head: int, case: Case) -> None:
        progress = case.progress()
        seq = head + 1
        current = self._head.pk.does_not_exist() if head == 0 else self._head.seq == head
        transaction.save(self._head(feed_pk(province), FEED_HEAD, seq=seq), condition=current)
        change = self._change(
            feed_pk(province),
            change_sk(seq),
            seq=seq,
            evaluation_id=case.evaluation_id,
            region_code=case.region_code,
            applied_region_code=case.applied_region_code,
            case=progress.model_dump_json(),
            expires_at=case.last_public_change_at + FEED_RETENTION,
        )
        transaction.save(change, condition=self._change.pk.does_not_exist())

    # --- bursts -------------------------------------------------------------------------------------

    def handled(self, evaluation_ids: Collection[str]) -> Handled:
        """The case item and the burst marker of each review, by BatchGetItem (100 keys, 50 reviews, a call)."""
        keys = [(case_pk(evaluation_id), sk) for evaluation_id in evaluation_ids for sk in (CASE_SK, HELD_SK)]
        with translated("cases table"):
            found = list(self._member.batch_get(keys, consistent_read=True, attributes_to_get=["pk", "sk", "burst_id"]))
        return Handled(
            cased=frozenset(item.pk.removeprefix("CASE#") for item in found if item.sk == CASE_SK),
            held={item.pk.removeprefix("CASE#"): item.burst_id for item in found if item.sk == HELD_SK},
        )

    def note_bad_reviews(self, notes: Collection[BadReviewNote]) -> None:
        """BatchWriteItem, 25 to a call; the same review noted twice is one item."""
        items = {
            (f"{_WATCH_PREFIX}{note.subject}", f"{_utc_key(note.at)}#{note.evaluation_id}"): note.keep_until
            for note in notes
        }
        with translated("cases table"), self._watch.batch_write() as batch:
            for (pk, sk), keep_until in items.items():
                batch.save(self._watch(pk, sk, expires_at=keep_until))

    def bad_reviews_between(self, subject: str, start: datetime, end: datetime, evaluation_id: str, most: int) -> int:
        """A count (Select=COUNT): DynamoDB reads at most `most` keys and returns none of them."""
        with translated("cases table"):
            return self._watch.count(
                f"{_WATCH_PREFIX}{subject}",
                self._watch.sk.between(_utc_key(start), f"{_utc_key(end)}#{evaluation_id}"),
                consistent_read=True,
                limit=most,
            )

    def burst_of(self, subject: str) -> str | None:
        try:
            return self._pointer.get(f"BURSTS#{subject}", _CURRENT_BURST, consistent_read=True).burst_id
        except self._pointer.DoesNotExist:
            return None
        except GetError as exc:
            raise storage_error(exc, "cases table") from exc

    def start_burst(self, subject: str, case: Case, entry: AuditEntry, *, replacing: str | None) -> bool:
        pointer = self._pointer(f"BURSTS#{subject}", _CURRENT_BURST, burst_id=case.evaluation_id)
        current = self._pointer.pk.does_not_exist() if replacing is None else self._pointer.burst_id == replacing
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(self._item(case), condition=self._model.pk.does_not_exist())
                transaction.save(self._audit_item(entry), condition=self._audit.pk.does_not_exist())
                transaction.save(pointer, condition=current)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "cases table") from exc
        return True

    def join_burst(self, burst_id: str, review: NegativeReviewMessage) -> Joined:
        """The review's marker, its entry in the burst, on condition that the burst still awaits its
        decision and the review has no case: all or nothing."""
        evaluation_id = review.evaluation_id
        held = self._member(case_pk(evaluation_id), HELD_SK, burst_id=burst_id)
        member = self._member(
            case_pk(burst_id), f"{MEMBER_PREFIX}{evaluation_id}", burst_id=burst_id, review=review.model_dump_json()
        )
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(held, condition=self._member.pk.does_not_exist())
                transaction.save(member, condition=self._member.pk.does_not_exist())
                transaction.condition_check(
                    self._model, case_pk(burst_id), CASE_SK, condition=self._model.state == CaseState.RECEIVED.value
                )
                transaction.condition_check(
                    self._model, case_pk(evaluation_id), CASE_SK, condition=self._model.pk.does_not_exist()
                )
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise storage_error(exc, "cases table") from exc
            taken = self.burst_holding(evaluation_id) is not None or self._exists(evaluation_id)
            return Joined.ALREADY if taken else Joined.CLOSED
        return Joined.JOINED

    def burst_members(self, burst_id: str) -> list[NegativeReviewMessage]:
        with translated("cases table"):
            items = self._member.query(
                case_pk(burst_id), self._member.sk.startswith(MEMBER_PREFIX), consistent_read=True
            )
            reviews = [NegativeReviewMessage.model_validate_json(item.review or "") for item in items]
        return sorted(reviews, key=lambda review: (review.created_at, review.evaluation_id))

    def burst_holding(self, evaluation_id: str) -> str | None:
        try:
            return self._member.get(case_pk(evaluation_id), HELD_SK, consistent_read=True).burst_id
        except self._member.DoesNotExist:
            return None
        except GetError as exc:
            raise storage_error(exc, "cases table") from exc

    def _exists(self, evaluation_id: str) -> bool:
        try:
            self.get(evaluation_id)
        except NotFound:
            return False
        return True

    # --- reads --------------------------------------------------------------------------------------

    def get(self, evaluation_id: str) -> Case:
        try:
            item = self._model.get(case_pk(evaluation_id), CASE_SK, consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"case of evaluation {evaluation_id}") from exc
        except GetError as exc:
            raise storage_error(exc, "cases table") from exc
        return _case(item)

    def history(self, evaluation_id: str) -> list[AuditEntry]:
        """The audit chain as stored, oldest first."""
        with translated("cases table"):
            items = self._audit.query(
                case_pk(evaluation_id), self._audit.sk.startswith(AUDIT_PREFIX), consistent_read=True
            )
            return [_entry(item) for item in items]

    def open_of_agency(self, agency_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """The agency's open cases, the nearest deadline first."""
        return self._page(self._model.open_by_agency, "open_agency", agency_code, limit, cursor)

    def open_of_region(self, region_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """The open cases of a division and of the divisions it holds, the nearest deadline first."""
        index, hash_name = {
            DivisionLevel.PROVINCE: (self._model.open_by_province, "open_province"),
            DivisionLevel.CITY: (self._model.open_by_city, "open_city"),
            DivisionLevel.COUNTY: (self._model.open_by_region, "open_region"),
        }[level_of(region_code)]
        return self._page(index, hash_name, region_code, limit, cursor)

    def changes_after(self, province: str, seq: int, limit: int) -> list[CaseChange]:
        """The province's published changes numbered after `seq`, oldest first, at most `limit`."""
        with translated("cases table"):
            items = self._change.query(
                feed_pk(province),
                self._change.sk.between(change_sk(seq + 1), f"{CHANGE_PREFIX}~"),
                consistent_read=True,
                limit=limit,
            )
            return [
                CaseChange(
                    seq=int(item.seq),
                    evaluation_id=item.evaluation_id,
                    region_code=item.region_code,
                    applied_region_code=item.applied_region_code,
                    case=CaseProgress.model_validate_json(item.case),
                )
                for item in items
            ]

    def overdue(self, now: datetime) -> Iterator[str]:
        """Evaluation ids of cases whose pending deadline has passed, from every shard of `by_due`."""
        with translated("cases index"):
            for shard in range(self._due_shards):
                for item in self._model.by_due.query(_due_shard(shard), self._model.due_key < _utc_key(now)):
                    yield item.pk.removeprefix("CASE#")

    def cases_on(self, day: date) -> Iterator[Case]:
        """The cases of the bad reviews given on a local day (analyze's read), shard by shard; the
        supervision cases of the day are not about a review and count in no rate."""
        with translated("cases index"):
            for shard in range(self._day_shards):
                for item in self._model.by_rate_day.query(day_shard(day, shard)):
                    case = _case(item)
                    if case.kind is CaseKind.BAD_REVIEW:
                        yield case

    def _page(
        self, index: Any, hash_name: str, hash_value: str, limit: int, cursor: str | None
    ) -> tuple[list[Case], str | None]:
        start = _decode_cursor(cursor, hash_name, hash_value) if cursor else None
        with translated("cases index"):
            result = index.query(hash_value, limit=limit, last_evaluated_key=start)
            cases = [_case(item) for item in result]
        following = result.last_evaluated_key
        return cases, _encode_cursor(following) if following else None

    # --- mapping ------------------------------------------------------------------------------------

    def _item(self, case: Case) -> CaseItem:
        due = case.pending_due_at
        open_key = f"{_utc_key(due) if due else _NO_DEADLINE}#{case.evaluation_id}"
        # Supervision cases are the supervisors': not the agency's list, not the sweep. They stay in
        # `by_rate_day`, which the daily seals read every case of a day from; `cases_on` leaves them out.
        bad_review = case.kind is CaseKind.BAD_REVIEW
        sweeping = due is not None and bad_review
        return self._model(
            case_pk(case.evaluation_id),
            CASE_SK,
            evaluation_id=case.evaluation_id,
            kind=case.kind.value,
            item_code=case.item_code,
            agency_code=case.agency_code,
            region_code=case.region_code,
            applied_region_code=case.applied_region_code,
            window_id=case.window_id,
            level=int(case.level) if case.level is not None else None,
            state=case.state.value,
            opened_at=case.opened_at.isoformat(),
            evaluated_at=case.evaluated_at.isoformat(),
            real_name=case.real_name,
            verify_due_at=case.verify_due_at.isoformat(),
            answer_due_at=case.answer_due_at.isoformat(),
            triage=case.triage.value if case.triage else None,
            resume_state=case.resume_state.value if case.resume_state else None,
            escalated_for=case.escalated_for.value if case.escalated_for else None,
            reopen_count=case.reopen_count,
            visited=case.visited,
            rectified=case.rectified,
            answer=case.answer,
            answered_at=case.answered_at.isoformat() if case.answered_at else None,
            answered_within_deadline=case.answered_within_deadline,
            handling_rating=case.handling_rating.value if case.handling_rating else None,
            excluded_from_rates=case.excluded_from_rates,
            visited_and_rectified=case.visited_and_rectified,
            note=case.note,
            burst_outcome=case.burst_outcome.value if case.burst_outcome else None,
            changed_at=case.changed_at.isoformat() if case.changed_at else None,
            audit_count=case.audit_count,
            audit_head=case.audit_head,
            open_agency=case.agency_code if case.is_open and bad_review else None,
            open_region=case.region_code if case.is_open else None,
            open_city=enclosing(case.region_code, DivisionLevel.CITY) if case.is_open else None,
            open_province=enclosing(case.region_code, DivisionLevel.PROVINCE) if case.is_open else None,
            open_key=open_key if case.is_open else None,
            due_shard=_due_shard(shard_of(case.evaluation_id, self._due_shards)) if sweeping else None,
            due_key=f"{_utc_key(due)}#{case.evaluation_id}" if due else None,
            rate_day_shard=day_shard(
                local_day(case.evaluated_at, self._offset), shard_of(case.evaluation_id, self._day_shards)
            ),
        )

    def _notice_item(self, notice: EvaluatorNotice) -> CaseNoticeItem:
        return self._notice(
            case_pk(notice.evaluation_id),
            notice_sk(notice.seq),
            evaluation_id=notice.evaluation_id,
            seq=notice.seq,
            kind=notice.kind.value,
            state=notice.state.value,
        )

    def _audit_item(self, entry: AuditEntry) -> CaseAuditItem:
        return self._audit(
            case_pk(entry.evaluation_id),
            audit_sk(entry.seq),
            evaluation_id=entry.evaluation_id,
            seq=entry.seq,
            at=entry.at.isoformat(),
            actor=entry.actor.model_dump_json(),
            action=entry.action.value,
            from_state=entry.from_state.value if entry.from_state else None,
            to_state=entry.to_state.value,
            detail=json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


def _refused_for_the_case(exc: TransactWriteError, feed_items: int) -> bool:
    """Whether a transaction was refused by an item of the case (the case, its entries and notices: all
    but the last two items per feed) rather than by a feed's head only."""
    reasons = exc.cancellation_reasons or []
    own = reasons[: len(reasons) - 2 * feed_items] if reasons else []
    return not reasons or any(
        reason is not None and reason.code in {"ConditionalCheckFailed", "TransactionConflict"} for reason in own
    )


def _due_shard(shard: int) -> str:
    return f"DUE#{shard:03d}"


def _optional_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _case(item: CaseItem) -> Case:
    return Case(
        evaluation_id=item.evaluation_id,
        kind=CaseKind(item.kind) if item.kind else CaseKind.BAD_REVIEW,
        item_code=item.item_code,
        agency_code=item.agency_code,
        region_code=item.region_code,
        applied_region_code=item.applied_region_code,
        window_id=item.window_id,
        level=Level(int(item.level)) if item.level is not None else None,
        state=CaseState(item.state),
        opened_at=datetime.fromisoformat(item.opened_at),
        evaluated_at=datetime.fromisoformat(item.evaluated_at),
        real_name=bool(item.real_name),
        verify_due_at=datetime.fromisoformat(item.verify_due_at),
        answer_due_at=datetime.fromisoformat(item.answer_due_at),
        triage=Triage(item.triage) if item.triage else None,
        resume_state=CaseState(item.resume_state) if item.resume_state else None,
        escalated_for=Action(item.escalated_for) if item.escalated_for else None,
        reopen_count=int(item.reopen_count or 0),
        visited=bool(item.visited),
        rectified=bool(item.rectified),
        answer=item.answer,
        answered_at=_optional_time(item.answered_at),
        answered_within_deadline=item.answered_within_deadline,
        handling_rating=HandlingRating(item.handling_rating) if item.handling_rating else None,
        excluded_from_rates=bool(item.excluded_from_rates),
        note=item.note,
        burst_outcome=BurstOutcome(item.burst_outcome) if item.burst_outcome else None,
        changed_at=_optional_time(item.changed_at),
        audit_count=int(item.audit_count),
        audit_head=item.audit_head,
    )


def _entry(item: CaseAuditItem) -> AuditEntry:
    return AuditEntry(
        evaluation_id=item.evaluation_id,
        seq=int(item.seq),
        at=datetime.fromisoformat(item.at),
        actor=Actor.model_validate_json(item.actor),
        action=Action(item.action),
        from_state=CaseState(item.from_state) if item.from_state else None,
        to_state=CaseState(item.to_state),
        detail=json.loads(item.detail),
        prev_hash=item.prev_hash,
        hash=item.hash,
    )


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def _decode_cursor(cursor: str, hash_name: str, hash_value: str) -> dict[str, Any]:
    """The start key a cursor names, refused unless it is one this listing handed out."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(key, dict) or key.get(hash_name) != {"S": hash_value}:
        raise _bad_cursor()
    return key


def _bad_cursor() -> InvalidInput:
    return InvalidInput("the cursor is not valid", [{"field": "cursor", "message": "not a cursor of this list"}])
