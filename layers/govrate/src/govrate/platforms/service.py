"""What regional platforms do over the signed API: prove who they are, register service records and
post evaluations, one at a time or in batches, for their own regions only.

Retries are safe by natural keys: a record by (region, record id), an evaluation by (record, stage)
or by (platform, external id). The same post again is a replay; a different one under a taken key
is a Conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import ValidationError

from govrate.evaluations.models import (
    EvaluationAccepted,
    EvaluationSubmission,
    ServiceRecordRegistered,
    ServiceRecordRegistration,
)
from govrate.evaluations.service import IntakeStores, submit_evaluation
from govrate.kernel.errors import GovrateError, InvalidInput, StorageUnavailable, Unauthenticated
from govrate.platforms.models import BatchOutcome
from govrate.platforms.nonces import NonceRepository
from govrate.platforms.registry import PlatformKey
from govrate.platforms.signatures import MAX_AGE, SignedRequest, signature_key_id, verify_signature
from govrate.records.service import TicketIssuer, register_record
from govrate.storage.signing_keys import PlatformKeyRepository

ItemT = TypeVar("ItemT")


def authenticate_platform(
    request: SignedRequest,
    *,
    platforms: Mapping[str, PlatformKey],
    keys: PlatformKeyRepository,
    nonces: NonceRepository,
    now: datetime,
) -> PlatformKey:
    """The platform whose key signed the request; Unauthenticated for an unknown key id, a signature
    that does not verify, one that is too old, and a nonce used before."""
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
    platform.check_region(registration.region_code)
    return register_record(registration, stores=stores, tickets=tickets, registered_by=platform.platform_id)


def submit_platform_evaluation(
    submission: EvaluationSubmission, *, platform: PlatformKey, stores: IntakeStores, now: datetime
) -> EvaluationAccepted:
    """A platform's evaluation, in the channel it came from; the platform is trusted with service
    records (no ticket), and must name the record or its own id so that a retry is a replay."""
    platform.check_region(submission.region_code)
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
    """Each item on its own (`submit_each`): an outage stops the batch, and the platform retries it whole."""
    return submit_each(
        items, lambda submission: submit_platform_evaluation(submission, platform=platform, stores=stores, now=now)
    )


def submit_each(
    items: Iterable[ItemT | GovrateError | ValidationError], submit: Callable[[ItemT], EvaluationAccepted]
) -> list[BatchOutcome]:
    """Each item on its own: its acceptance (possibly a replay) or why it was refused; an item that
    was refused before (it did not parse) stays refused.

    An outage stops everything with StorageUnavailable: the client retries the whole batch, and the
    items stored before the outage come back as replays.
    """
    outcomes: list[BatchOutcome] = []
    for item in items:
        if isinstance(item, GovrateError | ValidationError):
            outcomes.append(item)
            continue
        try:
            outcomes.append(submit(item))
        except StorageUnavailable:
            raise
        except GovrateError as refused:
            outcomes.append(refused)
    return outcomes
