"""What the window and site-key services need from storage (`store` and `site_key_store` in the cloud)."""

from __future__ import annotations

from typing import Protocol

from govrate.rating.models import SiteKey
from govrate.windows.models import ServiceWindow


class WindowStore(Protocol):
    def add(self, window: ServiceWindow) -> None:
        """Store a new window; Conflict when the id is taken."""
        ...

    def get(self, window_id: str) -> ServiceWindow:
        """NotFound when there is none."""
        ...

    def rotate(self, window_id: str) -> ServiceWindow:
        """Rotation + 1 and no longer revoked; NotFound for an unknown window."""
        ...

    def revoke(self, window_id: str) -> ServiceWindow:
        """NotFound for an unknown window."""
        ...


class SiteKeyStore(Protocol):
    def add(self, site_key: SiteKey) -> None:
        """Store a new site key; Conflict when it is taken."""
        ...

    def get(self, site_key: str) -> SiteKey:
        """NotFound when there is none."""
        ...
