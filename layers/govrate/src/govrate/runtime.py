"""Repositories built once per Lambda container from the settings (lazily, so importing a handler
module, as the CDK app does to read its routes, needs no configuration)."""

from __future__ import annotations

from functools import cache

from govrate.cases.store import CaseRepository
from govrate.catalogue.store import CatalogueRepository
from govrate.evaluations.follow_ups import FollowUpRepository
from govrate.evaluations.service import IntakeStores
from govrate.evaluations.store import EvaluationRepository
from govrate.kernel.settings import get_settings
from govrate.platforms.nonces import NonceRepository
from govrate.records.store import ServiceRecordRepository
from govrate.regions.policies import RegionPolicyRepository
from govrate.storage.contact_vault import ContactVault
from govrate.storage.queue import MessageQueue
from govrate.storage.signing_keys import PlatformKeyRepository

# How long a container keeps a platform's key: a rotated key is in use within this time.
PLATFORM_KEY_TTL_SECONDS = 60


@cache
def evaluation_repository() -> EvaluationRepository:
    settings = get_settings()
    return EvaluationRepository(settings.evaluations_table, settings.day_shards, settings.utc_offset_hours)


@cache
def case_repository() -> CaseRepository:
    return CaseRepository(get_settings().cases_table)


@cache
def catalogue_repository() -> CatalogueRepository:
    return CatalogueRepository(get_settings().reference_table)


@cache
def follow_up_repository() -> FollowUpRepository:
    return FollowUpRepository(get_settings().evaluations_table)


@cache
def intake_stores() -> IntakeStores:
    settings = get_settings()
    return IntakeStores(
        evaluations=evaluation_repository(),
        records=ServiceRecordRepository(settings.evaluations_table, settings.day_shards, settings.utc_offset_hours),
        catalogue=catalogue_repository(),
        policies=RegionPolicyRepository(settings.reference_table),
        vault=ContactVault(settings.contact_key_id),
    )


@cache
def negative_review_queue() -> MessageQueue:
    return MessageQueue(get_settings().negative_reviews_queue_url, "negative-review")


@cache
def invitation_sender() -> MessageQueue:
    return MessageQueue(get_settings().invitation_queue_url, "invitation")


@cache
def notice_queue() -> MessageQueue:
    return MessageQueue(get_settings().notice_queue_url, "evaluator notice")


@cache
def platform_keys() -> PlatformKeyRepository:
    return PlatformKeyRepository(PLATFORM_KEY_TTL_SECONDS)


@cache
def nonce_repository() -> NonceRepository:
    return NonceRepository(get_settings().reference_table)
