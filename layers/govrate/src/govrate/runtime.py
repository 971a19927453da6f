"""Repositories built once per Lambda container from the settings (lazily, so importing a handler
module, as the CDK app does to read its routes, needs no configuration)."""

from __future__ import annotations

from functools import cache

from govrate.analytics.export import RepositorySources
from govrate.analytics.store import AnalyticsBucket
from govrate.services.evaluations import IntakeStores
from govrate.settings import get_settings
from govrate.storage.cases import CaseRepository
from govrate.storage.catalogue import CatalogueRepository
from govrate.storage.contact_vault import ContactVault
from govrate.storage.evaluations import EvaluationRepository
from govrate.storage.follow_ups import FollowUpRepository
from govrate.storage.nonces import NonceRepository
from govrate.storage.policies import RegionPolicyRepository
from govrate.storage.queue import MessageQueue
from govrate.storage.records import ServiceRecordRepository
from govrate.storage.signing_keys import PlatformKeyRepository

# How long a container keeps a platform's key: a rotated key is in use within this time.
PLATFORM_KEY_TTL_SECONDS = 60


@cache
def evaluation_repository() -> EvaluationRepository:
    settings = get_settings()
    return EvaluationRepository(settings.evaluations_table, settings.day_shards, settings.utc_offset_hours)


@cache
def case_repository() -> CaseRepository:
    settings = get_settings()
    return CaseRepository(
        settings.cases_table, day_shards=settings.day_shards, utc_offset_hours=settings.utc_offset_hours
    )


@cache
def catalogue_repository() -> CatalogueRepository:
    return CatalogueRepository(get_settings().reference_table)


@cache
def follow_up_repository() -> FollowUpRepository:
    return FollowUpRepository(get_settings().evaluations_table)


@cache
def service_record_repository() -> ServiceRecordRepository:
    settings = get_settings()
    return ServiceRecordRepository(settings.evaluations_table, settings.day_shards, settings.utc_offset_hours)


@cache
def analytics_bucket() -> AnalyticsBucket:
    return AnalyticsBucket(get_settings().analytics_bucket)


@cache
def fact_sources() -> RepositorySources:
    return RepositorySources(
        evaluations=evaluation_repository(), cases=case_repository(), records=service_record_repository()
    )


@cache
def intake_stores() -> IntakeStores:
    settings = get_settings()
    return IntakeStores(
        evaluations=evaluation_repository(),
        records=service_record_repository(),
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
