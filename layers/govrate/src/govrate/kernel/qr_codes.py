"""Signed short URLs for the windows' QR codes, the records' tickets and the kiosks, and the QR images.

A token is `<window_id>.<rotation>.<tag>`: the tag is an HMAC-SHA256 (itsdangerous `Signer`, key
derived from the secret with HMAC and a purpose salt) truncated to 128 bits, so that
`<base>/q/<token>` stays within QR version 6 at error correction M. The rotation number makes
rotating or revoking a window invalidate the codes printed before, and its kiosk's address (the
same payload under another salt, `<base>/k/<token>`).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from itsdangerous import BadSignature, HMACAlgorithm, Signer

from govrate.kernel.errors import Gone, NotFound

if TYPE_CHECKING:
    import segno

MAX_QR_VERSION: Final = 6
# A ticket carries the record id (up to 64 characters); version 10 at M holds 213 bytes, enough for
# any ticket URL under a base URL of up to 80 characters, and still prints at 2 cm on a receipt.
TICKET_MAX_QR_VERSION: Final = 10
QR_ERROR_LEVEL: Final = "m"
LANDING_PATH: Final = "/q/"
TICKET_PATH: Final = "/t/"
KIOSK_PATH: Final = "/k/"
TAG_BYTES: Final = 16
WINDOW_SALT: Final = "govrate.window-qr"
KIOSK_SALT: Final = "govrate.window-kiosk"
TICKET_SALT: Final = "govrate.record-ticket"
FORM_SALT: Final = "govrate.rating-form"
QR_TITLE: Final = "服务评价二维码"
# Pixels (SVG user units) per module: a version-6 PNG is 490 px, about 4 cm at 300 dpi, for printing.
IMAGE_SCALE: Final = 10

_WINDOW_PAYLOAD = re.compile(r"^(?P<window_id>[0-9A-Za-z][0-9A-Za-z-]*)\.(?P<rotation>[1-9]\d{0,8})$")
_FORM_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{12}\.(?P<issued>\d{1,12})$")
_TICKET_PAYLOAD = re.compile(r"^(?P<region_code>\d{6})\.(?P<record_id>[0-9A-Za-z][0-9A-Za-z._-]{3,63})$")


class QrUrlTooLongError(RuntimeError):
    """The URL needs a QR version above the maximum: the configured base URL is too long."""


@dataclass(frozen=True)
class WindowTokenClaims:
    window_id: str
    rotation: int


class _TruncatedHmacSha256(HMACAlgorithm):
    def __init__(self) -> None:
        super().__init__(hashlib.sha256)

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return super().get_signature(key, value)[:TAG_BYTES]


class ShortTokenSigner:
    """Signs short ASCII payloads into `<payload>.<tag>` tokens for one purpose (the salt)."""

    def __init__(self, secret_key: str | bytes, salt: str) -> None:
        self._signer = Signer(
            secret_key,
            salt=salt,
            sep=".",
            key_derivation="hmac",
            digest_method=hashlib.sha256,
            algorithm=_TruncatedHmacSha256(),
        )

    def sign(self, payload: str) -> str:
        return self._signer.sign(payload).decode("ascii")

    def payload(self, token: str) -> str:
        """The payload of a token this signer issued; NotFound for anything else."""
        try:
            payload = self._signer.unsign(token).decode("ascii")
        except (BadSignature, UnicodeError) as exc:
            raise NotFound("unknown code") from exc
        # Base64 lets several spellings decode to the same tag; only the one we issue is accepted.
        if not hmac.compare_digest(self.sign(payload), token):
            raise NotFound("unknown code")
        return payload


class WindowTokenSigner:
    """Tokens naming a window and its rotation: for its QR code (WINDOW_SALT) or its kiosk (KIOSK_SALT)."""

    def __init__(self, secret_key: str | bytes, salt: str = WINDOW_SALT) -> None:
        self._signer = ShortTokenSigner(secret_key, salt)

    def sign(self, window_id: str, rotation: int) -> str:
        return self._signer.sign(f"{window_id}.{rotation}")

    def verify(self, token: str) -> WindowTokenClaims:
        """The window and rotation a token names; NotFound for anything this signer did not issue."""
        parsed = _WINDOW_PAYLOAD.match(self._signer.payload(token))
        if parsed is None:
            raise NotFound("unknown QR code")
        return WindowTokenClaims(parsed["window_id"], int(parsed["rotation"]))


@dataclass(frozen=True)
class TicketClaims:
    region_code: str
    record_id: str


class TicketSigner:
    """The evaluation ticket of a service record: proof that the bearer was served in that transaction."""

    def __init__(self, secret_key: str | bytes) -> None:
        self._signer = ShortTokenSigner(secret_key, TICKET_SALT)

    def sign(self, region_code: str, record_id: str) -> str:
        return self._signer.sign(f"{region_code}.{record_id}")

    def verify(self, token: str) -> TicketClaims:
        parsed = _TICKET_PAYLOAD.match(self._signer.payload(token))
        if parsed is None:
            raise NotFound("unknown ticket")
        return TicketClaims(parsed["region_code"], parsed["record_id"])


class FormTokenSigner:
    """The token of a served rating form (`<random>.<issued>.<tag>`): bound to what the form rates (the
    subject is in the key's salt, so a token of one window's form is forged at another) and valid for
    `lifetime` after it was served. Its random part makes every served form's token different, so a
    second post of it is recognised as the same form."""

    def __init__(self, secret_key: str | bytes, lifetime: timedelta) -> None:
        self._secret = secret_key
        self._lifetime = lifetime

    def issue(self, subject: str, now: datetime) -> str:
        return self._signer(subject).sign(f"{secrets.token_urlsafe(9)}.{int(now.timestamp())}")

    def verify(self, token: str, subject: str, now: datetime) -> None:
        """NotFound for a token we did not issue for this subject; Gone for one past its lifetime."""
        parsed = _FORM_PAYLOAD.match(self._signer(subject).payload(token))
        if parsed is None:
            raise NotFound("unknown form token")
        if now.timestamp() - int(parsed["issued"]) > self._lifetime.total_seconds():
            raise Gone("the form was served too long ago")

    def _signer(self, subject: str) -> ShortTokenSigner:
        return ShortTokenSigner(self._secret, f"{FORM_SALT}#{subject}")


def landing_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{LANDING_PATH}{token}"


def ticket_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{TICKET_PATH}{token}"


def kiosk_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{KIOSK_PATH}{token}"


def qr_code(url: str, max_version: int = MAX_QR_VERSION) -> segno.QRCode:
    """The QR code of a URL at level M; refuses a URL that would need more than `max_version`
    (version 6, the contract of the windows' codes, unless told otherwise)."""
    import segno  # the routes that draw codes load it

    code = segno.make(url, error=QR_ERROR_LEVEL, micro=False)
    version = int(code.version)  # a number, since micro codes are excluded
    if version > max_version:
        raise QrUrlTooLongError(f"{url} needs QR version {version}; shorten the public base URL")
    return code


def qr_svg(url: str, max_version: int = MAX_QR_VERSION) -> str:
    out = io.BytesIO()
    qr_code(url, max_version).save(out, kind="svg", scale=IMAGE_SCALE, title=QR_TITLE)
    return out.getvalue().decode("utf-8")


def qr_svg_inline(url: str) -> str:
    """A window's QR code as an `<svg>` element for an HTML page, sized by the page (viewBox only)."""
    return str(qr_code(url).svg_inline(scale=1, omitsize=True, svgclass="qr", lineclass=None))


def qr_png(url: str, max_version: int = MAX_QR_VERSION) -> bytes:
    out = io.BytesIO()
    qr_code(url, max_version).save(out, kind="png", scale=IMAGE_SCALE)
    return out.getvalue()
