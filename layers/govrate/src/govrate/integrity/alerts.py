"""Supervisor alerts: one notice per cause and period, to the SNS topic of the supervisors (with the
division code as a message attribute, so that each division's supervisors subscribe with a filter
policy), or to the log where there is no topic (the local stack)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import boto3

from govrate.kernel.contracts import Contract
from govrate.kernel.observability import logger
from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


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


class SnsAlerts:
    """Publishes to the supervisors' topic. Attributes `region_code` (filter on a prefix: `5132` for a
    city's supervisors), `agency_code` and `kind`."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self._topic_arn = topic_arn
        self._client = client or boto3.client("sns")

    def send(self, alert: Alert) -> None:
        with translated("supervisor alert topic"):
            self._client.publish(
                TopicArn=self._topic_arn,
                # SNS subjects are ASCII: the English title; the message has both languages.
                Subject=alert.title_en[:100],
                Message=alert.text,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in (
                        ("region_code", alert.region_code),
                        ("agency_code", alert.agency_code),
                        ("kind", alert.kind.value),
                    )
                },
            )


class LoggedAlerts:
    """Where no topic is configured (the local stack): the alert is a log line of its own."""

    def send(self, alert: Alert) -> None:
        logger.warning("supervisor alert\n" + alert.text, extra={"alert": alert.model_dump(mode="json")})
