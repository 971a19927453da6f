"""Pydantic models of the service-window and QR-code contracts."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from govrate.kernel.contracts import AgencyCode, Contract, ItemCode, RegionCode

ShortWindowId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{2,23}$")]
"""A `models.WindowId` of at most 24 characters, so that the signed URL of the window's QR code stays
within QR version 6."""

MAX_WINDOW_ITEMS = 50


class WindowRegistration(Contract):
    """A service window (a counter of a service hall) and the service items handled there."""

    window_id: ShortWindowId = Field(description="Code of the window, unique in the system, e.g. 110105-GA-W01.")
    name_zh: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    name_en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] = ""
    agency_code: AgencyCode = Field(description="The agency that staffs the window.")
    region_code: RegionCode = Field(description="GB/T 2260 division code of the service hall.")
    item_codes: tuple[ItemCode, ...] = Field(
        min_length=1,
        max_length=MAX_WINDOW_ITEMS,
        description="Catalogue codes of the service items handled at the window, in display order.",
    )

    @field_validator("item_codes")
    @classmethod
    def _no_repeated_items(cls, item_codes: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(item_codes)) != len(item_codes):
            raise ValueError("a service item is listed more than once")
        return item_codes


class ServiceWindow(WindowRegistration):
    """A registered window with the state of its QR codes."""

    rotation: int = Field(ge=1, description="Generation of the window's QR code; rotating adds one.")
    revoked: bool = Field(description="True when every QR code of the window is refused.")


class QrCodeIssued(Contract):
    window_id: str
    rotation: int
    url: str = Field(description="The signed short URL that the QR code holds.")
    svg_url: str = Field(description="The QR code as SVG, for printing.")
    png_url: str = Field(description="The QR code as PNG (send Accept: image/png).")
