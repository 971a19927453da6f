"""Evaluations and follow-ups in memory (`govrate.evaluations.store`, `govrate.evaluations.follow_ups`)."""

from __future__ import annotations

from collections.abc import Collection

from govrate.evaluations.models import FollowUp
from govrate.evaluations.store import AlreadyEvaluated, StoredEvaluation
from govrate.kernel.errors import Conflict, NotFound


class InMemoryEvaluations:
    def __init__(self) -> None:
        self.stored: dict[str, StoredEvaluation] = {}
        # natural key -> (evaluation id, fingerprint), the guard items of the table
        self._guards: dict[str, tuple[str, str]] = {}

    def add(self, evaluation: StoredEvaluation, natural_key: str | None = None, fingerprint: str = "") -> None:
        if evaluation.evaluation_id in self.stored:
            raise Conflict(f"evaluation {evaluation.evaluation_id} exists")
        if natural_key is not None:
            if natural_key in self._guards:
                holder, held_fingerprint = self._guards[natural_key]
                raise AlreadyEvaluated(holder, held_fingerprint == fingerprint)
            self._guards[natural_key] = (evaluation.evaluation_id, fingerprint)
        self.stored[evaluation.evaluation_id] = evaluation

    def get(self, evaluation_id: str) -> StoredEvaluation:
        if evaluation_id not in self.stored:
            raise NotFound(f"evaluation {evaluation_id}")
        return self.stored[evaluation_id]

    def get_many(self, evaluation_ids: Collection[str]) -> dict[str, StoredEvaluation]:
        return {i: self.stored[i] for i in evaluation_ids if i in self.stored}

    def holder(self, natural_key: str) -> str | None:
        held = self._guards.get(natural_key)
        return held[0] if held else None


class InMemoryFollowUps:
    def __init__(self) -> None:
        self.stored: dict[str, FollowUp] = {}

    def add(self, evaluation_id: str, follow_up: FollowUp) -> None:
        if evaluation_id in self.stored:
            raise Conflict(f"evaluation {evaluation_id} has its follow-up already")
        self.stored[evaluation_id] = follow_up

    def get(self, evaluation_id: str) -> FollowUp:
        if evaluation_id not in self.stored:
            raise NotFound(f"follow-up of {evaluation_id}")
        return self.stored[evaluation_id]
