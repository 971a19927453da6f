"""Signed window tokens and the QR codes that carry them: no AWS, no network."""

from __future__ import annotations

import pytest
import segno
from govrate.kernel.errors import NotFound
from govrate.kernel.qr_codes import (
    KIOSK_SALT,
    MAX_QR_VERSION,
    TICKET_MAX_QR_VERSION,
    QrUrlTooLongError,
    TicketSigner,
    WindowTokenClaims,
    WindowTokenSigner,
    landing_url,
    qr_code,
    qr_png,
    qr_svg,
    qr_svg_inline,
    ticket_url,
)

SECRET = "k" * 64
BASE = "https://pj.zwfw.example.gov.cn"
LONGEST_WINDOW_ID = "W" * 24


@pytest.fixture
def signer() -> WindowTokenSigner:
    return WindowTokenSigner(SECRET)


def test_a_token_names_its_window_and_rotation(signer: WindowTokenSigner) -> None:
    token = signer.sign("110105-GA-W01", 3)
    assert token.startswith("110105-GA-W01.3.")
    assert signer.verify(token) == WindowTokenClaims("110105-GA-W01", 3)


def test_signing_is_deterministic_so_a_code_can_be_printed_again(signer: WindowTokenSigner) -> None:
    assert signer.sign("110105-GA-W01", 1) == signer.sign("110105-GA-W01", 1)


def test_each_rotation_has_its_own_token(signer: WindowTokenSigner) -> None:
    first, second = signer.sign("110105-GA-W01", 1), signer.sign("110105-GA-W01", 2)
    assert first != second
    assert signer.verify(second).rotation == 2
    # Changing the rotation number of an old token does not make it the new one.
    assert first.replace(".1.", ".2.") != second
    with pytest.raises(NotFound):
        signer.verify(first.replace(".1.", ".2."))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token.replace("110105-GA-W01", "110105-GA-W02"),
        lambda token: token.replace(".1.", ".11."),
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token[:-3] + token[-2:],
        lambda token: token + "x",
        lambda token: token.rsplit(".", 1)[0],
        lambda token: token.replace(".", "~", 1),
    ],
)
def test_a_tampered_token_is_refused(signer: WindowTokenSigner, tamper: object) -> None:
    token = signer.sign("110105-GA-W01", 1)
    tampered = tamper(token)  # type: ignore[operator]
    assert tampered != token
    with pytest.raises(NotFound):
        signer.verify(tampered)


def test_only_the_issued_spelling_of_the_tag_is_accepted(signer: WindowTokenSigner) -> None:
    token = signer.sign("110105-GA-W01", 1)
    # A 16-byte tag is 22 base64 characters; the last one carries 4 spare bits, so several spellings
    # decode to the same bytes. Every spelling but the issued one is refused.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for last in alphabet.replace(token[-1], ""):
        with pytest.raises(NotFound):
            signer.verify(token[:-1] + last)


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b", "a.1.", "a.1.!!!!", "…", "a.0." + "A" * 22])
def test_garbage_is_refused(signer: WindowTokenSigner, garbage: str) -> None:
    with pytest.raises(NotFound):
        signer.verify(garbage)


def test_a_token_from_another_key_is_refused(signer: WindowTokenSigner) -> None:
    forged = WindowTokenSigner("f" * 64).sign("110105-GA-W01", 1)
    with pytest.raises(NotFound):
        signer.verify(forged)


@pytest.mark.parametrize("prefix", ["", "/prod", "/govrate-prod"])
def test_the_longest_url_fits_qr_version_6_at_level_m(signer: WindowTokenSigner, prefix: str) -> None:
    url = landing_url(BASE + prefix, signer.sign(LONGEST_WINDOW_ID, 999_999_999))
    assert int(segno.make(url, error="m").version) <= MAX_QR_VERSION == 6
    assert int(qr_code(url).version) <= 6


def test_a_realistic_url_fits_qr_version_6_at_level_m(signer: WindowTokenSigner) -> None:
    url = landing_url(BASE, signer.sign("110105-GA-W01", 1))
    assert url.startswith(f"{BASE}/q/110105-GA-W01.1.")
    assert int(segno.make(url, error="m").version) <= 6


def test_a_base_url_too_long_for_version_6_is_refused(signer: WindowTokenSigner) -> None:
    url = landing_url("https://" + "very-long-subdomain." * 4 + "example.gov.cn", signer.sign(LONGEST_WINDOW_ID, 1))
    with pytest.raises(QrUrlTooLongError):
        qr_code(url)


def test_the_images_are_svg_and_png(signer: WindowTokenSigner) -> None:
    url = landing_url(BASE, signer.sign("110105-GA-W01", 1))
    assert "<svg" in qr_svg(url)
    assert qr_png(url).startswith(b"\x89PNG\r\n\x1a\n")


def test_a_kiosk_address_is_signed_apart_from_the_windows_code(signer: WindowTokenSigner) -> None:
    kiosk = WindowTokenSigner(SECRET, KIOSK_SALT)
    token = kiosk.sign("110105-GA-W01", 1)
    assert token != signer.sign("110105-GA-W01", 1)
    assert kiosk.verify(token) == WindowTokenClaims("110105-GA-W01", 1)
    with pytest.raises(NotFound):
        signer.verify(token)
    with pytest.raises(NotFound):
        kiosk.verify(signer.sign("110105-GA-W01", 1))


def test_the_longest_ticket_fits_the_ticket_qr_version() -> None:
    longest = TicketSigner(SECRET).sign("513221", "R" * 64)
    url = ticket_url(BASE + "/govrate-prod", longest)
    assert int(qr_code(url, TICKET_MAX_QR_VERSION).version) <= TICKET_MAX_QR_VERSION == 10
    with pytest.raises(QrUrlTooLongError):
        qr_code(url)  # a window's limit is stricter


def test_the_inline_svg_is_the_same_code_sized_by_the_page(signer: WindowTokenSigner) -> None:
    url = landing_url(BASE, signer.sign("110105-GA-W01", 1))
    svg = qr_svg_inline(url)
    size = 17 + 4 * int(qr_code(url).version) + 2 * 4  # modules and the quiet zone
    assert svg.startswith(f'<svg viewBox="0 0 {size} {size}" class="qr">')
    assert "width=" not in svg.split(">", 1)[0]
