"""What the case services depend on: the case store, contact encryption, and the notices for evaluators."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field

from govrate.evaluations.models import CaseState

if TYPE_CHECKING:
    from govrate.cases.model import AuditEntry, Case, CaseChange
    from govrate.evaluations.models import NegativeReviewMessage


class Encryptor(Protocol):
    """Seals and opens personal data bound to its owner (KMS with an encryption context in the cloud
    and on moto: `govrate.storage.contact_vault.ContactVault`)."""

    def seal(self, plaintext: str, owner: str) -> bytes: ...

    def open(self, ciphertext: bytes, owner: str) -> str: ...


class NoticeKind(StrEnum):
    ANSWERED = "answered"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    CLOSED = "closed"


class EvaluatorNotice(BaseModel):
    """What the evaluator of a real-name bad review is told, through the region's SMS / e-mail gateway.

    No personal data: the gateway adapter opens the evaluation's contact itself; the evaluator follows
    the details through the status link. A notice is stored with the change that causes it (the case
    table's stream is the outbox) and may be delivered more than once: (evaluation_id, seq) is its
    identity, for the gateway to drop a repeat.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    evaluation_id: str
    seq: int = Field(description="The audit entry that caused the notice.")
    kind: NoticeKind
    state: CaseState


class CaseStore(Protocol):
    """Cases with their audit chains (`govrate.cases.store.CaseRepository` in the cloud). Every write is
    conditional: a case is opened once, and a change is stored only on the chain it was read with."""

    def open(self, case: Case, entry: AuditEntry) -> bool:
        """Store a new case with the first entry of its chain; False (nothing written) when it exists."""
        ...

    def save(
        self,
        case: Case,
        entries: Sequence[AuditEntry],
        *,
        read_count: int,
        notices: Sequence[EvaluatorNotice] = (),
    ) -> None:
        """Store the changed case, its new entries and notices; Conflict when its chain grew since it was
        read with `read_count` entries."""
        ...

    def get(self, evaluation_id: str) -> Case:
        """NotFound when there is none."""
        ...

    def history(self, evaluation_id: str) -> list[AuditEntry]:
        """The audit chain, oldest first."""
        ...

    def open_of_agency(self, agency_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """The agency's open cases, the nearest deadline first, a page at a time."""
        ...

    def open_of_region(self, region_code: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """The open cases of a division and the divisions it holds, the nearest deadline first."""
        ...

    def overdue(self, now: datetime) -> Iterator[str]:
        """Evaluation ids of the cases whose pending deadline has passed."""
        ...


class Joined(StrEnum):
    JOINED = "joined"
    ALREADY = "already"
    """The bad review is in a burst already (a redelivered message): nothing written."""
    CLOSED = "closed"
    """The burst was decided meanwhile: it takes no more bad reviews."""


@dataclass(frozen=True)
class Handled:
    """What became of bad reviews already: those that have a case, and the burst holding each one held."""

    cased: frozenset[str]
    held: Mapping[str, str]

    def __contains__(self, evaluation_id: object) -> bool:
        return evaluation_id in self.cased or evaluation_id in self.held


@dataclass(frozen=True)
class BadReviewNote:
    """A bad review of `subject` given `at`, counted for its burst threshold until `keep_until`."""

    subject: str
    evaluation_id: str
    at: datetime
    keep_until: datetime


class BurstStore(Protocol):
    """The bad reviews seen per subject (a window, or an item of an agency) and the bursts they form
    (`govrate.cases.store.CaseRepository` in the cloud, the same table as the cases)."""

    def handled(self, evaluation_ids: Collection[str]) -> Handled:
        """Which of these bad reviews have a case, and which are held in a burst: read together."""
        ...

    def note_bad_reviews(self, notes: Collection[BadReviewNote]) -> None:
        """Remember bad reviews for their subjects' counts, written together (idempotent by the
        evaluation)."""
        ...

    def bad_reviews_between(self, subject: str, start: datetime, end: datetime, evaluation_id: str, most: int) -> int:
        """How many bad reviews of `subject` were given from `start` up to `end` (ties ordered by
        evaluation id, up to `evaluation_id` itself); counting stops at `most`."""
        ...

    def burst_of(self, subject: str) -> str | None:
        """The id of the subject's current burst case, if it ever had one (decided or not)."""
        ...

    def start_burst(self, subject: str, case: Case, entry: AuditEntry, *, replacing: str | None) -> bool:
        """Open a burst case and make it the subject's current one, unless the subject's current burst is
        no longer `replacing` (someone else started one first): then False and nothing written."""
        ...

    def join_burst(self, burst_id: str, review: NegativeReviewMessage) -> Joined:
        """Add a bad review to a burst that awaits its decision; never to two bursts, never to one
        whose review has a case already."""
        ...

    def burst_members(self, burst_id: str) -> list[NegativeReviewMessage]:
        """The bad reviews of a burst, oldest first."""
        ...

    def burst_holding(self, evaluation_id: str) -> str | None:
        """The burst that holds a bad review, if any."""
        ...


class CaseStatusReader(Protocol):
    """What the evaluator's status reads of the cases: a bad review's case, or the burst holding it."""

    def get(self, evaluation_id: str) -> Case: ...

    def burst_holding(self, evaluation_id: str) -> str | None: ...


class CaseFeed(Protocol):
    """The published changes of bad reviews' cases, numbered per province without a gap in the order
    they were stored (`govrate.cases.store.CaseRepository` in the cloud)."""

    def changes_after(self, province: str, seq: int, limit: int) -> list[CaseChange]:
        """The province's changes numbered after `seq`, oldest first, at most `limit`; those past the
        feed's retention are gone."""
        ...

    def feed_head(self, province: str) -> int:
        """The number of the province's newest change; 0 before the first."""
        ...
