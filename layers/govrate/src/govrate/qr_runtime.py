"""The QR function's repositories and signers, built once per Lambda container on first use.

The signing secret is read from Secrets Manager on the first request that needs it and kept for the
life of the container; a failed read is not cached, so the next request tries again.
"""

from __future__ import annotations

from functools import cache

from govrate import runtime
from govrate.kernel.qr_codes import KIOSK_SALT, TicketSigner, WindowTokenSigner
from govrate.kernel.settings import get_settings
from govrate.rating.service import RatingStores
from govrate.storage.signing_keys import SigningKeyRepository
from govrate.windows.kiosk_store import KioskRepository
from govrate.windows.site_key_store import SiteKeyRepository
from govrate.windows.store import WindowRepository


@cache
def window_repository() -> WindowRepository:
    return WindowRepository(get_settings().reference_table)


@cache
def kiosk_repository() -> KioskRepository:
    return KioskRepository(get_settings().reference_table)


@cache
def site_key_repository() -> SiteKeyRepository:
    return SiteKeyRepository(get_settings().reference_table)


@cache
def _signing_key() -> str:
    return SigningKeyRepository(get_settings().qr_signing_secret_arn).qr_signing_key()


@cache
def window_token_signer() -> WindowTokenSigner:
    return WindowTokenSigner(_signing_key())


@cache
def kiosk_token_signer() -> WindowTokenSigner:
    return WindowTokenSigner(_signing_key(), KIOSK_SALT)


@cache
def ticket_signer() -> TicketSigner:
    return TicketSigner(_signing_key())


@cache
def rating_stores() -> RatingStores:
    """What the rating pages, the kiosks and the web module read and write; signers load on first use."""
    return RatingStores(
        intake=runtime.intake_stores(),
        windows=window_repository(),
        site_keys=site_key_repository(),
        window_signer=window_token_signer,
        tickets=ticket_signer,
    )
