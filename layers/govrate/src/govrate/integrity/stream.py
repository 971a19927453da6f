"""What the watcher reads from the tables' streams: new evaluations and service records (evaluations
stream) and overdue escalations (the audit entries of the cases stream)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from govrate.integrity.patterns import Pattern
from govrate.integrity.watch import ObservedEscalation, ObservedEvaluation, ObservedRecord
from govrate.kernel.scale import Level
from govrate.storage.items import AUDIT_PREFIX, EVALUATION_ENTITY, RECORD_ENTITY, stream_image

ESCALATE_OVERDUE = "escalate_overdue"

# What the watcher reads of an item (never a sealed contact).
_ATTRIBUTES = (
    "entity",
    "sk",
    "evaluation_id",
    "record_id",
    "region_code",
    "agency_code",
    "item_code",
    "window_id",
    "level",
    "created_at",
    "completed_at",
    "system_given",
    "client_key",
    "comment",
    "intake_flags",
    "staff_network",
    "relayed_by",
    "action",
    "at",
)


def observed(
    event_name: str, new_image: Mapping[str, Any] | None, created: datetime | None
) -> ObservedEvaluation | ObservedRecord | ObservedEscalation | None:
    """What a stream record tells the watcher; None for anything else. `created`: when the stream saw
    the write (its ApproximateCreationDateTime), which is when a record was registered."""
    if event_name != "INSERT" or not new_image:
        return None
    image = stream_image(new_image, _ATTRIBUTES)
    entity = image.get("entity")
    # A relayed evaluation was watched where it was given, by the supervisors of its region.
    if entity == EVALUATION_ENTITY and not image.get("relayed_by"):
        return ObservedEvaluation(
            evaluation_id=image["evaluation_id"],
            region_code=image["region_code"],
            agency_code=image["agency_code"],
            item_code=image.get("item_code"),
            window_id=image.get("window_id"),
            record_id=image.get("record_id"),
            level=Level(int(image["level"])),
            created_at=datetime.fromisoformat(image["created_at"]),
            system_given=bool(image.get("system_given")),
            client_key=image.get("client_key"),
            comment=image.get("comment"),
            intake_flags=tuple(Pattern(flag) for flag in image.get("intake_flags") or ()),
            staff_network=image.get("staff_network"),
        )
    if entity == RECORD_ENTITY and created is not None:
        return ObservedRecord(
            record_id=image["record_id"],
            region_code=image["region_code"],
            agency_code=image["agency_code"],
            completed_at=datetime.fromisoformat(image["completed_at"]),
            registered_at=created,
        )
    if str(image.get("sk", "")).startswith(AUDIT_PREFIX) and image.get("action") == ESCALATE_OVERDUE:
        return ObservedEscalation(evaluation_id=image["evaluation_id"], at=datetime.fromisoformat(image["at"]))
    return None
