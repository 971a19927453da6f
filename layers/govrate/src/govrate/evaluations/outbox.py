"""The outbox relay: what the tables' streams carry to queues.

Intake and the case services write only to DynamoDB; the streams are their outboxes. A new bad review
(evaluations stream) goes to the negative-review queue, whose consumer opens its case (govrate.cases);
a notice for an evaluator (cases stream) goes to the notice queue that the region's SMS / e-mail
gateway reads. The messages of a batch of records are published 10 to a call; a record whose message
was not published is retried by the stream, so nothing written is left unsent; a record may be sent
twice, which the consumers recognise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govrate.cases.ports import EvaluatorNotice, NoticeKind
from govrate.evaluations.models import CaseState, NegativeReviewMessage
from govrate.kernel.errors import GovrateError
from govrate.kernel.scale import Level
from govrate.storage.items import EVALUATION_ENTITY, NOTICE_PREFIX, stream_image

if TYPE_CHECKING:
    from govrate.storage.queue import MessageQueue

# The attributes a message is made of (never the sealed contact).
_MESSAGE_ATTRIBUTES = (
    "entity",
    "bad_review",
    "evaluation_id",
    "item_code",
    "agency_code",
    "region_code",
    "level",
    "created_at",
    "relayed_by",
)


def negative_review_from_stream(event_name: str, new_image: Mapping[str, Any] | None) -> NegativeReviewMessage | None:
    """The message for a newly inserted bad review, or None for anything else on the stream."""
    if event_name != "INSERT" or not new_image:
        return None
    image = stream_image(new_image, _MESSAGE_ATTRIBUTES)
    # A relayed bad review has its case where it was given (govrate.upstream).
    if image.get("entity") != EVALUATION_ENTITY or not image.get("bad_review") or image.get("relayed_by"):
        return None
    return NegativeReviewMessage(
        evaluation_id=image["evaluation_id"],
        item_code=image.get("item_code"),
        agency_code=image["agency_code"],
        region_code=image["region_code"],
        level=Level(int(image["level"])),
        created_at=datetime.fromisoformat(image["created_at"]),
    )


def notice_from_stream(event_name: str, new_image: Mapping[str, Any] | None) -> EvaluatorNotice | None:
    """The notice for an evaluator newly stored with a case change, or None for anything else."""
    if event_name != "INSERT" or not new_image:
        return None
    if not stream_image(new_image, ("sk",)).get("sk", "").startswith(NOTICE_PREFIX):
        return None
    image = stream_image(new_image, ("evaluation_id", "seq", "kind", "state"))
    return EvaluatorNotice(
        evaluation_id=image["evaluation_id"],
        seq=int(image["seq"]),
        kind=NoticeKind(image["kind"]),
        state=CaseState(image["state"]),
    )


@dataclass(frozen=True)
class OutboxQueues:
    negative_reviews: MessageQueue
    notices: MessageQueue


@dataclass(frozen=True)
class StreamChange:
    """A stream record as the relay reads it: its sequence number, its event name and its new image
    (low-level attribute values)."""

    sequence_number: str
    event_name: str
    new_image: Mapping[str, Any] | None


OutboxMessage = NegativeReviewMessage | EvaluatorNotice


@dataclass(frozen=True)
class RelayOutcome:
    """What a batch of stream records became, by sequence number: the messages published and the
    errors of those that were not. A record that is neither carried nothing to relay."""

    published: dict[str, OutboxMessage]
    failed: dict[str, GovrateError]


def outbox_message(change: StreamChange) -> OutboxMessage | None:
    """The message a stream record carries: a new bad review, a new notice, or None."""
    bad_review = negative_review_from_stream(change.event_name, change.new_image)
    if bad_review is not None:
        return bad_review
    return notice_from_stream(change.event_name, change.new_image)


def relay_stream_changes(changes: Sequence[StreamChange], queues: OutboxQueues) -> RelayOutcome:
    """Publish the bad reviews and notices among `changes` to their queues, a batch at a time."""
    messages = [(change.sequence_number, outbox_message(change)) for change in changes]
    outcome = RelayOutcome(published={}, failed={})
    for queue, kind in ((queues.negative_reviews, NegativeReviewMessage), (queues.notices, EvaluatorNotice)):
        bound = [(sequence_number, message) for sequence_number, message in messages if isinstance(message, kind)]
        failures = queue.publish_batch([message for _, message in bound])
        for index, (sequence_number, message) in enumerate(bound):
            if index in failures:
                outcome.failed[sequence_number] = failures[index]
            else:
                outcome.published[sequence_number] = message
    return outcome
