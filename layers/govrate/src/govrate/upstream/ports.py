"""What the relay needs: the upstream's signed batch API and the dead-letter queue (sending side),
and where relayed case states are kept (receiving side; relayed evaluations go to the evaluation store)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from govrate.storage.queue import Published
    from govrate.upstream.models import RelayBatch, RelayBatchResult, RelayedCaseState, UpstreamMessage


class UpstreamQueue(Protocol):
    def publish_in_order(self, messages: Sequence[UpstreamMessage]) -> Published:
        """Publish in order, stopping at the first message not published (FIFO: nothing overtakes it)."""
        ...


class UpstreamApi(Protocol):
    def post(self, batch: RelayBatch) -> RelayBatchResult:
        """The upstream's answer per item; UpstreamFailed when it gave none (down, slow, or refused
        the whole request)."""
        ...


class DeadLetters(Protocol):
    def move(self, message: UpstreamMessage) -> None:
        """Keep a message the upstream refused for an operator; StorageUnavailable when it cannot."""
        ...


class CaseStateStore(Protocol):
    def apply(self, state: RelayedCaseState, relayed_by: str) -> bool:
        """Keep the state unless the case is at this version or a newer one already; whether it was kept."""
        ...

    def latest(self, case_id: str) -> RelayedCaseState | None:
        """The newest state kept of a relayed case; None before its first."""
        ...
