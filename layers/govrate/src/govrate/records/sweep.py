"""The daily sweep of unrated service records: invite the applicant after `invite_after_days`, and
when the evaluation period is over give the region's default rating, if the region chose one.

Each step is idempotent: a record is invited at most once (a claim written before sending, released
if sending fails), and a default rating takes the stage's natural key like any evaluation, so it
never replaces or doubles an evaluator's own rating.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from govrate.evaluations.models import Channel, Stage
from govrate.evaluations.service import IntakeStores, receipt_hash, record_stage_key
from govrate.kernel.errors import StorageMisconfigured, StorageUnavailable
from govrate.kernel.ids import new_id
from govrate.records.invitations import Invitation, InvitationSender
from govrate.records.service import TicketIssuer
from govrate.regions.rules import EvaluationPolicy

if TYPE_CHECKING:
    from govrate.evaluations.ports import EvaluationStore
    from govrate.records.store import StoredRecord


class SweepReport(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    invited: int
    defaulted: int


def sweep_unrated_records(
    today: date,
    *,
    stores: IntakeStores,
    sender: InvitationSender,
    tickets: TicketIssuer,
    now: datetime,
) -> SweepReport:
    def policy_of(record: StoredRecord) -> EvaluationPolicy:
        return stores.rules.for_region(record.region_code).evaluation

    # A region without a document of its own follows the nearest division that has one, or the national
    # defaults: these are all the policies in force anywhere.
    policies = [EvaluationPolicy(), *(stores.rules.for_region(code).evaluation for code in stores.rules.divisions())]
    invited = 0
    for days in sorted({policy.invite_after_days for policy in policies}):
        for record in stores.records.completed_on(today - timedelta(days=days)):
            policy = policy_of(record)
            if policy.invite_after_days != days or days >= policy.evaluation_days or record.contact_cipher is None:
                continue
            unrated = unrated_stages(record, stores.evaluations)
            if unrated and _invite(record, unrated, stores=stores, sender=sender, tickets=tickets, now=now):
                invited += 1

    defaulted = 0
    for days in sorted({policy.evaluation_days for policy in policies if policy.default_level}):
        # Records completed on this day all passed the end of their period since yesterday.
        for record in stores.records.completed_on(today - timedelta(days=days + 1)):
            policy = policy_of(record)
            if policy.default_level is None or policy.evaluation_days != days:
                continue
            for stage in unrated_stages(record, stores.evaluations):
                defaulted += _give_default_rating(record, stage, policy, stores.evaluations, now)
    return SweepReport(invited=invited, defaulted=defaulted)


def unrated_stages(record: StoredRecord, evaluations: EvaluationStore) -> tuple[Stage, ...]:
    return tuple(
        stage
        for stage in record.stages
        if evaluations.holder(record_stage_key(record.region_code, record.record_id, stage)) is None
    )


def _invite(
    record: StoredRecord,
    unrated: tuple[Stage, ...],
    *,
    stores: IntakeStores,
    sender: InvitationSender,
    tickets: TicketIssuer,
    now: datetime,
) -> bool:
    if not stores.records.mark_invited(record.region_code, record.record_id, now):
        return False
    invitation = Invitation(
        region_code=record.region_code,
        record_id=record.record_id,
        item_code=record.item_code,
        unrated_stages=unrated,
        ticket_url=tickets.ticket_url(record.region_code, record.record_id),
    )
    try:
        sender.publish(invitation)
    except (StorageUnavailable, StorageMisconfigured):  # the next sweep sends it again
        stores.records.unmark_invited(record.region_code, record.record_id)
        raise
    return True


def _give_default_rating(
    record: StoredRecord, stage: Stage, policy: EvaluationPolicy, evaluations: EvaluationStore, now: datetime
) -> int:
    """1 when the stage got the system-given rating, 0 when the evaluator rated it meanwhile."""

    from govrate.evaluations.store import AlreadyEvaluated, StoredEvaluation

    assert policy.default_level is not None
    rating = StoredEvaluation(
        evaluation_id=new_id(now),
        item_code=record.item_code,
        item_version=record.item_version,
        agency_code=record.agency_code,
        region_code=record.region_code,
        channel=Channel.SYSTEM,
        stage=stage,
        level=policy.default_level,
        comment=None,
        created_at=now,
        receipt_hash=receipt_hash(secrets.token_urlsafe(16)),  # nobody follows a system rating
        record_id=record.record_id,
        window_id=record.window_id,
        system_given=True,
        submitted_by="system:default-rating",
    )
    try:
        evaluations.add(rating, record_stage_key(record.region_code, record.record_id, stage), "system")
    except AlreadyEvaluated:
        return 0
    return 1
