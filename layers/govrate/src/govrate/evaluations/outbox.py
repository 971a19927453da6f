"""The outbox relay: what the tables' streams carry to queues.

Intake and the case services write only to DynamoDB; the streams are their outboxes. A new bad review
(evaluations stream) goes to the negative-review queue, whose consumer opens its case (govrate.cases);
a notice for an evaluator (cases stream) goes to the notice queue that the region's SMS / e-mail
gateway reads. A record whose publish fails is retried by the stream, so nothing written is left
unsent; a record may be sent twice, which the consumers recognise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govrate.cases.ports import EvaluatorNotice, NoticeKind
from govrate.evaluations.models import CaseState, NegativeReviewMessage
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
)


def negative_review_from_stream(event_name: str, new_image: Mapping[str, Any] | None) -> NegativeReviewMessage | None:
    """The message for a newly inserted bad review, or None for anything else on the stream."""
    if event_name != "INSERT" or not new_image:
        return None
    image = stream_image(new_image, _MESSAGE_ATTRIBUTES)
    if image.get("entity") != EVALUATION_ENTITY or not image.get("bad_review"):
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


def relay_stream_record(
    event_name: str, new_image: Mapping[str, Any] | None, queues: OutboxQueues
) -> NegativeReviewMessage | EvaluatorNotice | None:
    """Publish a stream record that is a new bad review or a notice to its queue; what was published."""
    bad_review = negative_review_from_stream(event_name, new_image)
    if bad_review is not None:
        queues.negative_reviews.publish(bad_review)
        return bad_review
    notice = notice_from_stream(event_name, new_image)
    if notice is not None:
        queues.notices.publish(notice)
    return notice
