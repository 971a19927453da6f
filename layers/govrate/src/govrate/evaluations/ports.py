"""What the intake rules need from storage; DynamoDB in the cloud (`store`, `follow_ups`), in memory in tests."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from govrate.evaluations.models import FollowUp
    from govrate.evaluations.store import StoredEvaluation


class EvaluationStore(Protocol):
    def add(self, evaluation: StoredEvaluation, natural_key: str | None = None, fingerprint: str = "") -> None:
        """Store a new evaluation, claiming its natural key at the same time; AlreadyEvaluated when
        another evaluation holds the key (nothing is written then), Conflict when the id is taken."""
        ...

    def get(self, evaluation_id: str) -> StoredEvaluation:
        """NotFound when there is none."""
        ...

    def get_many(self, evaluation_ids: Collection[str]) -> dict[str, StoredEvaluation]:
        """The evaluations of those ids that exist, by id, read together."""
        ...

    def holder(self, natural_key: str) -> str | None:
        """The evaluation that holds a natural key, or None while it is free."""
        ...


class FollowUpStore(Protocol):
    def add(self, evaluation_id: str, follow_up: FollowUp) -> None:
        """Conflict when the evaluation has its follow-up already."""
        ...

    def get(self, evaluation_id: str) -> FollowUp:
        """NotFound when there is none."""
        ...
