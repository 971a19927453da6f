"""moto's SQS made to keep its pace under a backlog, as the local stack needs it.

moto computes every attribute of a queue, its message counts included (each a pass over every message,
reading the clock through datetime arithmetic for each), wherever it needs one setting: on every
SendMessage, and three times for each message a ReceiveMessage considers (its retention period). With
a few hundred messages waiting, each call cost more than the one before, and the consumer of a backlog
fell further behind the more it had to catch up. Here a message's visibility and delay read the clock
once, cheaply, and a receive reads the retention period from the queue itself.
"""

from __future__ import annotations

import functools
import time

from moto.sqs.models import Message, SQSBackend


@functools.cache  # once per process
def keep_pace_under_backlog() -> None:
    Message.visible = property(lambda message: time.time() * 1000 > message.visible_at)  # type: ignore[method-assign,assignment]
    Message.delayed = property(lambda message: time.time() * 1000 < message.delayed_until)  # type: ignore[method-assign,assignment]
    SQSBackend.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign,assignment]


def _within_retention(backend: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_s = int(backend.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return message.sent_timestamp / 1000 + retention_s > time.time()  # type: ignore[operator]
