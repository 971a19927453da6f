"""What the integrity watcher needs from storage and from the supervisors' alert channel; DynamoDB and
SNS in the cloud (`store`, `alerts`), in memory in tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from govrate.integrity.alerts import Alert
from govrate.integrity.patterns import Flag, Pattern


class WatchStore(Protocol):
    def note(self, series: str, member: str, at: datetime, *, keep_until: datetime) -> None:
        """Note `member` in the sliding-window series at `at` (the same note twice is one note)."""
        ...

    def members(self, series: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        """The members noted in the series from `since` to `until`, both included, with their times."""
        ...

    def count(self, series: str, since: datetime, until: datetime, *, up_to: int | None = None) -> int:
        """How many members were noted in the series from `since` to `until`, counted no further than
        `up_to` when it is given (what a threshold needs, whatever the series holds)."""
        ...

    def flag_exists(self, flag: Flag) -> bool: ...

    def raise_flag(self, flag: Flag) -> None:
        """Store the flag, or add its evaluation and record ids to the stored one (whose time and
        evidence stay those it was raised with)."""
        ...

    def mark(self, flag: Flag, evaluations: Sequence[tuple[str, datetime]]) -> None:
        """Attach the flag to each (evaluation id, evaluation time), for the analytics export."""
        ...

    def flags_in(self, province_code: str, month: date) -> list[Flag]:
        """The flags of a province raised for periods starting in a month."""
        ...

    def flagged_on(self, day: date) -> dict[str, tuple[Pattern, ...]]:
        """The patterns flagged on each evaluation given on a local day (only flagged ones)."""
        ...

    def claim_alert(self, key: str, *, keep_until: datetime) -> bool:
        """Claim the one notice of `key`; False when it was claimed before."""
        ...

    def release_alert(self, key: str) -> None:
        """Give the claim back after a failed send, so that a retry sends it."""
        ...


class AlertSender(Protocol):
    def send(self, alert: Alert) -> None:
        """Deliver the alert to the supervisors of its region; StorageUnavailable when it cannot."""
        ...
