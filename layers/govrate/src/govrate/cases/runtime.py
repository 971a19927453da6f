"""The case loop's stores and ports, built once per Lambda container from the settings (lazily, so
importing a handler module needs no configuration)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from govrate import runtime
from govrate.cases.model import Actor
from govrate.cases.rules import RulesBook
from govrate.cases.service import CaseStores
from govrate.cases.settings import get_case_settings
from govrate.cases.store import CaseRepository
from govrate.identity.auth import (
    CognitoAccounts,
    JwksCache,
    StaffAuthenticator,
    TokenVerifier,
    bearer_token,
)
from govrate.identity.sessions import SessionPorts
from govrate.identity.store import SessionStore
from govrate.kernel.settings import get_settings
from govrate.storage.contact_vault import ContactVault


@cache
def case_stores() -> CaseStores:
    settings = get_settings()
    case_settings = get_case_settings()
    return CaseStores(
        cases=CaseRepository(
            settings.cases_table,
            day_shards=settings.day_shards,
            due_shards=case_settings.case_due_shards,
            utc_offset_hours=settings.utc_offset_hours,
        ),
        evaluations=runtime.evaluation_repository(),
        vault=ContactVault(settings.contact_key_id),
        rules=RulesBook(case_settings.case_rules_dir, settings.utc_offset_hours),
        catalogue=runtime.catalogue_repository(),
    )


@cache
def token_verifier() -> TokenVerifier:
    settings = get_case_settings()
    return TokenVerifier(issuer=settings.issuer, client_id=settings.staff_client_id, keys=JwksCache(settings.jwks_url))


@cache
def staff_accounts() -> CognitoAccounts:
    settings = get_case_settings()
    return CognitoAccounts(settings.staff_client_id, settings.user_pool_region)


@cache
def staff_authenticator() -> StaffAuthenticator:
    return StaffAuthenticator(token_verifier(), staff_accounts())


def staff_actor(headers: Mapping[str, str]) -> Actor:
    """The staff member or supervisor of the request's `Authorization: Bearer` access token."""
    return staff_authenticator().actor(bearer_token(headers))


@cache
def session_ports() -> SessionPorts:
    return SessionPorts(
        accounts=staff_accounts(), verifier=token_verifier(), store=SessionStore(get_settings().reference_table)
    )
