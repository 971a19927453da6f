"""The centrally versioned indicator set. Regions may not add or drop indicators."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ServiceMode(StrEnum):
    ONLINE = "online"
    ONSITE = "onsite"


INDICATOR_SET_VERSION: Final = "2020.1"

INDICATORS: Final[dict[ServiceMode, tuple[str, ...]]] = {
    ServiceMode.ONLINE: ("overall", "efficiency", "guide_accuracy", "convenience", "platform_usability"),
    ServiceMode.ONSITE: ("overall", "efficiency", "service_level", "attitude"),
}
