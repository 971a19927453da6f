"""The QR function's repositories and signer, built once per Lambda container on first use.

The signing secret is read from Secrets Manager on the first request that needs it and kept for the
life of the container; a failed read is not cached, so the next request tries again.
"""

from __future__ import annotations

from functools import cache

from govrate.qr_codes import TicketSigner, WindowTokenSigner
from govrate.settings import get_settings
from govrate.storage.signing_keys import SigningKeyRepository
from govrate.storage.windows import WindowRepository


@cache
def window_repository() -> WindowRepository:
    return WindowRepository(get_settings().reference_table)


@cache
def window_token_signer() -> WindowTokenSigner:
    return WindowTokenSigner(SigningKeyRepository(get_settings().qr_signing_secret_arn).qr_signing_key())


@cache
def ticket_signer() -> TicketSigner:
    return TicketSigner(SigningKeyRepository(get_settings().qr_signing_secret_arn).qr_signing_key())
