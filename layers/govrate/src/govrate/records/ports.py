"""What registration and the daily sweep need from storage (`store` in the cloud, in memory in tests)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from govrate.records.store import StoredRecord


class RecordStore(Protocol):
    def register(self, record: StoredRecord) -> StoredRecord | None:
        """Store a new record; when (region, record id) is taken, the stored one (nothing is written)."""
        ...

    def get(self, region_code: str, record_id: str) -> StoredRecord:
        """NotFound when there is none."""
        ...

    def mark_invited(self, region_code: str, record_id: str, at: datetime) -> bool:
        """Claim the record's one invitation; False when it was claimed before."""
        ...

    def unmark_invited(self, region_code: str, record_id: str) -> None: ...

    def completed_on(self, day: date) -> list[StoredRecord]:
        """The records completed on a local calendar day."""
        ...
