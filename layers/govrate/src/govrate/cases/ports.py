"""The ports the case services use beyond their tables: contact encryption and evaluator notices."""

from __future__ import annotations

from collections import deque
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from govrate.models import CaseState
from govrate.observability import logger


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
    """What the evaluator of a real-name bad review is told. No personal data: the sender resolves the
    evaluation's contact itself; the evaluator follows the details through the status link."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluation_id: str
    kind: NoticeKind
    state: CaseState


class Notifier(Protocol):
    def notify(self, notice: EvaluatorNotice) -> None: ...


class RecordingNotifier:
    """The local notifier: sends nothing, logs and keeps the latest notices it would have sent."""

    def __init__(self, keep: int = 1000) -> None:
        self.sent: deque[EvaluatorNotice] = deque(maxlen=keep)

    def notify(self, notice: EvaluatorNotice) -> None:
        self.sent.append(notice)
        logger.info("evaluator notice", extra=notice.model_dump(mode="json"))
