"""Service records (办件) in the evaluations table: registered once, idempotent on (region, record id)."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict
from pynamodb.attributes import BinaryAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError, PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from govrate.evaluations.models import Stage
from govrate.evaluations.store import day_shard
from govrate.kernel.clock import local_day
from govrate.kernel.errors import NotFound
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.items import RECORD_ENTITY
from govrate.storage.tables import bind


class RecordsByDayIndex(GlobalSecondaryIndex["ServiceRecordItem"]):
    """Records by local completion day, sharded; the invitation and default-rating sweeps read it."""

    class Meta:
        index_name = "records_by_day"
        projection = AllProjection()

    record_day_shard = UnicodeAttribute(hash_key=True)
    record_key = UnicodeAttribute(range_key=True)


class ServiceRecordItem(Model):
    class Meta:
        table_name = "evaluations"

    pk = UnicodeAttribute(hash_key=True)
    entity = UnicodeAttribute(default=RECORD_ENTITY)
    record_id = UnicodeAttribute()
    region_code = UnicodeAttribute()
    item_code = UnicodeAttribute()
    item_version = NumberAttribute()
    agency_code = UnicodeAttribute()
    window_id = UnicodeAttribute(null=True)
    stages = ListAttribute[str]()
    completed_at = UnicodeAttribute()
    contact_cipher = BinaryAttribute(null=True, legacy_encoding=False)
    registered_by = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    record_day_shard = UnicodeAttribute()
    record_key = UnicodeAttribute()
    by_day = RecordsByDayIndex()


class InvitationMarkItem(Model):
    """`INVITED#<region>#<record>`: the applicant was invited once; the sweep never invites twice."""

    class Meta:
        table_name = "evaluations"

    pk = UnicodeAttribute(hash_key=True)
    entity = UnicodeAttribute(default="invitation_mark")
    invited_at = UnicodeAttribute()


class StoredRecord(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    record_id: str
    region_code: str
    item_code: str
    item_version: int
    agency_code: str
    window_id: str | None
    stages: tuple[Stage, ...]
    completed_at: datetime
    contact_cipher: bytes | None
    registered_by: str
    fingerprint: str


class ServiceRecordRepository:
    def __init__(self, table_name: str, day_shards: int, utc_offset_hours: int = 8) -> None:
        self._model = bind(ServiceRecordItem, table_name)
        self._mark = bind(InvitationMarkItem, table_name)
        self._shards = day_shards
        self._offset = utc_offset_hours

    def register(self, record: StoredRecord) -> StoredRecord | None:
        """Store a new record; when the id is taken, return the stored one instead (nothing is written)."""
        shard = zlib.crc32(record.record_id.encode()) % self._shards
        item = self._model(
            _key(record.region_code, record.record_id),
            record_id=record.record_id,
            region_code=record.region_code,
            item_code=record.item_code,
            item_version=record.item_version,
            agency_code=record.agency_code,
            window_id=record.window_id,
            stages=[stage.value for stage in record.stages],
            completed_at=record.completed_at.isoformat(),
            contact_cipher=record.contact_cipher,
            registered_by=record.registered_by,
            fingerprint=record.fingerprint,
            record_day_shard=day_shard(local_day(record.completed_at, self._offset), shard),
            record_key=f"{record.completed_at.astimezone(UTC).isoformat()}#{record.region_code}#{record.record_id}",
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return self.get(record.region_code, record.record_id)
            raise storage_error(exc, "evaluations table") from exc
        return None

    def get(self, region_code: str, record_id: str) -> StoredRecord:
        try:
            item = self._model.get(_key(region_code, record_id), consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"service record {record_id} in {region_code}") from exc
        except GetError as exc:
            raise storage_error(exc, "evaluations table") from exc
        return _to_domain(item)

    def mark_invited(self, region_code: str, record_id: str, at: datetime) -> bool:
        """Claim the record's one invitation; False when it was claimed before."""
        mark = self._mark(f"INVITED#{region_code}#{record_id}", invited_at=at.isoformat())
        try:
            mark.save(condition=self._mark.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "evaluations table") from exc
        return True

    def unmark_invited(self, region_code: str, record_id: str) -> None:
        """Release the claim after a failed send, so the next sweep tries again."""
        with translated("evaluations table"):
            self._mark(f"INVITED#{region_code}#{record_id}").delete()

    def completed_on(self, day: date) -> list[StoredRecord]:
        with translated("records index"):
            return [
                _to_domain(item)
                for shard in range(self._shards)
                for item in self._model.by_day.query(day_shard(day, shard))
            ]


def _key(region_code: str, record_id: str) -> str:
    return f"RECORD#{region_code}#{record_id}"


def _to_domain(item: ServiceRecordItem) -> StoredRecord:
    return StoredRecord(
        record_id=item.record_id,
        region_code=item.region_code,
        item_code=item.item_code,
        item_version=int(item.item_version),
        agency_code=item.agency_code,
        window_id=item.window_id,
        stages=tuple(Stage(stage) for stage in item.stages),
        completed_at=datetime.fromisoformat(item.completed_at),
        contact_cipher=item.contact_cipher,
        registered_by=item.registered_by,
        fingerprint=item.fingerprint,
    )
