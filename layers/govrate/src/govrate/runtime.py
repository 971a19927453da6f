"""The composition root: settings, clock, repositories, signers and the staff's sign-in, each built
once per Lambda container on first use (so importing a handler module, as the CDK app does to read
its routes, needs no configuration). Each builder imports its feature's storage itself: a function
loads the storage (pynamodb, boto3, pyarrow) of the routes it serves, on their first request.
Handlers, the local stack and the tests import this module; no feature does.
`reset()` forgets everything built, for tests that change the environment.

The QR signing secret is read from Secrets Manager on the first request that needs it and kept for
the life of the container; a failed read is not cached, so the next request tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from govrate.kernel import clock

if TYPE_CHECKING:
    from govrate.analytics.export import RepositorySources
    from govrate.analytics.store import AnalyticsBucket
    from govrate.cases.service import CaseStores
    from govrate.cases.store import CaseRepository
    from govrate.catalogue.store import CatalogueRepository
    from govrate.evaluations.follow_ups import FollowUpRepository
    from govrate.evaluations.service import IntakeStores
    from govrate.evaluations.store import EvaluationRepository
    from govrate.identity.auth import CognitoAccounts, StaffAuthenticator, TokenVerifier
    from govrate.identity.model import Actor
    from govrate.identity.sessions import SessionPorts
    from govrate.integrity.limits import IntakeGate
    from govrate.integrity.seal_store import KmsMacKey, SealBucket, TableSealSources
    from govrate.integrity.store import DynamoWatchStore
    from govrate.integrity.watch import Watcher
    from govrate.kernel.qr_codes import FormTokenSigner, TicketSigner, WindowTokenSigner
    from govrate.platforms.nonces import NonceRepository
    from govrate.platforms.outcomes import FeedCursors
    from govrate.rating.service import RatingStores
    from govrate.records.store import ServiceRecordRepository
    from govrate.regions.rules import RulesBook
    from govrate.regions.store import RulesRepository
    from govrate.settings import Settings
    from govrate.storage.contact_vault import ContactVault
    from govrate.storage.queue import FifoQueue, MessageQueue
    from govrate.storage.signing_keys import PlatformKeyRepository
    from govrate.upstream.client import UpstreamClient
    from govrate.upstream.service import RelayStores
    from govrate.upstream.store import RelayedCaseStateRepository
    from govrate.windows.kiosk_store import KioskRepository
    from govrate.windows.site_key_store import SiteKeyRepository
    from govrate.windows.store import WindowRepository

# How long a container keeps a platform's key: a rotated key is in use within this time.
PLATFORM_KEY_TTL_SECONDS = 60

_BUILT: list[Any] = []
BuilderT = TypeVar("BuilderT", bound=Callable[[], Any])


def _once(builder: BuilderT) -> BuilderT:
    """`builder` cached for the life of the container (until `reset()`), and run once even when the
    first requests come at once (a batch's writers, the local stack's threads)."""
    cached = cache(builder)
    building = threading.Lock()

    @wraps(builder)
    def built() -> Any:
        with building:
            return cached()

    _BUILT.append(cached)
    return built  # type: ignore[return-value]


def reset() -> None:
    """Forget the settings and everything built from them: the next call reads the environment again."""
    from govrate.settings import get_settings
    from govrate.storage.tables import forget_bindings

    get_settings.cache_clear()
    for cached in _BUILT:
        cached.cache_clear()
    forget_bindings()


def settings() -> Settings:
    """The function's settings, read from the environment on first use (pydantic-settings loads then)."""
    from govrate.settings import get_settings

    return get_settings()


def now() -> datetime:
    """The current time in the service's zone (the settings' UTC offset)."""
    return clock.now(settings().utc_offset_hours)


@_once
def evaluation_repository() -> EvaluationRepository:
    from govrate.evaluations.store import EvaluationRepository

    config = settings()
    return EvaluationRepository(config.evaluations_table, config.day_shards, config.utc_offset_hours)


@_once
def case_repository() -> CaseRepository:
    from govrate.cases.store import CaseRepository

    config = settings()
    return CaseRepository(
        config.cases_table,
        day_shards=config.day_shards,
        due_shards=settings().case_due_shards,
        utc_offset_hours=config.utc_offset_hours,
    )


@_once
def catalogue_repository() -> CatalogueRepository:
    from govrate.catalogue.store import CatalogueRepository

    return CatalogueRepository(settings().reference_table)


@_once
def follow_up_repository() -> FollowUpRepository:
    from govrate.evaluations.follow_ups import FollowUpRepository

    return FollowUpRepository(settings().evaluations_table)


@_once
def service_record_repository() -> ServiceRecordRepository:
    from govrate.records.store import ServiceRecordRepository

    config = settings()
    return ServiceRecordRepository(config.evaluations_table, config.day_shards, config.utc_offset_hours)


@_once
def analytics_bucket() -> AnalyticsBucket:
    from govrate.analytics.store import AnalyticsBucket

    return AnalyticsBucket(settings().analytics_bucket)


@_once
def fact_sources() -> RepositorySources:
    from govrate.analytics.export import RepositorySources

    return RepositorySources(
        evaluations=evaluation_repository(),
        cases=case_repository(),
        relayed_cases=relayed_case_states(),
        records=service_record_repository(),
        flags=watch_store(),
    )


@_once
def seal_sources() -> TableSealSources:
    from govrate.integrity.seal_store import TableSealSources

    config = settings()
    return TableSealSources(config.evaluations_table, config.cases_table, config.day_shards)


@_once
def seal_bucket() -> SealBucket:
    from govrate.integrity.seal_store import SealBucket

    return SealBucket(settings().seal_bucket)


@_once
def seal_key() -> KmsMacKey:
    from govrate.integrity.seal_store import KmsMacKey

    return KmsMacKey(settings().seal_key_id)


@_once
def contact_vault() -> ContactVault:
    from govrate.storage.contact_vault import ContactVault

    return ContactVault(settings().contact_key_id)


@_once
def rules_repository() -> RulesRepository:
    from govrate.regions.store import RulesRepository

    return RulesRepository(settings().reference_table)


@_once
def rules_book() -> RulesBook:
    """The regions' rules as every function reads them: one Query of the reference table at most every
    `rules_ttl_seconds` per container."""
    from govrate.regions.rules import RulesBook

    config = settings()
    return RulesBook(rules_repository(), config.utc_offset_hours, ttl_seconds=config.rules_ttl_seconds)


@_once
def intake_stores() -> IntakeStores:
    from govrate.evaluations.service import IntakeStores

    return IntakeStores(
        evaluations=evaluation_repository(),
        records=service_record_repository(),
        catalogue=catalogue_repository(),
        rules=rules_book(),
        vault=contact_vault(),
        windows=window_repository(),
    )


@_once
def negative_review_queue() -> MessageQueue:
    from govrate.storage.queue import MessageQueue

    return MessageQueue(settings().negative_reviews_queue_url, "negative-review")


@_once
def invitation_sender() -> MessageQueue:
    from govrate.storage.queue import MessageQueue

    return MessageQueue(settings().invitation_queue_url, "invitation")


@_once
def notice_queue() -> MessageQueue:
    from govrate.storage.queue import MessageQueue

    return MessageQueue(settings().notice_queue_url, "evaluator notice")


@_once
def upstream_queue() -> FifoQueue | None:
    """The queue of what this stage relays upstream; None when it has no upstream."""
    from govrate.storage.queue import FifoQueue

    url = settings().upstream_queue_url
    return FifoQueue(url, "upstream") if url else None


@_once
def upstream_dead_letters() -> FifoQueue:
    from govrate.storage.queue import FifoQueue

    return FifoQueue(settings().upstream_dead_letter_queue_url, "upstream dead-letter")


@_once
def upstream_client() -> UpstreamClient:
    from govrate.upstream.client import UpstreamClient, UpstreamCredentials

    configured = settings()
    return UpstreamClient(
        configured.upstream_url,
        configured.upstream_key_id,
        lambda: UpstreamCredentials.model_validate_json(platform_keys().key(configured.upstream_secret_arn)),
    )


@_once
def relay_stores() -> RelayStores:
    """Where what the downstream stages relay is kept."""
    from govrate.upstream.service import RelayStores

    return RelayStores(evaluations=evaluation_repository(), case_states=relayed_case_states())


@_once
def relayed_case_states() -> RelayedCaseStateRepository:
    from govrate.upstream.store import RelayedCaseStateRepository

    config = settings()
    return RelayedCaseStateRepository(
        config.cases_table, day_shards=config.day_shards, utc_offset_hours=config.utc_offset_hours
    )


@_once
def platform_keys() -> PlatformKeyRepository:
    from govrate.storage.signing_keys import PlatformKeyRepository

    return PlatformKeyRepository(PLATFORM_KEY_TTL_SECONDS)


@_once
def nonce_repository() -> NonceRepository:
    from govrate.platforms.nonces import NonceRepository

    return NonceRepository(settings().reference_table)


@_once
def window_repository() -> WindowRepository:
    from govrate.windows.store import WindowRepository

    return WindowRepository(settings().reference_table)


@_once
def kiosk_repository() -> KioskRepository:
    from govrate.windows.kiosk_store import KioskRepository

    return KioskRepository(settings().reference_table)


@_once
def site_key_repository() -> SiteKeyRepository:
    from govrate.windows.site_key_store import SiteKeyRepository

    return SiteKeyRepository(settings().reference_table)


@_once
def _signing_key() -> str:
    from govrate.storage.signing_keys import SigningKeyRepository

    return SigningKeyRepository(settings().qr_signing_secret_arn).qr_signing_key()


@_once
def intake_gate() -> IntakeGate:
    """The abuse limits of the unauthenticated paths; clients are hashed under a key derived from the
    signing secret, so the hash cannot be recomputed from an address without it."""
    from govrate.integrity.counters import DynamoCounterRepository
    from govrate.integrity.limits import IntakeGate, IntakeLimits

    config = settings()
    limits = IntakeLimits(
        per_client_per_hour=config.limit_per_client_per_hour,
        per_window_per_minute=config.limit_per_window_per_minute,
        per_item_per_minute=config.limit_per_item_per_minute,
    )
    return IntakeGate(
        limits, DynamoCounterRepository(config.reference_table), _signing_key().encode(), config.staff_networks
    )


@_once
def watch_store() -> DynamoWatchStore:
    from govrate.integrity.store import DynamoWatchStore

    config = settings()
    return DynamoWatchStore(config.reference_table, shards=config.day_shards, utc_offset_hours=config.utc_offset_hours)


@_once
def integrity_watcher() -> Watcher:
    """The stream watcher: interference flags and supervisor alerts (SNS, or the log without a topic)."""
    from govrate.integrity.alert_topic import LoggedAlerts, SnsAlerts
    from govrate.integrity.watch import Watcher

    config = settings()
    rules = rules_book()
    cases = case_repository()

    def case_division(evaluation_id: str) -> tuple[str, str]:
        case = cases.get(evaluation_id)
        return case.region_code, case.agency_code

    return Watcher(
        store=watch_store(),
        alerts=SnsAlerts(config.supervisor_alert_topic_arn) if config.supervisor_alert_topic_arn else LoggedAlerts(),
        thresholds=config.watch_thresholds,
        evaluation_deadline=lambda region, completed_at: rules.for_region(region).evaluation.evaluation_deadline(
            completed_at
        ),
        case_division=case_division,
        utc_offset_hours=config.utc_offset_hours,
    )


@_once
def window_token_signer() -> WindowTokenSigner:
    from govrate.kernel.qr_codes import WindowTokenSigner

    return WindowTokenSigner(_signing_key())


@_once
def kiosk_token_signer() -> WindowTokenSigner:
    from govrate.kernel.qr_codes import KIOSK_SALT, WindowTokenSigner

    return WindowTokenSigner(_signing_key(), KIOSK_SALT)


@_once
def form_token_signer() -> FormTokenSigner:
    from govrate.kernel.qr_codes import FormTokenSigner

    return FormTokenSigner(_signing_key(), timedelta(minutes=settings().form_token_minutes))


@_once
def ticket_signer() -> TicketSigner:
    from govrate.kernel.qr_codes import TicketSigner

    return TicketSigner(_signing_key())


@_once
def feed_cursors() -> FeedCursors:
    from govrate.platforms.outcomes import FeedCursors

    return FeedCursors(_signing_key())


@_once
def rating_stores() -> RatingStores:
    """What the rating pages, the kiosks and the web module read and write; signers load on first use."""
    from govrate.rating.service import RatingStores

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
    from govrate.cases.model import BurstPolicy
    from govrate.cases.service import CaseStores

    config = settings()
    return CaseStores(
        follow_ups=follow_up_repository(),
        cases=case_repository(),
        evaluations=evaluation_repository(),
        vault=contact_vault(),
        rules=rules_book(),
        catalogue=catalogue_repository(),
        windows=window_repository(),
        bursts=case_repository(),
        burst_policy=BurstPolicy(
            per_window=config.burst_per_window, per_item=config.burst_per_item, minutes=config.burst_minutes
        ),
    )


@_once
def token_verifier() -> TokenVerifier:
    from govrate.identity.auth import JwksCache, TokenVerifier

    config = settings()
    return TokenVerifier(issuer=config.issuer, client_id=config.staff_client_id, keys=JwksCache(config.jwks_url))


@_once
def staff_accounts() -> CognitoAccounts:
    from govrate.identity.auth import CognitoAccounts

    config = settings()
    return CognitoAccounts(config.staff_client_id, config.user_pool_region)


@_once
def staff_authenticator() -> StaffAuthenticator:
    from govrate.identity.auth import StaffAuthenticator

    return StaffAuthenticator(token_verifier(), staff_accounts())


def staff_actor(headers: Mapping[str, str]) -> Actor:
    """The staff member or supervisor of the request's `Authorization: Bearer` access token."""
    from govrate.identity.auth import bearer_token

    return staff_authenticator().actor(bearer_token(headers))


@_once
def session_ports() -> SessionPorts:
    """What console sessions and sign-in limits need: the user pool, the token check, the session store."""
    from govrate.identity.sessions import SessionPorts
    from govrate.identity.store import SessionStore

    return SessionPorts(
        accounts=staff_accounts(), verifier=token_verifier(), store=SessionStore(settings().reference_table)
    )
