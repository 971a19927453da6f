"""Service windows and their QR codes: registering, issuing, rotating, revoking, and the printable poster.

A window's codes are deterministic: every issue at one rotation gives the same signed URL, so a code
can be printed again at any time. Rotating starts the next generation (and lifts a revocation);
revoking refuses every code of the window until the next rotation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from govrate.evaluations.models import ServiceItem
from govrate.identity.auth import authorize_agency, authorize_for
from govrate.identity.model import Actor
from govrate.kernel.errors import Conflict, Gone, InvalidInput, NotFound
from govrate.kernel.qr_codes import WindowTokenSigner, landing_url, qr_code, qr_svg_inline
from govrate.rating.models import WindowPoster
from govrate.windows.models import QrCodeIssued, ServiceWindow, WindowRegistration

if TYPE_CHECKING:
    from govrate.catalogue.ports import CatalogueReader
    from govrate.windows.ports import WindowStore

WINDOW_CHANNEL = "window"


def register_window(
    registration: WindowRegistration, *, windows: WindowStore, catalogue: CatalogueReader
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
    items: Iterable[ServiceItem], *, windows: WindowStore, catalogue: CatalogueReader
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


def authorize_registration(actor: Actor, registration: WindowRegistration, catalogue: CatalogueReader) -> None:
    """Forbidden unless the actor may act for the window's agency, as the catalogue places it;
    InvalidInput for an agency the catalogue does not know or places in another region."""
    agency = authorize_agency(actor, registration.agency_code, catalogue)
    if agency.region_code != registration.region_code:
        raise InvalidInput(
            "the agency is in another region",
            [{"field": "region_code", "message": f"agency {agency.agency_code} is in {agency.region_code}"}],
        )


def administered_window(window_id: str, *, actor: Actor, windows: WindowStore) -> ServiceWindow:
    """The window, for the staff of its agency and the supervisors of its division; Forbidden otherwise."""
    window = windows.get(window_id)
    authorize_for(actor, window.agency_code, window.region_code)
    return window


def issue_qr_code(window_id: str, *, windows: WindowStore, signer: WindowTokenSigner, base_url: str) -> QrCodeIssued:
    """The current code of a window; Gone while the window is revoked."""
    window = windows.get(window_id)
    if window.revoked:
        raise Gone(f"the QR codes of window {window_id} are revoked")
    return _issued(window, signer, base_url)


def rotate_qr_code(
    window_id: str, *, actor: Actor, windows: WindowStore, signer: WindowTokenSigner, base_url: str
) -> QrCodeIssued:
    """Invalidate every code printed so far and return the new one; for the window's administrators."""
    administered_window(window_id, actor=actor, windows=windows)
    return _issued(windows.rotate(window_id), signer, base_url)


def revoke_qr_codes(window_id: str, *, actor: Actor, windows: WindowStore) -> ServiceWindow:
    """Refuse every code of the window until it is rotated; for the window's administrators."""
    administered_window(window_id, actor=actor, windows=windows)
    return windows.revoke(window_id)


def window_poster(
    window_id: str,
    *,
    windows: WindowStore,
    catalogue: CatalogueReader,
    signer: WindowTokenSigner,
    base_url: str,
) -> WindowPoster:
    """The printable poster of the window's current code; Gone while the window is revoked."""
    issued = issue_qr_code(window_id, windows=windows, signer=signer, base_url=base_url)
    window = windows.get(window_id)
    try:
        agency_name = catalogue.agency(window.agency_code).agency_name_zh
    except NotFound:
        agency_name = ""
    return WindowPoster(window=window, agency_name_zh=agency_name, url=issued.url, qr_svg=qr_svg_inline(issued.url))


def _issued(window: ServiceWindow, signer: WindowTokenSigner, base_url: str) -> QrCodeIssued:
    url = landing_url(base_url, signer.sign(window.window_id, window.rotation))
    qr_code(url)  # refuses a URL too long for the QR version the contract allows
    images = f"{base_url.rstrip('/')}/v1/windows/{window.window_id}"
    return QrCodeIssued(
        window_id=window.window_id,
        rotation=window.rotation,
        url=url,
        svg_url=f"{images}/qr.svg",
        png_url=f"{images}/qr.png",
    )


def _item_problem(item_code: str, window: WindowRegistration, catalogue: CatalogueReader) -> str | None:
    try:
        item = catalogue.get(item_code)
    except NotFound:
        return f"unknown service item {item_code}"
    if (item.agency_code, item.region_code) != (window.agency_code, window.region_code):
        return f"service item {item_code} belongs to {item.agency_code} in {item.region_code}"
    if WINDOW_CHANNEL not in item.channels:
        return f"service item {item_code} is not offered at a window"
    return None
