"""What the window services need from storage (`store` in the cloud, in memory in tests)."""

from __future__ import annotations

from typing import Protocol

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
