"""Where supervisor alerts go: the SNS topic of the supervisors (with the division code as a message
attribute, so that each division's supervisors subscribe with a filter policy), or the log where
there is no topic (the local stack)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govrate.integrity.alerts import Alert
from govrate.kernel.observability import logger
from govrate.storage.clients import aws_client
from govrate.storage.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsAlerts:
    """Publishes to the supervisors' topic. Attributes `region_code` (filter on a prefix: `5132` for a
    city's supervisors), `agency_code` and `kind`."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self._topic_arn = topic_arn
        self._client = client or aws_client("sns")

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
