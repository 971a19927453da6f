"""What regional platforms do over the signed API: prove who they are, register service records and
post evaluations, one at a time or in batches, for their own regions only.

Retries are safe by natural keys: a record by (region, record id), an evaluation by (record, stage)
or by (platform, external id). The same post again is a replay; a different one under a taken key
is a Conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from govrate.catalogue.snapshot import CatalogueSnapshot
from govrate.evaluations.models import (
    EvaluationAccepted,
    EvaluationSubmission,
    ServiceRecordRegistered,
    ServiceRecordRegistration,
)
from govrate.evaluations.service import IntakeStores, submit_evaluation
from govrate.kernel.errors import GovrateError, InvalidInput, StorageUnavailable, Unauthenticated
from govrate.platforms.models import BatchOutcome
from govrate.platforms.registry import PlatformKey
from govrate.records.service import TicketIssuer, register_record

if TYPE_CHECKING:
    from govrate.platforms.ports import NonceStore, PlatformKeys
    from govrate.platforms.signatures import SignedRequest

ItemT = TypeVar("ItemT")
# Items of a platform's batch written at a time.
BATCH_WRITERS = 10


def authenticate_platform(
    request: SignedRequest,
    *,
    platforms: Mapping[str, PlatformKey],
    keys: PlatformKeys,
    nonces: NonceStore,
    now: datetime,
) -> PlatformKey:
    """The platform whose key signed the request; Unauthenticated for an unknown key id, a signature
    that does not verify, one that is too old, and a nonce used before."""
    from govrate.platforms.signatures import MAX_AGE, signature_key_id, verify_signature

    key_id = signature_key_id(request.headers)
    platform = platforms.get(key_id)
    if platform is None:
        raise Unauthenticated(f"unknown key id {key_id!r}")
    signature = verify_signature(request, key_id, keys.key(platform.secret_arn), now=now)
    if not nonces.claim(key_id, signature.nonce, now=now, until=signature.created + MAX_AGE):
        raise Unauthenticated("the nonce was used before: a replayed request is refused; sign every request anew")
    return platform


def register_platform_record(
    registration: ServiceRecordRegistration, *, platform: PlatformKey, stores: IntakeStores, tickets: TicketIssuer
) -> ServiceRecordRegistered:
    platform.check_not_downstream()
    platform.check_region(registration.region_code)
    return register_record(registration, stores=stores, tickets=tickets, registered_by=platform.platform_id)


def submit_platform_evaluation(
    submission: EvaluationSubmission, *, platform: PlatformKey, stores: IntakeStores, now: datetime
) -> EvaluationAccepted:
    """A platform's evaluation, in the channel it came from; the platform is trusted with service
    records (no ticket), and must name the record or its own id so that a retry is a replay. A
    trans-regional service is the platform's when it was handled or applied for in its regions."""
    platform.check_not_downstream()
    platform.check_sees(submission.region_code, submission.applied_region_code)
    if submission.record_id is None and submission.external_id is None:
        raise InvalidInput(
            "a platform identifies each evaluation, so that a retry is recognised",
            [{"field": "external_id", "message": "give record_id or external_id"}],
        )
    return submit_evaluation(submission, stores=stores, now=now, tickets=None, submitted_by=platform.platform_id)


def submit_platform_batch(
    items: Sequence[EvaluationSubmission | ValidationError],
    *,
    platform: PlatformKey,
    stores: IntakeStores,
    now: datetime,
) -> list[BatchOutcome]:
    """Each item on its own (`submit_each`), BATCH_WRITERS at a time; items with the same identity
    (record and stage, or external id) one after the other, so the second is a duplicate, never a race.
    An outage stops the batch, and the platform retries it whole. A downstream stage is refused whole.
    The batch reads each catalogue entry once (`CatalogueSnapshot`)."""
    platform.check_not_downstream()
    stores = replace(stores, catalogue=CatalogueSnapshot(stores.catalogue))
    return submit_each(
        items,
        lambda submission: submit_platform_evaluation(submission, platform=platform, stores=stores, now=now),
        identity=lambda submission: (
            (submission.region_code, submission.record_id, submission.stage)
            if submission.record_id is not None
            else submission.external_id
        ),
        writers=BATCH_WRITERS,
    )


def submit_each(
    items: Iterable[ItemT | GovrateError | ValidationError],
    submit: Callable[[ItemT], EvaluationAccepted],
    *,
    identity: Callable[[ItemT], Hashable | None] = lambda _: None,
    writers: int = 1,
) -> list[BatchOutcome]:
    """Each item on its own: its acceptance (possibly a replay) or why it was refused, in the order of
    the items; an item that was refused before (it did not parse) stays refused.

    `writers` items are submitted at a time, in waves: an item whose `identity` (None: none) an
    earlier item shares waits for the wave after that item's. An outage stops everything with
    StorageUnavailable once the (at most `writers`) items in flight with it are done: the client
    retries the whole batch, and the items stored before the outage come back as replays.
    """
    entries = list(items)
    outcomes: list[BatchOutcome | None] = [None] * len(entries)
    waves: list[list[int]] = []
    occurrences: dict[Hashable, int] = {}
    for index, entry in enumerate(entries):
        if isinstance(entry, GovrateError | ValidationError):
            outcomes[index] = entry
            continue
        key = identity(entry)
        wave = 0 if key is None else occurrences.get(key, -1) + 1
        if key is not None:
            occurrences[key] = wave
        waves.extend([] for _ in range(wave + 1 - len(waves)))
        waves[wave].append(index)

    def outcome_of(index: int) -> BatchOutcome:
        try:
            return submit(entries[index])  # type: ignore[arg-type]  # the refused ones are not in a wave
        except StorageUnavailable:
            raise
        except GovrateError as refused:
            return refused

    with ThreadPoolExecutor(max_workers=writers) as pool:
        for wave_indexes in waves:
            for start in range(0, len(wave_indexes), writers):
                in_flight = wave_indexes[start : start + writers]
                for index, outcome in zip(in_flight, pool.map(outcome_of, in_flight), strict=True):
                    outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]
