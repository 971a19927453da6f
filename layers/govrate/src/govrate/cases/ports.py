"""What the case services use beyond their tables: contact encryption, and the notices for evaluators."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from govrate.evaluations.models import CaseState


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

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluation_id: str
    seq: int = Field(description="The audit entry that caused the notice.")
    kind: NoticeKind
    state: CaseState
