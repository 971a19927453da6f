"""Service records in memory (`govrate.records.store`), and the invitations sent (`govrate.storage.queue`)."""

from __future__ import annotations

from datetime import date, datetime

from govrate.kernel.clock import local_day
from govrate.kernel.errors import NotFound, StorageUnavailable
from govrate.records.invitations import Invitation
from govrate.records.store import StoredRecord


class InMemoryRecords:
    def __init__(self, utc_offset_hours: int = 8) -> None:
        self.stored: dict[tuple[str, str], StoredRecord] = {}
        self.invited: set[tuple[str, str]] = set()
        self._offset = utc_offset_hours

    def register(self, record: StoredRecord) -> StoredRecord | None:
        key = (record.region_code, record.record_id)
        if key in self.stored:
            return self.stored[key]
        self.stored[key] = record
        return None

    def get(self, region_code: str, record_id: str) -> StoredRecord:
        if (region_code, record_id) not in self.stored:
            raise NotFound(f"service record {record_id} in {region_code}")
        return self.stored[(region_code, record_id)]

    def mark_invited(self, region_code: str, record_id: str, at: datetime) -> bool:
        if (region_code, record_id) in self.invited:
            return False
        self.invited.add((region_code, record_id))
        return True

    def unmark_invited(self, region_code: str, record_id: str) -> None:
        self.invited.discard((region_code, record_id))

    def completed_on(self, day: date) -> list[StoredRecord]:
        return [record for record in self.stored.values() if local_day(record.completed_at, self._offset) == day]


class InvitationOutbox:
    """The invitations sent, in order; `unavailable` makes the next sends fail as an SQS outage does."""

    def __init__(self) -> None:
        self.sent: list[Invitation] = []
        self.unavailable = False

    def publish(self, message: Invitation) -> None:
        if self.unavailable:
            raise StorageUnavailable("the invitation queue is unavailable")
        self.sent.append(message)
