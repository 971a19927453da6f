"""Relaying bad reviews from the evaluations stream to the queue (cases are opened in govrate.cases)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from govrate.models import NegativeReviewMessage
from govrate.scale import Level
from govrate.storage.queue import NegativeReviewQueue
from govrate.storage.tables import EVALUATION_ENTITY

_deserializer = TypeDeserializer()
# The attributes a message is made of. Only these are read: Lambda hands binary attributes (the
# sealed contact) over as base64 text, which the deserializer would refuse, and the relay never
# needs them.
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
    image = {key: _deserializer.deserialize(new_image[key]) for key in _MESSAGE_ATTRIBUTES if key in new_image}
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


def relay_negative_review(event_name: str, new_image: Mapping[str, Any] | None, queue: NegativeReviewQueue) -> bool:
    """Publish the stream record to the queue if it is a new bad review; True when something was sent.

    The stream is the outbox: intake writes only to DynamoDB, and a record whose publish fails is
    retried by the stream, so an accepted bad review always reaches the queue.
    """
    message = negative_review_from_stream(event_name, new_image)
    if message is None:
        return False
    queue.publish(message)
    return True
