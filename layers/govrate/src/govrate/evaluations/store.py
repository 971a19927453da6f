"""Evaluations in DynamoDB: written once with a condition, never updated, read by id or by day.

An evaluation with a natural key (a service record and stage, a platform's own id, or a client's
idempotency key) is written together with a guard item for that key in one transaction, so a repeat
can never become a second vote.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import GetError, PutError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite
from ulid import ULID

from govrate.evaluations.models import Channel, EvaluatorKind, ReasonCode, Stage
from govrate.integrity.patterns import Pattern
from govrate.kernel.clock import local_day
from govrate.kernel.errors import Conflict, NotFound, StorageUnavailable
from govrate.kernel.indicators import ServiceMode
from govrate.kernel.scale import Level
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.tables import EvaluationItem, bind, shared_connection


class StoredEvaluation(BaseModel):
    """An evaluation as stored; receipt_hash is the SHA-256 of the evaluator's receipt."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    evaluation_id: str
    item_code: str | None
    item_version: int | None = None
    agency_code: str
    region_code: str
    applied_region_code: str | None = None
    channel: Channel
    stage: Stage
    level: Level
    comment: str | None
    created_at: datetime
    receipt_hash: str
    record_id: str | None = None
    window_id: str | None = None
    mode: ServiceMode | None = None
    indicators: dict[str, Level] = {}
    reason_codes: tuple[ReasonCode, ...] = ()
    contact_cipher: bytes | None = None
    system_given: bool = False
    submitted_by: str | None = None
    evaluator_kind: EvaluatorKind = EvaluatorKind.UNKNOWN
    # For the integrity watcher (govrate.integrity): the day's hash of the client's address (public
    # paths only), the patterns intake saw and the label of the staff network the address was in.
    client_key: str | None = None
    intake_flags: tuple[Pattern, ...] = ()
    staff_network: str | None = None
    # Relayed by a downstream stage (its platform id): its case is handled there, and only the fact
    # that a contact was given came with it (govrate.upstream).
    relayed_by: str | None = None
    relayed_real_name: bool = False

    @property
    def bad_review(self) -> bool:
        return self.level.is_bad_review

    @property
    def real_name(self) -> bool:
        return self.contact_cipher is not None or self.relayed_real_name


class AlreadyEvaluated(Conflict):
    """The natural key of the evaluation is taken; `same` tells whether the stored one is identical."""

    def __init__(self, evaluation_id: str, same: bool) -> None:
        super().__init__(f"already evaluated as {evaluation_id}")
        self.evaluation_id = evaluation_id
        self.same = same


class EvaluationGuardItem(Model):
    """`GUARD#<natural key>`: which evaluation holds the key, and a fingerprint of what was submitted."""

    class Meta:
        table_name = "evaluations"

    pk = UnicodeAttribute(hash_key=True)
    entity = UnicodeAttribute(default="guard")
    evaluation_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()


def day_shard(day: date, shard: int) -> str:
    return f"{day:%Y%m%d}#{shard:03d}"


def shard_of(evaluation_id: str, shards: int) -> int:
    """Spread by the ULID's random part, so one busy second never lands on one partition."""
    return int(ULID.from_str(evaluation_id)) % shards


class EvaluationRepository:
    def __init__(self, table_name: str, day_shards: int, utc_offset_hours: int = 8) -> None:
        self._model = bind(EvaluationItem, table_name)
        self._guard = bind(EvaluationGuardItem, table_name)
        self._shards = day_shards
        self._offset = utc_offset_hours
        self._connection = shared_connection()

    def add(self, evaluation: StoredEvaluation, natural_key: str | None = None, fingerprint: str = "") -> None:
        """Store a new evaluation, claiming its natural key in the same transaction.

        Raises AlreadyEvaluated when the key is held by another evaluation; nothing is written then.
        """
        item = self._item(evaluation, fingerprint)
        if natural_key is None:
            try:
                item.save(condition=self._model.pk.does_not_exist())
            except PutError as exc:
                if condition_failed(exc):
                    raise Conflict(f"evaluation {evaluation.evaluation_id} exists") from exc
                raise storage_error(exc, "evaluations table") from exc
            return
        guard = self._guard(f"GUARD#{natural_key}", evaluation_id=evaluation.evaluation_id, fingerprint=fingerprint)
        try:
            with TransactWrite(
                connection=self._connection, client_request_token=evaluation.evaluation_id
            ) as transaction:
                transaction.save(item, condition=self._model.pk.does_not_exist())
                transaction.save(guard, condition=self._guard.pk.does_not_exist())
        except TransactWriteError as exc:
            reasons = [reason.code if reason else None for reason in exc.cancellation_reasons or []]
            if "ConditionalCheckFailed" not in reasons:
                raise storage_error(exc, "evaluations table") from exc
            try:
                holder = self._guard_of(natural_key)
            except self._guard.DoesNotExist as missing:
                raise StorageUnavailable("a conflicting write is in flight; retry") from missing
            raise AlreadyEvaluated(holder.evaluation_id, holder.fingerprint == fingerprint) from exc

    def get(self, evaluation_id: str) -> StoredEvaluation:
        try:
            item = self._model.get(f"EVAL#{evaluation_id}", consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"evaluation {evaluation_id}") from exc
        except GetError as exc:
            raise storage_error(exc, "evaluations table") from exc
        return _to_domain(item)

    def get_many(self, evaluation_ids: Collection[str]) -> dict[str, StoredEvaluation]:
        """BatchGetItem, 100 keys to a call, consistent as `get` is."""
        with translated("evaluations table"):
            items = list(self._model.batch_get([f"EVAL#{i}" for i in evaluation_ids], consistent_read=True))
        return {item.evaluation_id: _to_domain(item) for item in items}

    def on_day(self, day: date) -> Iterator[StoredEvaluation]:
        """Every evaluation created on a local calendar day, shard by shard."""
        with translated("evaluations index"):
            for shard in range(self._shards):
                for item in self._model.by_day.query(day_shard(day, shard)):
                    yield _to_domain(item)

    def holder(self, natural_key: str) -> str | None:
        """The evaluation that holds a natural key, or None while it is free."""
        try:
            return self._guard_of(natural_key).evaluation_id
        except self._guard.DoesNotExist:
            return None

    def _guard_of(self, natural_key: str) -> EvaluationGuardItem:
        with translated("evaluations table"):
            return self._guard.get(f"GUARD#{natural_key}", consistent_read=True)

    def _item(self, evaluation: StoredEvaluation, fingerprint: str) -> EvaluationItem:
        created_utc = evaluation.created_at.astimezone(UTC)
        shard = shard_of(evaluation.evaluation_id, self._shards)
        fields: dict[str, Any] = {
            "evaluation_id": evaluation.evaluation_id,
            "item_code": evaluation.item_code,
            "item_version": evaluation.item_version,
            "agency_code": evaluation.agency_code,
            "region_code": evaluation.region_code,
            "applied_region_code": evaluation.applied_region_code,
            "channel": evaluation.channel.value,
            "stage": evaluation.stage.value,
            "level": int(evaluation.level),
            "bad_review": evaluation.bad_review,
            "comment": evaluation.comment,
            "created_at": evaluation.created_at.isoformat(),
            "receipt_hash": evaluation.receipt_hash,
            "record_id": evaluation.record_id,
            "window_id": evaluation.window_id,
            "mode": evaluation.mode.value if evaluation.mode else None,
            "indicators": {name: int(level) for name, level in evaluation.indicators.items()} or None,
            "reason_codes": [code.value for code in evaluation.reason_codes] or None,
            "real_name": evaluation.real_name,
            "contact_cipher": evaluation.contact_cipher,
            "system_given": evaluation.system_given,
            "submitted_by": evaluation.submitted_by,
            "evaluator_kind": evaluation.evaluator_kind.value,
            "fingerprint": fingerprint or None,
            "client_key": evaluation.client_key,
            "intake_flags": [flag.value for flag in evaluation.intake_flags] or None,
            "staff_network": evaluation.staff_network,
            "relayed_by": evaluation.relayed_by,
            "day_shard": day_shard(local_day(evaluation.created_at, self._offset), shard),
            "created_key": f"{created_utc.isoformat()}#{evaluation.evaluation_id}",
        }
        return self._model(f"EVAL#{evaluation.evaluation_id}", **fields)


def _to_domain(item: EvaluationItem) -> StoredEvaluation:
    indicators: dict[str, Any] = item.indicators.as_dict() if item.indicators is not None else {}
    return StoredEvaluation(
        evaluation_id=item.evaluation_id,
        item_code=item.item_code,
        item_version=int(item.item_version) if item.item_version is not None else None,
        agency_code=item.agency_code,
        region_code=item.region_code,
        applied_region_code=item.applied_region_code,
        channel=Channel(item.channel),
        stage=Stage(item.stage),
        level=Level(int(item.level)),
        comment=item.comment,
        created_at=datetime.fromisoformat(item.created_at),
        receipt_hash=item.receipt_hash,
        record_id=item.record_id,
        window_id=item.window_id,
        mode=ServiceMode(item.mode) if item.mode else None,
        indicators={name: Level(int(value)) for name, value in indicators.items()},
        reason_codes=tuple(ReasonCode(code) for code in item.reason_codes or ()),
        contact_cipher=item.contact_cipher,
        system_given=bool(item.system_given),
        submitted_by=item.submitted_by,
        evaluator_kind=EvaluatorKind(item.evaluator_kind or EvaluatorKind.UNKNOWN),
        client_key=item.client_key,
        intake_flags=tuple(Pattern(flag) for flag in item.intake_flags or ()),
        staff_network=item.staff_network,
        relayed_by=item.relayed_by,
        relayed_real_name=bool(item.relayed_by and item.real_name),
    )
