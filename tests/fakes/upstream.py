"""In-memory pieces of the upstream relay: the upstream queue (FIFO, which can fail from a message on),
the kept case states (a newer version only), the dead letters, and an upstream Govrate that stores
what it is sent with the receiving side's own rules, and can be down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from govrate.kernel.errors import StorageUnavailable
from govrate.platforms.registry import PlatformKey
from govrate.storage.queue import FifoMessage, Published
from govrate.upstream.models import RelayBatch, RelayBatchResult, RelayedCaseState, UpstreamMessage
from govrate.upstream.service import RelayStores, UpstreamFailed, accept_relay_batch
from govrate.web.problems import item_problem

from tests.fakes.evaluations import InMemoryEvaluations


@dataclass
class InMemoryFifoQueue:
    messages: list[FifoMessage] = field(default_factory=list)
    deduplication_ids: set[str] = field(default_factory=set)
    fail_from: int | None = None  # the index (in a call) of the first message the queue refuses

    def publish_in_order(self, messages: Sequence[FifoMessage]) -> Published:
        for index, message in enumerate(messages):
            if self.fail_from is not None and index >= self.fail_from:
                return Published(index, StorageUnavailable("upstream queue unavailable"))
            if message.deduplication_id not in self.deduplication_ids:  # SQS drops a repeat within 5 minutes
                self.deduplication_ids.add(message.deduplication_id)
                self.messages.append(message)
        return Published(len(messages))


@dataclass
class InMemoryDeadLetters:
    messages: list[UpstreamMessage] = field(default_factory=list)

    def move(self, message: UpstreamMessage) -> None:
        self.messages.append(message)


@dataclass
class InMemoryCaseStates:
    kept: dict[str, tuple[RelayedCaseState, str]] = field(default_factory=dict)
    applied: list[tuple[str, int]] = field(default_factory=list)

    def apply(self, state: RelayedCaseState, relayed_by: str) -> bool:
        held = self.kept.get(state.case_id)
        if held is not None and held[0].version >= state.version:
            return False
        self.kept[state.case_id] = (state, relayed_by)
        self.applied.append((state.case_id, state.version))
        return True

    def latest(self, case_id: str) -> RelayedCaseState | None:
        held = self.kept.get(case_id)
        return held[0] if held else None


@dataclass
class InMemoryUpstream:
    """An upstream Govrate on which the downstream is the platform `platform`."""

    platform: PlatformKey
    evaluations: InMemoryEvaluations = field(default_factory=InMemoryEvaluations)
    case_states: InMemoryCaseStates = field(default_factory=InMemoryCaseStates)
    down: bool = False
    posts: int = 0

    def post(self, batch: RelayBatch) -> RelayBatchResult:
        self.posts += 1
        if self.down:
            raise UpstreamFailed("the upstream did not answer: connection refused")
        # Over the wire: what the sender posts is the JSON the upstream parses.
        received = RelayBatch.model_validate_json(batch.model_dump_json())
        stores = RelayStores(evaluations=self.evaluations, case_states=self.case_states)
        return accept_relay_batch(received, platform=self.platform, stores=stores, problem_of=item_problem)
