"""The two sides of a level: a stage sends what its relay queued to its upstream, and an upstream
stores what its downstreams send, each item idempotently.

Sending: one signed POST per batch of queued messages. No answer (the upstream is down, slow, or
refuses the request as a whole: a wrong key) fails the batch, so the queue keeps every message and
delivers it again in order; an item the upstream refuses on its own will not pass on a retry, so it
goes to the dead-letter queue and its group goes on.

Receiving: an evaluation is stored once by its id (a repeat is a duplicate), a case state only when
its version is newer than the one kept. A relayed evaluation opens no case here: its case is handled
where it was given, and its states come after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from govrate.kernel.errors import Conflict, GovrateError, StorageUnavailable
from govrate.platforms.models import ItemProblem
from govrate.upstream.models import (
    RelayBatch,
    RelayBatchResult,
    RelayedCaseState,
    RelayedEvaluation,
    RelayItemResult,
    RelayItemStatus,
    UpstreamMessage,
)

if TYPE_CHECKING:
    from govrate.evaluations.ports import EvaluationStore
    from govrate.evaluations.store import StoredEvaluation
    from govrate.platforms.registry import PlatformKey
    from govrate.upstream.ports import CaseStateStore, DeadLetters, UpstreamApi


class UpstreamFailed(StorageUnavailable):
    """The upstream gave no answer per item: the batch is delivered again later."""


@dataclass(frozen=True)
class Delivery:
    """A queued message and the id its queue knows it by."""

    message_id: str
    message: UpstreamMessage


@dataclass(frozen=True)
class Refused:
    """An item the upstream refused: what it was (`UpstreamMessage.label`) and why."""

    item: str
    problem: ItemProblem


@dataclass
class SendReport:
    """What the upstream answered for each message of a batch, by message id."""

    statuses: dict[str, RelayItemStatus] = field(default_factory=dict)
    dead_lettered: dict[str, Refused] = field(default_factory=dict)

    @property
    def delivered(self) -> list[str]:
        """The messages the upstream took (stored, or had already): settled, off the queue."""
        return [message_id for message_id, status in self.statuses.items() if status is not RelayItemStatus.REJECTED]

    def counts(self) -> dict[str, int]:
        """How many items of each status, every status named (0 included)."""
        return {status.value: list(self.statuses.values()).count(status) for status in RelayItemStatus}


def send_upstream(deliveries: Sequence[Delivery], *, upstream: UpstreamApi, dead_letters: DeadLetters) -> SendReport:
    """Post the messages as one batch. UpstreamFailed (nothing is settled) when the upstream gave no
    answer per item; otherwise each refused item is moved to the dead-letter queue."""
    evaluations = [delivery for delivery in deliveries if delivery.message.evaluation]
    case_states = [delivery for delivery in deliveries if delivery.message.case_state]
    answer = upstream.post(RelayBatch.of([delivery.message for delivery in [*evaluations, *case_states]]))
    report = SendReport()
    for sent, results in ((evaluations, answer.evaluations), (case_states, answer.case_states)):
        if len(results) != len(sent):
            raise UpstreamFailed(f"the upstream answered {len(results)} results for {len(sent)} items")
        for delivery, result in zip(sent, results, strict=True):
            if result.status is RelayItemStatus.REJECTED:
                dead_letters.move(delivery.message)
                report.dead_lettered[delivery.message_id] = Refused(
                    delivery.message.label, result.problem or _unexplained()
                )
            report.statuses[delivery.message_id] = result.status
    return report


@dataclass(frozen=True)
class RelayStores:
    evaluations: EvaluationStore
    case_states: CaseStateStore


def accept_relay_batch(
    batch: RelayBatch,
    *,
    platform: PlatformKey,
    stores: RelayStores,
    problem_of: Callable[[GovrateError], ItemProblem],
) -> RelayBatchResult:
    """Store what a downstream stage relayed, for the downstream's own regions only: an item handled or
    applied for in them, as for a platform's evaluation (an item of neither is rejected). Forbidden, for
    the whole batch, from a platform that is not a downstream stage. StorageUnavailable stops the batch:
    the downstream sends it again, whole."""
    platform.check_downstream()

    def evaluation_result(index: int, evaluation: RelayedEvaluation) -> RelayItemResult:
        try:
            platform.check_sees(evaluation.region_code, evaluation.applied_region_code, "evaluations.region_code")
            stores.evaluations.add(_stored(evaluation, platform.platform_id))
        except StorageUnavailable:
            raise
        except Conflict:
            return RelayItemResult(index=index, status=RelayItemStatus.DUPLICATE)
        except GovrateError as refused:
            return RelayItemResult(index=index, status=RelayItemStatus.REJECTED, problem=problem_of(refused))
        return RelayItemResult(index=index, status=RelayItemStatus.STORED)

    def case_state_result(index: int, state: RelayedCaseState) -> RelayItemResult:
        try:
            platform.check_sees(state.region_code, state.applied_region_code, "case_states.region_code")
            kept = stores.case_states.apply(state, platform.platform_id)
        except StorageUnavailable:
            raise
        except GovrateError as refused:
            return RelayItemResult(index=index, status=RelayItemStatus.REJECTED, problem=problem_of(refused))
        return RelayItemResult(index=index, status=RelayItemStatus.STORED if kept else RelayItemStatus.STALE)

    return RelayBatchResult(
        evaluations=[evaluation_result(index, item) for index, item in enumerate(batch.evaluations)],
        case_states=[case_state_result(index, item) for index, item in enumerate(batch.case_states)],
    )


def _stored(evaluation: RelayedEvaluation, relayed_by: str) -> StoredEvaluation:
    # The store's module loads pynamodb and boto3: only when a relay batch comes, not at the intake
    # function's cold start.
    from govrate.evaluations.store import StoredEvaluation

    return StoredEvaluation(
        evaluation_id=evaluation.evaluation_id,
        item_code=evaluation.item_code,
        item_version=evaluation.item_version,
        agency_code=evaluation.agency_code,
        region_code=evaluation.region_code,
        applied_region_code=evaluation.applied_region_code,
        channel=evaluation.channel,
        stage=evaluation.stage,
        level=evaluation.level,
        comment=None,
        created_at=evaluation.created_at,
        receipt_hash="",
        record_id=evaluation.record_id,
        window_id=evaluation.window_id,
        mode=evaluation.mode,
        indicators=evaluation.indicators,
        reason_codes=evaluation.reason_codes,
        system_given=evaluation.system_given,
        submitted_by=relayed_by,
        evaluator_kind=evaluation.evaluator_kind,
        relayed_by=relayed_by,
        relayed_real_name=evaluation.real_name,
    )


def _unexplained() -> ItemProblem:
    return ItemProblem(type="about:blank", title="Rejected by the upstream", status=422)
