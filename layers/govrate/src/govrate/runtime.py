"""The composition root: settings, clock, repositories, signers and the staff's sign-in, each built
once per Lambda container on first use (so importing a handler module, as the CDK app does to read
its routes, needs no configuration). Handlers, the local stack and the tests import this module;
no feature does. `reset()` forgets everything built, for tests that change the environment.

The QR signing secret is read from Secrets Manager on the first request that needs it and kept for
the life of the container; a failed read is not cached, so the next request tries again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from govrate.analytics.export import RepositorySources
from govrate.analytics.store import AnalyticsBucket
from govrate.cases.service import CaseStores
from govrate.cases.store import CaseRepository
from govrate.catalogue.store import CatalogueRepository
from govrate.evaluations.follow_ups import FollowUpRepository
from govrate.evaluations.service import IntakeStores
from govrate.evaluations.store import EvaluationRepository
from govrate.identity.auth import CognitoSignIn, JwksCache, TokenVerifier, bearer_token
from govrate.identity.model import Actor
from govrate.integrity.counters import DynamoCounterRepository
from govrate.integrity.limits import IntakeGate, IntakeLimits
from govrate.kernel import clock
from govrate.kernel.qr_codes import KIOSK_SALT, FormTokenSigner, TicketSigner, WindowTokenSigner
from govrate.platforms.nonces import NonceRepository
from govrate.rating.service import RatingStores
from govrate.records.store import ServiceRecordRepository
from govrate.regions.case_rules import RulesBook
from govrate.regions.policies import RegionPolicyRepository
from govrate.settings import get_settings
from govrate.storage.contact_vault import ContactVault
from govrate.storage.queue import MessageQueue
from govrate.storage.signing_keys import PlatformKeyRepository, SigningKeyRepository
from govrate.windows.kiosk_store import KioskRepository
from govrate.windows.site_key_store import SiteKeyRepository
from govrate.windows.store import WindowRepository

# How long a container keeps a platform's key: a rotated key is in use within this time.
PLATFORM_KEY_TTL_SECONDS = 60

_BUILT: list[Any] = [get_settings]
BuilderT = TypeVar("BuilderT", bound=Callable[[], Any])


def _once(builder: BuilderT) -> BuilderT:
    """`builder` cached for the life of the container (until `reset()`)."""
    cached = cache(builder)
    _BUILT.append(cached)
    return cached  # type: ignore[return-value]


def reset() -> None:
    """Forget the settings and everything built from them: the next call reads the environment again."""
    for cached in _BUILT:
        cached.cache_clear()


def now() -> datetime:
    """The current time in the service's zone (the settings' UTC offset)."""
    return clock.now(get_settings().utc_offset_hours)


@_once
def evaluation_repository() -> EvaluationRepository:
    settings = get_settings()
    return EvaluationRepository(settings.evaluations_table, settings.day_shards, settings.utc_offset_hours)


@_once
def case_repository() -> CaseRepository:
    settings = get_settings()
    return CaseRepository(
        settings.cases_table,
        day_shards=settings.day_shards,
        due_shards=get_settings().case_due_shards,
        utc_offset_hours=settings.utc_offset_hours,
    )


@_once
def catalogue_repository() -> CatalogueRepository:
    return CatalogueRepository(get_settings().reference_table)


@_once
def follow_up_repository() -> FollowUpRepository:
    return FollowUpRepository(get_settings().evaluations_table)


@_once
def service_record_repository() -> ServiceRecordRepository:
    settings = get_settings()
    return ServiceRecordRepository(settings.evaluations_table, settings.day_shards, settings.utc_offset_hours)


@_once
def analytics_bucket() -> AnalyticsBucket:
    return AnalyticsBucket(get_settings().analytics_bucket)


@_once
def fact_sources() -> RepositorySources:
    return RepositorySources(
        evaluations=evaluation_repository(), cases=case_repository(), records=service_record_repository()
    )


@_once
def contact_vault() -> ContactVault:
    return ContactVault(get_settings().contact_key_id)


@_once
def intake_stores() -> IntakeStores:
    settings = get_settings()
    return IntakeStores(
        evaluations=evaluation_repository(),
        records=service_record_repository(),
        catalogue=catalogue_repository(),
        policies=RegionPolicyRepository(settings.reference_table),
        vault=contact_vault(),
        windows=window_repository(),
    )


@_once
def negative_review_queue() -> MessageQueue:
    return MessageQueue(get_settings().negative_reviews_queue_url, "negative-review")


@_once
def invitation_sender() -> MessageQueue:
    return MessageQueue(get_settings().invitation_queue_url, "invitation")


@_once
def notice_queue() -> MessageQueue:
    return MessageQueue(get_settings().notice_queue_url, "evaluator notice")


@_once
def platform_keys() -> PlatformKeyRepository:
    return PlatformKeyRepository(PLATFORM_KEY_TTL_SECONDS)


@_once
def nonce_repository() -> NonceRepository:
    return NonceRepository(get_settings().reference_table)


@_once
def window_repository() -> WindowRepository:
    return WindowRepository(get_settings().reference_table)


@_once
def kiosk_repository() -> KioskRepository:
    return KioskRepository(get_settings().reference_table)


@_once
def site_key_repository() -> SiteKeyRepository:
    return SiteKeyRepository(get_settings().reference_table)


@_once
def _signing_key() -> str:
    return SigningKeyRepository(get_settings().qr_signing_secret_arn).qr_signing_key()


@_once
def intake_gate() -> IntakeGate:
    """The abuse limits of the unauthenticated paths; clients are hashed under a key derived from the
    signing secret, so the hash cannot be recomputed from an address without it."""
    settings = get_settings()
    limits = IntakeLimits(
        per_client_per_hour=settings.limit_per_client_per_hour,
        per_window_per_minute=settings.limit_per_window_per_minute,
        per_item_per_minute=settings.limit_per_item_per_minute,
    )
    return IntakeGate(limits, DynamoCounterRepository(settings.reference_table), _signing_key().encode())


@_once
def window_token_signer() -> WindowTokenSigner:
    return WindowTokenSigner(_signing_key())


@_once
def kiosk_token_signer() -> WindowTokenSigner:
    return WindowTokenSigner(_signing_key(), KIOSK_SALT)


@_once
def form_token_signer() -> FormTokenSigner:
    return FormTokenSigner(_signing_key(), timedelta(minutes=get_settings().form_token_minutes))


@_once
def ticket_signer() -> TicketSigner:
    return TicketSigner(_signing_key())


@_once
def rating_stores() -> RatingStores:
    """What the rating pages, the kiosks and the web module read and write; signers load on first use."""
    return RatingStores(
        intake=intake_stores(),
        windows=window_repository(),
        site_keys=site_key_repository(),
        window_signer=window_token_signer,
        tickets=ticket_signer,
        form_tokens=form_token_signer,
    )


@_once
def case_stores() -> CaseStores:
    return CaseStores(
        cases=case_repository(),
        evaluations=evaluation_repository(),
        vault=contact_vault(),
        rules=RulesBook(get_settings().case_rules_dir, get_settings().utc_offset_hours),
    )


@_once
def token_verifier() -> TokenVerifier:
    settings = get_settings()
    return TokenVerifier(issuer=settings.issuer, client_id=settings.staff_client_id, keys=JwksCache(settings.jwks_url))


def staff_actor(headers: Mapping[str, str]) -> Actor:
    """The staff member or supervisor of the request's `Authorization: Bearer` ID token."""
    return token_verifier().actor(bearer_token(headers))


@_once
def staff_sign_in() -> CognitoSignIn:
    settings = get_settings()
    return CognitoSignIn(settings.staff_client_id, settings.user_pool_region)
