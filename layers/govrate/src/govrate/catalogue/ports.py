"""The catalogue as the other features read it, and as the import writes it (`store` in the cloud)."""

from __future__ import annotations

from typing import Protocol

from govrate.catalogue.store import Agency
from govrate.evaluations.models import ServiceItem


class CatalogueReader(Protocol):
    def get(self, item_code: str, version: int | None = None) -> ServiceItem:
        """The current entry, or a given version; NotFound when there is none."""
        ...

    def agency(self, agency_code: str) -> Agency:
        """NotFound for an agency without items."""
        ...

    def agencies_within(self, division: str) -> list[Agency]:
        """The agencies in `division` (GB/T 2260: a province holds its cities, a city its districts)."""
        ...


class CatalogueWriter(Protocol):
    def put(self, item: ServiceItem) -> None:
        """Store a version; it becomes current unless a newer version is current already."""
        ...
