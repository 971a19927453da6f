"""Move messages from the negative-review dead-letter queue back to the queue, after the cause of
their failure is fixed. Opening a case is idempotent, so a message moved twice does no harm.

    .venv/bin/python -m govrate.cases.redrive [--dlq URL] [--queue URL] [--limit N]

URLs default to GOVRATE_NEGATIVE_REVIEWS_DLQ_URL and GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL. Each message
is sent to the queue before it is deleted from the dead-letter queue: a crash in between leaves a
duplicate, never a loss. (In the cloud, the console's "Start DLQ redrive", SQS StartMessageMoveTask,
does the same; moto does not implement it, this works everywhere.)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from govrate.kernel.errors import StorageUnavailable
from govrate.settings import get_settings
from govrate.storage.clients import aws_client

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_BATCH = 10


class DeadLetterRedrive:
    def __init__(self, client: SQSClient | None = None) -> None:
        self._client = client or aws_client("sqs")

    def move(self, dead_letter_url: str, queue_url: str, *, limit: int) -> int:
        """Move up to `limit` messages; the number moved."""
        moved = 0
        try:
            while moved < limit:
                messages = self._client.receive_message(
                    QueueUrl=dead_letter_url,
                    MaxNumberOfMessages=min(_BATCH, limit - moved),
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=0,
                ).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    attributes = message.get("MessageAttributes")
                    if attributes:
                        self._client.send_message(
                            QueueUrl=queue_url, MessageBody=message["Body"], MessageAttributes=attributes
                        )
                    else:
                        self._client.send_message(QueueUrl=queue_url, MessageBody=message["Body"])
                    self._client.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=message["ReceiptHandle"])
                    moved += 1
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"redrive stopped after {moved} messages") from exc
        return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m govrate.cases.redrive",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dlq", default=get_settings().negative_reviews_dlq_url, help="dead-letter queue URL")
    parser.add_argument("--queue", default=get_settings().negative_reviews_queue_url, help="queue URL")
    parser.add_argument("--limit", type=int, default=10_000, help="move at most this many messages")
    arguments = parser.parse_args(argv)
    if not arguments.dlq or not arguments.queue:
        parser.error("both queue URLs are needed")
    try:
        moved = DeadLetterRedrive().move(arguments.dlq, arguments.queue, limit=arguments.limit)
    except StorageUnavailable as exc:
        sys.stderr.write(f"{exc}: {exc.__cause__}\n")
        return 1
    sys.stdout.write(f"moved {moved} messages\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
