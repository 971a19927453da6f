"""Supervisor alerts: one notice per cause and period, for the supervisors of a division (sent by
`govrate.integrity.alert_topic`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from govrate.kernel.contracts import Contract


class AlertKind(StrEnum):
    BAD_REVIEW_SHARE = "bad_review_share"
    INTERFERENCE_FLAG = "interference_flag"
    OVERDUE_ESCALATION = "overdue_escalation"


class Alert(Contract):
    """A notice for the supervisors of `region_code`: Chinese first, then English; no personal data."""

    kind: AlertKind
    key: str
    """The cause and its period: at most one notice per key."""
    region_code: str
    agency_code: str
    at: datetime
    title_zh: str
    title_en: str
    detail_zh: str
    detail_en: str

    @property
    def text(self) -> str:
        footer = f"{self.key} · {self.at:%Y-%m-%d %H:%M}"
        return "\n".join((self.title_zh, self.detail_zh, "", self.title_en, self.detail_en, "", footer))
