"""Service windows and their QR codes: registering, issuing, rotating, revoking, and the page behind a code.

A window's codes are deterministic: every issue at one rotation gives the same signed URL, so a code
can be printed again at any time. Rotating starts the next generation (and lifts a revocation);
revoking refuses every code of the window until the next rotation.
"""

from __future__ import annotations

from collections.abc import Iterable

from govrate.errors import Conflict, Gone, InvalidInput, NotFound
from govrate.models import ServiceItem
from govrate.qr_codes import WindowTokenSigner, landing_url, window_qr_code
from govrate.storage.catalogue import CatalogueRepository
from govrate.storage.windows import WindowRepository
from govrate.window_models import QrCodeIssued, ServiceWindow, WindowRatingPage, WindowRegistration

WINDOW_CHANNEL = "window"


def register_window(
    registration: WindowRegistration, *, windows: WindowRepository, catalogue: CatalogueRepository
) -> ServiceWindow:
    """Store a window whose items are window-channel items of its agency and region in the catalogue.

    Registering the same window again returns it unchanged (an idempotent replay); registering a
    different window under a taken id is a Conflict.
    """
    problems = [
        {"field": f"item_codes[{index}]", "message": problem}
        for index, item_code in enumerate(registration.item_codes)
        if (problem := _item_problem(item_code, registration, catalogue))
    ]
    if problems:
        raise InvalidInput("the window's service items do not match the catalogue", problems)
    window = ServiceWindow(**registration.model_dump(), rotation=1, revoked=False)
    try:
        windows.add(window)
    except Conflict:
        stored = windows.get(registration.window_id)
        if WindowRegistration(**stored.model_dump(exclude={"rotation", "revoked"})) != registration:
            raise
        return stored
    return window


def register_agency_windows(
    items: Iterable[ServiceItem], *, windows: WindowRepository, catalogue: CatalogueRepository
) -> list[ServiceWindow]:
    """Seed one window per agency, `<agency_code>-W01`, handling the agency's window-channel items.

    For a demo catalogue or a new region; items not offered at a window are left out. Idempotent,
    like `register_window`.
    """
    by_agency: dict[str, list[ServiceItem]] = {}
    for item in items:
        if WINDOW_CHANNEL in item.channels:
            by_agency.setdefault(item.agency_code, []).append(item)
    return [
        register_window(
            WindowRegistration(
                window_id=f"{agency_code}-W01",
                name_zh=f"{agency_items[0].agency_name_zh} 综合窗口",
                name_en=f"{agency_code} service counter",
                agency_code=agency_code,
                region_code=agency_items[0].region_code,
                item_codes=tuple(item.item_code for item in agency_items),
            ),
            windows=windows,
            catalogue=catalogue,
        )
        for agency_code, agency_items in by_agency.items()
    ]


def get_window(window_id: str, *, windows: WindowRepository) -> ServiceWindow:
    return windows.get(window_id)


def issue_qr_code(
    window_id: str, *, windows: WindowRepository, signer: WindowTokenSigner, base_url: str
) -> QrCodeIssued:
    """The current code of a window; Gone while the window is revoked."""
    window = windows.get(window_id)
    if window.revoked:
        raise Gone(f"the QR codes of window {window_id} are revoked")
    return _issued(window, signer, base_url)


def rotate_qr_code(
    window_id: str, *, windows: WindowRepository, signer: WindowTokenSigner, base_url: str
) -> QrCodeIssued:
    """Invalidate every code printed so far and return the new one."""
    return _issued(windows.rotate(window_id), signer, base_url)


def revoke_qr_codes(window_id: str, *, windows: WindowRepository) -> ServiceWindow:
    return windows.revoke(window_id)


def open_rating_page(
    token: str, *, windows: WindowRepository, catalogue: CatalogueRepository, signer: WindowTokenSigner
) -> WindowRatingPage:
    """The window behind a scanned code. NotFound for a forged or tampered code; Gone for a code of an
    earlier rotation, of a revoked window, or of a window none of whose items is still in the catalogue."""
    claims = signer.verify(token)
    window = windows.get(claims.window_id)
    if window.revoked or window.rotation != claims.rotation:
        raise Gone("this QR code has been replaced or withdrawn")
    items = tuple(item for code in window.item_codes if (item := _catalogue_item(code, catalogue)) is not None)
    if not items:
        raise Gone(f"window {window.window_id} has no service item in the catalogue")
    return WindowRatingPage(window=window, items=items)


def _issued(window: ServiceWindow, signer: WindowTokenSigner, base_url: str) -> QrCodeIssued:
    url = landing_url(base_url, signer.sign(window.window_id, window.rotation))
    window_qr_code(url)  # refuses a URL too long for the QR version the contract allows
    images = f"{base_url.rstrip('/')}/v1/windows/{window.window_id}"
    return QrCodeIssued(
        window_id=window.window_id,
        rotation=window.rotation,
        url=url,
        svg_url=f"{images}/qr.svg",
        png_url=f"{images}/qr.png",
    )


def _item_problem(item_code: str, window: WindowRegistration, catalogue: CatalogueRepository) -> str | None:
    try:
        item = catalogue.get(item_code)
    except NotFound:
        return f"unknown service item {item_code}"
    if (item.agency_code, item.region_code) != (window.agency_code, window.region_code):
        return f"service item {item_code} belongs to {item.agency_code} in {item.region_code}"
    if WINDOW_CHANNEL not in item.channels:
        return f"service item {item_code} is not offered at a window"
    return None


def _catalogue_item(item_code: str, catalogue: CatalogueRepository) -> ServiceItem | None:
    try:
        return catalogue.get(item_code)
    except NotFound:
        return None
