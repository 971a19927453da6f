"""The tables' streams → the upstream queue: every new evaluation and every change of a case, as facts.

The relay (functions/intake/relay.py) reads both streams once for all its queues: DynamoDB Streams
serve two consumers per shard, and the integrity watcher is the other. A stage relays what it took
itself and what its own downstreams relayed to it, so a city's evaluation reaches the national level
through its province.

The messages go to a FIFO queue in stream order, grouped by case (an evaluation and its case share the
id), so the upstream sees a case's states in the order they happened. A record whose message was not
published fails, and so does every record after it in the batch: the stream delivers them again from
there, and the queue's deduplication id drops those sent already within its five minutes; the upstream
drops any later repeat by evaluation id and case version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from govrate.kernel.errors import GovrateError
from govrate.storage.items import CASE_SK, EVALUATION_ENTITY, RELAYED_CASE_SK, stream_image
from govrate.upstream.models import RelayedCaseState, RelayedEvaluation, UpstreamMessage

if TYPE_CHECKING:
    from govrate.evaluations.outbox import StreamChange
    from govrate.upstream.ports import UpstreamQueue

# What may cross, read by name: the contact, the comment, the answer and the notes are never read.
_EVALUATION_FACTS = (
    "entity",
    "evaluation_id",
    "item_code",
    "item_version",
    "agency_code",
    "region_code",
    "applied_region_code",
    "channel",
    "stage",
    "level",
    "mode",
    "indicators",
    "reason_codes",
    "record_id",
    "window_id",
    "real_name",
    "system_given",
    "evaluator_kind",
    "created_at",
)
_CASE_FACTS = (
    "sk",
    "evaluation_id",
    "kind",
    "agency_code",
    "region_code",
    "applied_region_code",
    "item_code",
    "state",
    "audit_count",
    "opened_at",
    "evaluated_at",
    "real_name",
    "answered_at",
    "answered_within_deadline",
    "visited_and_rectified",
    "handling_rating",
    "excluded_from_rates",
    "reopen_count",
)
_CASE_ITEMS = (CASE_SK, RELAYED_CASE_SK)


def upstream_message(change: StreamChange) -> UpstreamMessage | None:
    """The message a stream record carries upstream: a new evaluation, a case's new state, or None."""
    if not change.new_image:
        return None
    if change.event_name == "INSERT":
        evaluation = _evaluation(change.new_image)
        if evaluation is not None:
            return UpstreamMessage(evaluation=evaluation)
    if change.event_name in ("INSERT", "MODIFY"):
        case_state = _case_state(change.new_image)
        if case_state is not None:
            return UpstreamMessage(case_state=case_state)
    return None


def _evaluation(new_image: Mapping[str, Any]) -> RelayedEvaluation | None:
    image = stream_image(new_image, _EVALUATION_FACTS)
    if image.pop("entity", None) != EVALUATION_ENTITY:
        return None
    return RelayedEvaluation.model_validate(_present(image))


def _case_state(new_image: Mapping[str, Any]) -> RelayedCaseState | None:
    image = stream_image(new_image, _CASE_FACTS)
    if image.pop("sk", None) not in _CASE_ITEMS:
        return None
    image["case_id"] = image.pop("evaluation_id")
    image["version"] = image.pop("audit_count")
    return RelayedCaseState.model_validate(_present(image))


def _present(image: dict[str, Any]) -> dict[str, Any]:
    """The attributes that hold a value (DynamoDB numbers come as Decimal, whole numbers here)."""
    values: dict[str, Any] = {}
    for name, value in image.items():
        if value is None:
            continue
        if name == "indicators":
            values[name] = {key: int(level) for key, level in value.items()}
        elif name in ("item_version", "level", "version", "reopen_count"):
            values[name] = int(value)
        else:
            values[name] = value
    return values


def relay_upstream(
    changes: Sequence[StreamChange], queue: UpstreamQueue
) -> tuple[dict[str, UpstreamMessage], dict[str, GovrateError]]:
    """Publish the upstream messages among `changes` in their order: the messages published and the
    errors of the records not published, by sequence number. After the first failure nothing more is
    published, and every later record carrying a message fails with it."""
    bound = [(change.sequence_number, message) for change in changes if (message := upstream_message(change))]
    published: dict[str, UpstreamMessage] = {}
    failed: dict[str, GovrateError] = {}
    sent = queue.publish_in_order([message for _, message in bound])
    for index, (sequence_number, message) in enumerate(bound):
        if index < sent.count:
            published[sequence_number] = message
        else:
            assert sent.error is not None
            failed[sequence_number] = sent.error
    return published, failed
