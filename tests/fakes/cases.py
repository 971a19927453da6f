"""Cases with their audit chains and notices in memory (`govrate.cases.store`), and a contact vault."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from govrate.cases.model import AuditEntry, Case
from govrate.cases.ports import EvaluatorNotice
from govrate.kernel.divisions import holds
from govrate.kernel.errors import Conflict, NotFound, StorageMisconfigured


class InMemoryCases:
    def __init__(self) -> None:
        self.stored: dict[str, Case] = {}
        self.chains: dict[str, list[AuditEntry]] = {}
        self.notices: dict[tuple[str, int], EvaluatorNotice] = {}

    def open(self, case: Case, entry: AuditEntry) -> bool:
        if case.evaluation_id in self.stored:
            return False
        self.stored[case.evaluation_id] = case
        self.chains[case.evaluation_id] = [entry]
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

    def get(self, evaluation_id: str) -> Case:
        if evaluation_id not in self.stored:
            raise NotFound(f"case of evaluation {evaluation_id}")
        return self.stored[evaluation_id]

    def history(self, evaluation_id: str) -> list[AuditEntry]:
        return list(self.chains.get(evaluation_id, []))

    def open_of_agency(self, agency_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        return self._page([case for case in self.stored.values() if case.agency_code == agency_code], limit, cursor)

    def open_of_region(self, region_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        held = [case for case in self.stored.values() if holds(region_code, case.region_code)]
        return self._page(held, limit, cursor)

    def overdue(self, now: datetime) -> Iterator[str]:
        for case in list(self.stored.values()):
            if case.pending_due_at is not None and case.pending_due_at < now:
                yield case.evaluation_id

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
