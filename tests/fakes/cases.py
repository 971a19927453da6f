"""Cases with their audit chains and notices in memory (`govrate.cases.store`), and a contact vault."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

from govrate.cases.kinds import CaseKind
from govrate.cases.model import AuditEntry, Case, CaseChange
from govrate.cases.ports import BadReviewNote, EvaluatorNotice, Handled, Joined
from govrate.evaluations.models import CaseState, NegativeReviewMessage
from govrate.kernel.divisions import holds
from govrate.kernel.errors import Conflict, NotFound, StorageMisconfigured


class InMemoryCases:
    def __init__(self) -> None:
        self.stored: dict[str, Case] = {}
        self.chains: dict[str, list[AuditEntry]] = {}
        self.notices: dict[tuple[str, int], EvaluatorNotice] = {}
        self.seen: dict[str, set[tuple[datetime, str]]] = {}
        self.current_burst: dict[str, str] = {}
        self.members: dict[str, dict[str, NegativeReviewMessage]] = {}
        self.held: dict[str, str] = {}
        self.feeds: dict[str, list[CaseChange]] = {}

    def open(self, case: Case, entry: AuditEntry) -> bool:
        if case.evaluation_id in self.stored:
            return False
        self.stored[case.evaluation_id] = case
        self.chains[case.evaluation_id] = [entry]
        self._publish(case, [entry])
        return True

    def save(
        self,
        case: Case,
        entries: Sequence[AuditEntry],
        *,
        read_count: int,
        notices: Sequence[EvaluatorNotice] = (),
    ) -> None:
        stored = self.get(case.evaluation_id)
        keys = [(notice.evaluation_id, notice.seq) for notice in notices]
        if stored.audit_count != read_count or any(key in self.notices for key in keys):
            raise Conflict(f"case {case.evaluation_id} was changed meanwhile; reload it and retry")
        self.stored[case.evaluation_id] = case
        self.chains[case.evaluation_id].extend(entries)
        self.notices.update(zip(keys, notices, strict=True))
        self._publish(case, entries)

    def _publish(self, case: Case, entries: Sequence[AuditEntry]) -> None:
        """A change the evaluator sees goes to the feeds of the case's provinces, numbered on from 1."""
        if not any(entry.public for entry in entries):
            return
        for province in case.feed_provinces:
            feed = self.feeds.setdefault(province, [])
            feed.append(
                CaseChange(
                    seq=len(feed) + 1,
                    evaluation_id=case.evaluation_id,
                    region_code=case.region_code,
                    applied_region_code=case.applied_region_code,
                    case=case.progress(),
                )
            )

    def changes_after(self, province: str, seq: int, limit: int) -> list[CaseChange]:
        return [change for change in self.feeds.get(province, []) if change.seq > seq][:limit]

    def feed_head(self, province: str) -> int:
        feed = self.feeds.get(province, [])
        return feed[-1].seq if feed else 0

    def get(self, evaluation_id: str) -> Case:
        if evaluation_id not in self.stored:
            raise NotFound(f"case of evaluation {evaluation_id}")
        return self.stored[evaluation_id]

    def history(self, evaluation_id: str) -> list[AuditEntry]:
        return list(self.chains.get(evaluation_id, []))

    def open_of_agency(self, agency_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        mine = [case for case in self.stored.values() if case.agency_code == agency_code and not case.supervision]
        return self._page(mine, limit, cursor)

    def open_of_region(self, region_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        held = [case for case in self.stored.values() if holds(region_code, case.region_code)]
        return self._page(held, limit, cursor)

    def overdue(self, now: datetime) -> Iterator[str]:
        for case in list(self.stored.values()):
            if case.kind is CaseKind.BAD_REVIEW and case.pending_due_at is not None and case.pending_due_at < now:
                yield case.evaluation_id

    # --- bursts: the same rules as the repository's conditional writes ---------------------------------

    def handled(self, evaluation_ids: Collection[str]) -> Handled:
        return Handled(
            cased=frozenset(i for i in evaluation_ids if i in self.stored),
            held={i: self.held[i] for i in evaluation_ids if i in self.held},
        )

    def note_bad_reviews(self, notes: Collection[BadReviewNote]) -> None:
        for note in notes:
            self.seen.setdefault(note.subject, set()).add((note.at, note.evaluation_id))

    def bad_reviews_between(self, subject: str, start: datetime, end: datetime, evaluation_id: str, most: int) -> int:
        within = [key for key in self.seen.get(subject, set()) if start <= key[0] and key <= (end, evaluation_id)]
        return min(len(within), most)

    def burst_of(self, subject: str) -> str | None:
        return self.current_burst.get(subject)

    def start_burst(self, subject: str, case: Case, entry: AuditEntry, *, replacing: str | None) -> bool:
        if self.current_burst.get(subject) != replacing or case.evaluation_id in self.stored:
            return False
        self.open(case, entry)
        self.current_burst[subject] = case.evaluation_id
        return True

    def join_burst(self, burst_id: str, review: NegativeReviewMessage) -> Joined:
        if review.evaluation_id in self.held or review.evaluation_id in self.stored:
            return Joined.ALREADY
        if self.get(burst_id).state is not CaseState.RECEIVED:
            return Joined.CLOSED
        self.held[review.evaluation_id] = burst_id
        self.members.setdefault(burst_id, {})[review.evaluation_id] = review
        return Joined.JOINED

    def burst_members(self, burst_id: str) -> list[NegativeReviewMessage]:
        reviews = self.members.get(burst_id, {}).values()
        return sorted(reviews, key=lambda review: (review.created_at, review.evaluation_id))

    def burst_holding(self, evaluation_id: str) -> str | None:
        return self.held.get(evaluation_id)

    @staticmethod
    def _page(cases: list[Case], limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Open cases, the nearest deadline first (none last); the cursor is the position of the next page."""
        ordered = sorted(
            (case for case in cases if case.is_open),
            key=lambda case: (case.pending_due_at is None, case.pending_due_at or case.opened_at, case.evaluation_id),
        )
        start = int(cursor) if cursor else 0
        following = start + limit
        return ordered[start:following], str(following) if following < len(ordered) else None


class InMemoryVault:
    """Seals by binding the owner to the text, and refuses to open it for another owner, as KMS does
    with the encryption context."""

    def seal(self, plaintext: str, owner: str) -> bytes:
        return f"{owner}\n{plaintext}".encode()

    def open(self, ciphertext: bytes, owner: str) -> str:
        sealed_for, _, plaintext = ciphertext.decode().partition("\n")
        if sealed_for != owner:
            raise StorageMisconfigured("the contact was sealed for another owner")
        return plaintext
