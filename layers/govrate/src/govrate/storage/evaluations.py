"""Evaluations in DynamoDB: written once with a condition, never updated, read by id or by day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from pynamodb.exceptions import GetError, PutError, QueryError
from ulid import ULID

from govrate.clock import local_day
from govrate.errors import Conflict, NotFound, StorageUnavailable
from govrate.models import Channel, Stage
from govrate.scale import Level
from govrate.storage.tables import EvaluationItem, bind
from pydantic import BaseModel, ConfigDict


class StoredEvaluation(BaseModel):
    """An evaluation as stored; receipt_hash is the SHA-256 of the evaluator's receipt."""

    model_config = ConfigDict(frozen=True)

    evaluation_id: str
    item_code: str
    agency_code: str
    region_code: str
    channel: Channel
    stage: Stage
    level: Level
    comment: str | None
    created_at: datetime
    receipt_hash: str

    @property
    def bad_review(self) -> bool:
        return self.level.is_bad_review


def day_shard(day: date, shard: int) -> str:
    return f"{day:%Y%m%d}#{shard:03d}"


def shard_of(evaluation_id: str, shards: int) -> int:
    """Spread by the ULID's random part, so one busy second never lands on one partition."""
    return int(ULID.from_str(evaluation_id)) % shards


class EvaluationRepository:
    def __init__(self, table_name: str, day_shards: int, utc_offset_hours: int = 8) -> None:
        self._model = bind(EvaluationItem, table_name)
        self._shards = day_shards
        self._offset = utc_offset_hours

    def add(self, evaluation: StoredEvaluation) -> None:
        """Store a new evaluation; an id that exists already is a Conflict (evaluations are immutable)."""
        day = evaluation.created_at.astimezone(UTC)
        item = self._model(
            f"EVAL#{evaluation.evaluation_id}",
            evaluation_id=evaluation.evaluation_id,
            item_code=evaluation.item_code,
            agency_code=evaluation.agency_code,
            region_code=evaluation.region_code,
            channel=evaluation.channel.value,
            stage=evaluation.stage.value,
            level=int(evaluation.level),
            bad_review=evaluation.bad_review,
            comment=evaluation.comment,
            created_at=evaluation.created_at.isoformat(),
            receipt_hash=evaluation.receipt_hash,
            day_shard=day_shard(self._local_day(evaluation.created_at), self._shard(evaluation)),
            created_key=f"{day.isoformat()}#{evaluation.evaluation_id}",
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(f"evaluation {evaluation.evaluation_id} exists") from exc
            raise StorageUnavailable("evaluations table unavailable") from exc

    def get(self, evaluation_id: str) -> StoredEvaluation:
        try:
            item = self._model.get(f"EVAL#{evaluation_id}", consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"evaluation {evaluation_id}") from exc
        except GetError as exc:
            raise StorageUnavailable("evaluations table unavailable") from exc
        return _to_domain(item)

    def on_day(self, day: date) -> Iterator[StoredEvaluation]:
        """Every evaluation created on a local calendar day, shard by shard."""
        try:
            for shard in range(self._shards):
                for item in self._model.by_day.query(day_shard(day, shard)):
                    yield _to_domain(item)
        except QueryError as exc:
            raise StorageUnavailable("evaluations index unavailable") from exc

    def _shard(self, evaluation: StoredEvaluation) -> int:
        return shard_of(evaluation.evaluation_id, self._shards)

    def _local_day(self, moment: datetime) -> date:
        return local_day(moment, self._offset)


def _to_domain(item: EvaluationItem) -> StoredEvaluation:
    return StoredEvaluation(
        evaluation_id=item.evaluation_id,
        item_code=item.item_code,
        agency_code=item.agency_code,
        region_code=item.region_code,
        channel=Channel(item.channel),
        stage=Stage(item.stage),
        level=Level(int(item.level)),
        comment=item.comment,
        created_at=datetime.fromisoformat(item.created_at),
        receipt_hash=item.receipt_hash,
    )
